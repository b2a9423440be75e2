import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { GpuReading } from '../queue/cluster/index.ts';
import { watchGpu } from './gpu-watch.ts';

const sample = (name: string) => readFileSync(new URL(`../test/fixtures/nvidia-smi/${name}`, import.meta.url), 'utf8');
const MIB = 1024 * 1024;

/** Collects readings until `n` have come, then stops the watch. */
function readings(index: number, n: number, run: () => Promise<string>): Promise<(GpuReading | undefined)[]> {
  return new Promise((resolve) => {
    const got: (GpuReading | undefined)[] = [];
    const stop = watchGpu(index, 10, (r) => {
      got.push(r);
      if (got.length === n) {
        stop();
        resolve(got);
      }
    }, run);
  });
}

describe('watchGpu', () => {
  it('reads its own GPU from recorded nvidia-smi output, again on each tick', async () => {
    const outputs = [sample('dgx-a100-2gpu.txt'), sample('dgx-a100-2gpu.txt').replace('17843, 87, 64', '20000, 12, 58')];
    let calls = 0;
    const got = await readings(1, 2, async () => outputs[Math.min(calls++, 1)]!);
    expect(got[0]).toMatchObject({ name: 'NVIDIA A100-SXM4-40GB', memoryTotalBytes: 40960 * MIB, memoryUsedBytes: 17843 * MIB, utilizationPct: 87, temperatureC: 64 });
    expect(got[1]).toMatchObject({ memoryUsedBytes: 20000 * MIB, utilizationPct: 12, temperatureC: 58 });
    expect(got[1]!.readAt).toBeGreaterThanOrEqual(got[0]!.readAt);
  });

  it('leaves out what the driver does not report', async () => {
    const [r] = await readings(0, 1, async () => sample('mixed-na.txt'));
    expect(r).toBeDefined();
    expect(Object.keys(r!)).not.toContain('utilizationPct');
  });

  it('reports no reading when nvidia-smi fails or no longer lists the GPU, so no stale figure stays', async () => {
    let calls = 0;
    const got = await readings(1, 3, async () => {
      calls++;
      if (calls === 2) throw Object.assign(new Error(sample('no-driver.txt')), { code: 9 });
      return calls === 3 ? sample('dgx-a100-2gpu.txt').split('\n')[0]! : sample('dgx-a100-2gpu.txt');
    });
    expect(got.map((r) => r?.memoryUsedBytes)).toEqual([17843 * MIB, undefined, undefined]);
  });

  it('never runs nvidia-smi twice at once when it is slower than the interval', async () => {
    let running = 0;
    let most = 0;
    await readings(0, 3, async () => {
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, 35));
      running--;
      return sample('dgx-a100-2gpu.txt');
    });
    expect(most).toBe(1);
  });
});
