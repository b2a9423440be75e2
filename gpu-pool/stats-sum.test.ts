import { describe, expect, it } from 'vitest';
import { BATCH_SIZE_BOUNDS, SECONDS_BOUNDS, emptyCounts, observe, type FunctionStat } from '../queue/cluster/index.ts';
import { noCounters, sumCounters } from './stats-sum.ts';

function stat(fn: string, version: string, batch: number, ok: number): FunctionStat {
  const s: FunctionStat = { function: fn, version, ok, failed: 0, batchSize: emptyCounts(BATCH_SIZE_BOUNDS), runSeconds: emptyCounts(SECONDS_BOUNDS), queueSeconds: emptyCounts(SECONDS_BOUNDS) };
  observe(s.batchSize, BATCH_SIZE_BOUNDS, batch);
  observe(s.runSeconds, SECONDS_BOUNDS, 0.01);
  return s;
}

describe('sumCounters', () => {
  it('adds the counters and merges one version seen in two sandboxes into one entry, leaving the parts as they were', () => {
    const dead = { batches: 3, jobsDone: 5, loads: 1, unloads: 0, functions: [stat('a', '1', 4, 5)] };
    const live = { batches: 2, jobsDone: 2, loads: 1, unloads: 1, functions: [stat('a', '1', 1, 2), stat('b', '2', 2, 0)] };
    const sum = sumCounters([noCounters(), dead, live]);
    expect(sum).toMatchObject({ batches: 5, jobsDone: 7, loads: 2, unloads: 1 });
    expect(sum.functions.map((f) => `${f.function}@${f.version}:${f.ok}:${f.batchSize.count}:${f.batchSize.sum}`)).toEqual(['a@1:7:2:5', 'b@2:0:1:2']);
    expect(dead.functions[0]!.ok).toBe(5);
    expect(dead.functions[0]!.batchSize.count).toBe(1);
  });
});
