/**
 * `AUTOGLM_DEVICES`: the pool's device slots, a comma-separated list of entries:
 *
 *   gpu:<index>[@<size>]    one worker pinned to GPU <index> (CUDA_VISIBLE_DEVICES=<index>)
 *   cpu[*<count>][@<size>]  <count> CPU workers (default 1), numbered cpu:0, cpu:1, … in order
 *
 * `@<size>` (e.g. `@12GiB`, `@512MiB`) is the slot's model-cache budget. Examples:
 * `gpu:0,gpu:1` (two GPUs), `cpu*4` (four CPU slots), `gpu:0@20GiB,cpu*2@2GiB`.
 * How the pool turns them into slots: `planSlots` in `gpu-pool/devices.ts`.
 */
import type { DeclaredDevice } from '../../queue/cluster/index.ts';

const ENTRY = /^(cpu|gpu)(?::(\d+))?(?:\*(\d+))?(?:@(\d+(?:\.\d+)?)\s*(b|kib|mib|gib|tib|kb|mb|gb)?)?$/i;
const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4 };

/**
 * Parses `AUTOGLM_DEVICES` (grammar above). `auto` or empty: undefined
 * (discover). Every bad entry is reported.
 */
export function parseDeviceList(spec: string): { ok: true; devices: DeclaredDevice[] | undefined } | { ok: false; errors: string[] } {
  const trimmed = spec.trim();
  if (trimmed === '' || trimmed === 'auto') return { ok: true, devices: undefined };
  const devices: DeclaredDevice[] = [];
  const errors: string[] = [];
  const gpuSeen = new Set<number>();
  for (const raw of trimmed.split(',')) {
    const entry = raw.trim();
    const m = ENTRY.exec(entry);
    if (!m) {
      errors.push(`'${entry}': expected gpu:<index>[@size] or cpu[*count][@size], e.g. gpu:0@16GiB or cpu*4`);
      continue;
    }
    const kind = m[1]!.toLowerCase() as 'cpu' | 'gpu';
    const index = m[2] === undefined ? undefined : Number(m[2]);
    const count = m[3] === undefined ? 1 : Number(m[3]);
    const memoryBytes = m[4] === undefined ? undefined : Math.round(Number(m[4]) * SIZE_UNITS[(m[5] ?? 'b').toLowerCase()]!);
    if (kind === 'gpu') {
      if (index === undefined) errors.push(`'${entry}': a gpu entry names its index, e.g. gpu:0`);
      else if (m[3] !== undefined) errors.push(`'${entry}': one worker per GPU; list each GPU (gpu:0,gpu:1)`);
      else if (gpuSeen.has(index)) errors.push(`'${entry}': GPU ${index} is listed twice`);
      else gpuSeen.add(index);
    } else if (index !== undefined) {
      errors.push(`'${entry}': CPU slots are numbered in order; write cpu*<count>`);
    }
    if (count < 1 || count > 256) errors.push(`'${entry}': count must be 1 to 256`);
    if (memoryBytes !== undefined && memoryBytes <= 0) errors.push(`'${entry}': size must be positive`);
    devices.push({ kind, index, count, memoryBytes });
  }
  if (devices.length === 0 && errors.length === 0) errors.push('no devices listed');
  return errors.length ? { ok: false, errors } : { ok: true, devices };
}

