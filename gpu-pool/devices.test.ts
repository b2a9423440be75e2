import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseNvidiaSmi, planSlots, probeGpus, type GpuInfo } from './devices.ts';

const sample = (name: string) => readFileSync(new URL(`../test/fixtures/nvidia-smi/${name}`, import.meta.url), 'utf8');
const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

describe('parseNvidiaSmi', () => {
  it('reads index, name, memory (MiB → bytes), utilisation and temperature', () => {
    expect(parseNvidiaSmi(sample('dgx-a100-2gpu.txt'))).toEqual([
      { index: 0, name: 'NVIDIA A100-SXM4-40GB', memoryTotalBytes: 40960 * MIB, memoryUsedBytes: 4 * MIB, utilizationPct: 0, temperatureC: 31 },
      { index: 1, name: 'NVIDIA A100-SXM4-40GB', memoryTotalBytes: 40960 * MIB, memoryUsedBytes: 17843 * MIB, utilizationPct: 87, temperatureC: 64 },
    ]);
  });

  it('leaves fields the driver does not report undefined', () => {
    const [a, b] = parseNvidiaSmi(sample('mixed-na.txt'));
    expect(a).toMatchObject({ index: 0, name: 'NVIDIA GeForce RTX 3090', memoryTotalBytes: 24576 * MIB, utilizationPct: undefined, temperatureC: 45 });
    expect(b).toMatchObject({ index: 1, name: 'Tesla T4', memoryUsedBytes: 0, utilizationPct: undefined, temperatureC: undefined });
  });

  it('keeps commas inside a name and skips lines that are not GPUs', () => {
    expect(parseNvidiaSmi('0, Quadro RTX 8000, Rev. B, 49152, 10, 3, 40\n')[0]!.name).toBe('Quadro RTX 8000, Rev. B');
    expect(parseNvidiaSmi(sample('no-driver.txt'))).toEqual([]);
    expect(parseNvidiaSmi('')).toEqual([]);
  });
});

describe('probeGpus', () => {
  it('runs the documented query and parses it', async () => {
    const calls: string[][] = [];
    const gpus = await probeGpus(async (file, args) => (calls.push([file, ...args]), sample('dgx-a100-2gpu.txt')));
    expect(gpus.map((g) => g.index)).toEqual([0, 1]);
    expect(calls[0]).toEqual(['nvidia-smi', '--query-gpu=index,name,memory.total,memory.used,utilization.gpu,temperature.gpu', '--format=csv,noheader,nounits']);
  });

  it('finds no GPU when nvidia-smi is missing or fails', async () => {
    const enoent = Object.assign(new Error('spawn nvidia-smi ENOENT'), { code: 'ENOENT' });
    expect(await probeGpus(async () => Promise.reject(enoent))).toEqual([]);
    expect(await probeGpus(async () => Promise.reject(Object.assign(new Error(sample('no-driver.txt')), { code: 9 })))).toEqual([]);
  });
});

describe('planSlots', () => {
  const a100: GpuInfo[] = parseNvidiaSmi(sample('dgx-a100-2gpu.txt'));
  const base = { gpus: [] as GpuInfo[], cpuWorkers: 2, cpuWorkersExplicit: false, defaultMemoryBytes: 2 * GIB };

  it('with nothing declared and no GPU: AUTOGLM_WORKERS CPU slots', () => {
    expect(planSlots({ ...base, declared: undefined })).toEqual([
      { id: 'cpu:0', kind: 'cpu', index: 0, name: 'cpu', memoryBytes: 2 * GIB },
      { id: 'cpu:1', kind: 'cpu', index: 1, name: 'cpu', memoryBytes: 2 * GIB },
    ]);
  });

  it('with GPUs discovered: one slot per GPU, budget 90% of its free memory; CPU slots only when asked for', () => {
    const slots = planSlots({ ...base, declared: undefined, gpus: a100 });
    expect(slots.map((s) => s.id)).toEqual(['gpu:0', 'gpu:1']);
    expect(slots[0]).toMatchObject({ kind: 'gpu', index: 0, name: 'NVIDIA A100-SXM4-40GB', memoryBytes: Math.floor((40960 - 4) * MIB * 0.9) });
    expect(slots[1]!.memoryBytes).toBe(Math.floor((40960 - 17843) * MIB * 0.9));
    expect(planSlots({ ...base, declared: undefined, gpus: a100, cpuWorkersExplicit: true }).map((s) => s.id)).toEqual(['gpu:0', 'gpu:1', 'cpu:0', 'cpu:1']);
  });

  it('declared devices win; sizes given beat discovery, and undiscovered GPUs get the default', () => {
    // AUTOGLM_DEVICES=cpu*2@1GiB,gpu:1@8GiB,gpu:3, as the configuration parses it.
    const declared = [
      { kind: 'cpu' as const, index: undefined, count: 2, memoryBytes: GIB },
      { kind: 'gpu' as const, index: 1, count: 1, memoryBytes: 8 * GIB },
      { kind: 'gpu' as const, index: 3, count: 1, memoryBytes: undefined },
    ];
    const slots = planSlots({ ...base, declared, gpus: a100 });
    expect(slots).toEqual([
      { id: 'gpu:1', kind: 'gpu', index: 1, name: 'NVIDIA A100-SXM4-40GB', memoryBytes: 8 * GIB },
      { id: 'gpu:3', kind: 'gpu', index: 3, name: 'gpu', memoryBytes: 2 * GIB },
      { id: 'cpu:0', kind: 'cpu', index: 0, name: 'cpu', memoryBytes: GIB },
      { id: 'cpu:1', kind: 'cpu', index: 1, name: 'cpu', memoryBytes: GIB },
    ]);
  });
});
