import { describe, expect, it } from 'vitest';
import { BATCH_SIZE_BOUNDS, SECONDS_BOUNDS, emptyCounts, observe, quantileOf, versionRunStats, type FunctionStat } from './function-stat.ts';

describe('quantileOf', () => {
  it('interpolates within the bucket the rank falls in, as histogram_quantile does', () => {
    const bounds = [1, 2, 4];
    const c = emptyCounts(bounds);
    for (const v of [0.5, 1.5, 1.5, 3]) observe(c, bounds, v); // buckets: ≤1: 1, ≤2: 2, ≤4: 1
    expect(quantileOf(c, bounds, 0.25)).toBe(1); // rank 1: the end of the first bucket
    expect(quantileOf(c, bounds, 0.5)).toBe(1.5); // rank 2: halfway through (1, 2]
    expect(quantileOf(c, bounds, 1)).toBe(4);
  });

  it('says the highest bound for the +Inf bucket, and nothing for an empty histogram', () => {
    const bounds = [1, 2];
    const c = emptyCounts(bounds);
    expect(quantileOf(c, bounds, 0.5)).toBeUndefined();
    observe(c, bounds, 100);
    expect(quantileOf(c, bounds, 0.5)).toBe(2);
  });
});

describe('versionRunStats', () => {
  const stat = (batches: number[], runMs: number, waitMs: number[]): FunctionStat => {
    const s: FunctionStat = { function: 'f', version: 'v', ok: 0, failed: 1, batchSize: emptyCounts(BATCH_SIZE_BOUNDS), runSeconds: emptyCounts(SECONDS_BOUNDS), queueSeconds: emptyCounts(SECONDS_BOUNDS) };
    for (const n of batches) {
      observe(s.batchSize, BATCH_SIZE_BOUNDS, n);
      observe(s.runSeconds, SECONDS_BOUNDS, runMs / 1000);
      s.ok += n;
    }
    for (const w of waitMs) observe(s.queueSeconds, SECONDS_BOUNDS, w / 1000);
    return s;
  };

  it('sums a version over workers: items, batches, mean batch size, run and wait quantiles', () => {
    const r = versionRunStats([stat([32, 32], 8, [1, 1, 1]), stat([16], 8, [40])]);
    expect(r).toMatchObject({ workers: 2, ok: 80, failed: 2, batches: 3, meanBatchSize: 26.7 });
    // Every call took 8 ms: inside the (5, 10 ms] bucket.
    expect(r!.runP50Ms).toBeGreaterThan(5);
    expect(r!.runP95Ms).toBeLessThanOrEqual(10);
    // Three waits of 1 ms and one of 40: the median is small, the p95 in (25, 50 ms].
    expect(r!.queueP50Ms).toBeLessThanOrEqual(1);
    expect(r!.queueP95Ms).toBeGreaterThan(25);
  });

  it('is undefined when no live worker has run the version', () => {
    expect(versionRunStats([])).toBeUndefined();
  });
});
