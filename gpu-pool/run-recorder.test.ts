import { describe, expect, it } from 'vitest';
import { BATCH_SIZE_BOUNDS, SECONDS_BOUNDS } from '../queue/cluster/index.ts';
import { RunRecorder } from './run-recorder.ts';

const bucketOf = (bounds: readonly number[], value: number) => bounds.findIndex((b) => value <= b);

describe('RunRecorder', () => {
  it('counts each handler call: items by outcome, its size, its length, and each item\'s wait', () => {
    const s = new RunRecorder();
    s.record({ fn: 'risk', version: 'v1', queuedAt: [1_000, 1_020, 1_040], started: 1_050, finished: 1_070, failed: 1 });
    s.record({ fn: 'risk', version: 'v1', queuedAt: [2_000], started: 2_000, finished: 2_004, failed: 0 });
    const [v1] = s.view();
    expect(v1).toMatchObject({ function: 'risk', version: 'v1', ok: 3, failed: 1 });
    expect(v1!.batchSize).toMatchObject({ count: 2, sum: 4 });
    expect(v1!.batchSize.counts[bucketOf(BATCH_SIZE_BOUNDS, 3)]).toBe(1); // 3 is in the ≤ 4 bucket
    expect(v1!.batchSize.counts[bucketOf(BATCH_SIZE_BOUNDS, 1)]).toBe(1);
    expect(v1!.runSeconds.count).toBe(2);
    expect(v1!.runSeconds.sum).toBeCloseTo(0.024);
    expect(v1!.queueSeconds.count).toBe(4);
    expect(v1!.queueSeconds.sum).toBeCloseTo(0.05 + 0.03 + 0.01 + 0);
    // 50 and 30 ms in (25, 50 ms], 10 ms in (5, 10 ms], 0 in the first bucket.
    expect(v1!.queueSeconds.counts[bucketOf(SECONDS_BOUNDS, 0.05)]).toBe(2);
    expect(v1!.queueSeconds.counts[bucketOf(SECONDS_BOUNDS, 0.01)]).toBe(1);
    expect(v1!.queueSeconds.counts[0]).toBe(1);
    expect(v1!.queueSeconds.counts.reduce((a, b) => a + b)).toBe(4);
  });

  it('counts the items of a version that failed to load as failed, with no handler call', () => {
    const s = new RunRecorder();
    s.record({ fn: 'risk', version: 'v1', queuedAt: [1, 2], finished: 3, failed: 2 });
    expect(s.view()[0]).toMatchObject({ ok: 0, failed: 2, batchSize: { count: 0 }, runSeconds: { count: 0 }, queueSeconds: { count: 0 } });
  });

  it('never records a negative wait when the submitting host\'s clock is ahead', () => {
    const s = new RunRecorder();
    s.record({ fn: 'risk', version: 'v1', queuedAt: [5_000], started: 4_990, finished: 5_000, failed: 0 });
    expect(s.view()[0]!.queueSeconds).toMatchObject({ count: 1, sum: 0 });
  });

  it('keeps versions apart and forgets those retain() leaves out', () => {
    const s = new RunRecorder();
    for (const version of ['v1', 'v2']) s.record({ fn: 'risk', version, queuedAt: [0], started: 0, finished: 1, failed: 0 });
    expect(s.view().map((v) => v.version)).toEqual(['v1', 'v2']);
    s.retain((key) => key === 'risk@v2');
    expect(s.view().map((v) => v.version)).toEqual(['v2']);
  });
});
