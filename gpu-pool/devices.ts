/**
 * Device discovery and the pool's slot plan: which worker processes to run, on which device,
 * with how much model memory each.
 *
 * Operators declare devices with `AUTOGLM_DEVICES`, a comma-separated list of entries:
 *
 *   gpu:<index>[@<size>]    one worker pinned to GPU <index> (CUDA_VISIBLE_DEVICES=<index>)
 *   cpu[*<count>][@<size>]  <count> CPU workers (default 1), numbered cpu:0, cpu:1, … in order
 *
 * `@<size>` (e.g. `@12GiB`, `@512MiB`) is the slot's model-cache budget. Examples:
 * `gpu:0,gpu:1` (two GPUs), `cpu*4` (four CPU slots), `gpu:0@20GiB,cpu*2@2GiB`.
 *
 * Unset or `auto`: every GPU nvidia-smi reports gets a slot; CPU slots number `AUTOGLM_WORKERS`
 * when there is no GPU, and only when `AUTOGLM_WORKERS` is set explicitly when there are GPUs.
 * Budgets not given: a GPU's free memory at discovery less 10% headroom (nvidia-smi), else the
 * pool's default model memory.
 */
import { execFile } from 'node:child_process';
import type { DeviceSlot } from '../queue/cluster/index.ts';

/** One GPU as nvidia-smi reports it. */
export interface GpuInfo {
  index: number;
  name: string;
  memoryTotalBytes: number;
  memoryUsedBytes: number;
  /** Percent; undefined when the driver says `[N/A]`/`[Not Supported]`. */
  utilizationPct: number | undefined;
  /** Degrees Celsius; undefined when not reported. */
  temperatureC: number | undefined;
}

/** The query the pool runs; {@link parseNvidiaSmi} reads its output. */
export const NVIDIA_SMI_ARGS = ['--query-gpu=index,name,memory.total,memory.used,utilization.gpu,temperature.gpu', '--format=csv,noheader,nounits'];

const MIB = 1024 * 1024;

/**
 * Parses `nvidia-smi --query-gpu=index,name,memory.total,memory.used,utilization.gpu,temperature.gpu
 * --format=csv,noheader,nounits` output. Memory is in MiB there. A name may itself hold commas,
 * so the first field is the index, the last four the numbers, and the name what lies between.
 * Lines that do not parse are skipped (nvidia-smi prints warnings on some drivers).
 */
export function parseNvidiaSmi(output: string): GpuInfo[] {
  const gpus: GpuInfo[] = [];
  for (const line of output.split(/\r?\n/)) {
    const f = line.split(',').map((s) => s.trim());
    if (f.length < 6) continue;
    const index = Number(f[0]);
    const [total, used, util, temp] = f.slice(-4).map(numberOrUndefined);
    if (!Number.isInteger(index) || total === undefined) continue;
    gpus.push({
      index,
      name: f.slice(1, -4).join(', '),
      memoryTotalBytes: total * MIB,
      memoryUsedBytes: (used ?? 0) * MIB,
      utilizationPct: util,
      temperatureC: temp,
    });
  }
  return gpus;
}

function numberOrUndefined(s: string | undefined): number | undefined {
  if (s === undefined || s === '' || s.startsWith('[')) return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

/** Runs a program and returns its stdout; injectable so tests need no nvidia-smi. */
export type RunCommand = (file: string, args: string[]) => Promise<string>;

const runCommand: RunCommand = (file, args) =>
  new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 5000, encoding: 'utf8' }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });

/** Asks nvidia-smi for the GPUs. No nvidia-smi, or one that fails (no driver): no GPUs. */
export async function probeGpus(run: RunCommand = runCommand): Promise<GpuInfo[]> {
  try {
    return parseNvidiaSmi(await run('nvidia-smi', NVIDIA_SMI_ARGS));
  } catch {
    return [];
  }
}

/** One entry of `AUTOGLM_DEVICES`, before budgets are resolved. */
export interface DeclaredDevice {
  kind: 'cpu' | 'gpu';
  /** GPU index; undefined for CPU entries. */
  index: number | undefined;
  count: number;
  memoryBytes: number | undefined;
}

const ENTRY = /^(cpu|gpu)(?::(\d+))?(?:\*(\d+))?(?:@(\d+(?:\.\d+)?)\s*(b|kib|mib|gib|tib|kb|mb|gb)?)?$/i;
const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4 };

/**
 * Parses `AUTOGLM_DEVICES` (grammar at the top of this file). `auto` or empty: undefined
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

/** Inputs of {@link planSlots}. */
export interface SlotPlanInput {
  /** From `AUTOGLM_DEVICES`; undefined: discover. */
  declared: DeclaredDevice[] | undefined;
  /** From {@link probeGpus}. */
  gpus: GpuInfo[];
  /** `AUTOGLM_WORKERS`, and whether the operator set it. */
  cpuWorkers: number;
  cpuWorkersExplicit: boolean;
  /** Model budget of a slot nothing else sizes (`AUTOGLM_MODEL_MEMORY`, or its default). */
  defaultMemoryBytes: number;
}

/** Share of a GPU's free memory the model cache may fill; the rest is workspace for kernels. */
const GPU_BUDGET_SHARE = 0.9;

/** Turns declarations and discovery into the slots the supervisor runs, GPUs first. */
export function planSlots(input: SlotPlanInput): DeviceSlot[] {
  const byIndex = new Map(input.gpus.map((g) => [g.index, g]));
  const gpuSlot = (index: number, memoryBytes?: number): DeviceSlot => {
    const info = byIndex.get(index);
    const discovered = info ? Math.floor((info.memoryTotalBytes - info.memoryUsedBytes) * GPU_BUDGET_SHARE) : undefined;
    return { id: `gpu:${index}`, kind: 'gpu', index, name: info?.name ?? 'gpu', memoryBytes: memoryBytes ?? discovered ?? input.defaultMemoryBytes };
  };
  const slots: DeviceSlot[] = [];
  let cpu = 0;
  const cpuSlots = (count: number, memoryBytes?: number) => {
    for (let i = 0; i < count; i++, cpu++) slots.push({ id: `cpu:${cpu}`, kind: 'cpu', index: cpu, name: 'cpu', memoryBytes: memoryBytes ?? input.defaultMemoryBytes });
  };
  if (input.declared) {
    for (const d of input.declared.filter((x) => x.kind === 'gpu')) slots.push(gpuSlot(d.index!, d.memoryBytes));
    for (const d of input.declared.filter((x) => x.kind === 'cpu')) cpuSlots(d.count, d.memoryBytes);
    return slots;
  }
  for (const g of [...input.gpus].sort((a, b) => a.index - b.index)) slots.push(gpuSlot(g.index));
  if (input.gpus.length === 0 || input.cpuWorkersExplicit) cpuSlots(input.cpuWorkers);
  return slots;
}
