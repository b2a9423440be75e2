/**
 * Device discovery and the pool's slot plan: which worker processes to run, on which device,
 * with how much model memory each.
 *
 * Operators declare devices with `AUTOGLM_DEVICES` (grammar and parser in
 * `runtime/config/device-list.ts`; the pool receives the parsed list in its configuration).
 *
 * Unset or `auto`: every GPU nvidia-smi reports gets a slot; CPU slots number `AUTOGLM_WORKERS`
 * when there is no GPU, and only when `AUTOGLM_WORKERS` is set explicitly when there are GPUs.
 * Budgets not given: a GPU's free memory at discovery less 10% headroom (nvidia-smi), else the
 * pool's default model memory.
 */
import { execFile } from 'node:child_process';
import type { DeclaredDevice, DeviceSlot } from '../queue/cluster/index.ts';

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
