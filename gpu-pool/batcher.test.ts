import { describe, expect, it } from 'vitest';
import { Batcher, batchPlan } from './batcher.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('batchPlan', () => {
  it('runs unbatched functions at their concurrency', () => {
    expect(batchPlan({ concurrency: 16, batching: { maxSize: 1, maxDelay: 0 } })).toEqual({ maxSize: 1, maxDelayMs: 0, maxInFlight: 16, consumerConcurrency: 16 });
  });

  it('holds enough jobs for the running batches and one forming', () => {
    // A CPU-bound model: one batch at a time, the next one gathering meanwhile.
    expect(batchPlan({ concurrency: 16, batching: { maxSize: 32, maxDelay: 2 } })).toEqual({ maxSize: 32, maxDelayMs: 2, maxInFlight: 1, consumerConcurrency: 64 });
    // A handler awaiting I/O with concurrency 64: eight batches of 8 in flight.
    expect(batchPlan({ concurrency: 64, batching: { maxSize: 8, maxDelay: 5 } })).toMatchObject({ maxInFlight: 8, consumerConcurrency: 72 });
    // Concurrency below the batch size is raised: a batch must be able to fill.
    expect(batchPlan({ concurrency: 1, batching: { maxSize: 8, maxDelay: 5 } }).consumerConcurrency).toBeGreaterThanOrEqual(8);
  });
});

describe('Batcher', () => {
  function recorder(ms = 0) {
    const batches: number[][] = [];
    const run = async (items: number[]) => {
      batches.push(items);
      if (ms) await sleep(ms);
      return items.map((x) => x * 10);
    };
    return { batches, run };
  }

  it('gathers items submitted together into one call and splits the results back', async () => {
    const { batches, run } = recorder();
    const b = new Batcher({ maxSize: 8, maxDelayMs: 0, maxInFlight: 1 }, run);
    const out = await Promise.all([1, 2, 3, 4, 5].map((x) => b.submit(x)));
    expect(out).toEqual([10, 20, 30, 40, 50]);
    expect(batches).toEqual([[1, 2, 3, 4, 5]]);
  });

  it('sends a full batch at once and the rest after the delay', async () => {
    const { batches, run } = recorder();
    const b = new Batcher({ maxSize: 4, maxDelayMs: 30, maxInFlight: 2 }, run);
    const all = [1, 2, 3, 4, 5, 6].map((x) => b.submit(x));
    expect(batches).toEqual([[1, 2, 3, 4]]); // full: left without waiting
    await Promise.all(all);
    expect(batches).toEqual([[1, 2, 3, 4], [5, 6]]);
  });

  it('waits up to maxDelay for companions', async () => {
    const { batches, run } = recorder();
    const b = new Batcher({ maxSize: 8, maxDelayMs: 50, maxInFlight: 1 }, run);
    const first = b.submit(1);
    await sleep(10);
    const second = b.submit(2);
    expect(await Promise.all([first, second])).toEqual([10, 20]);
    expect(batches).toEqual([[1, 2]]);
  });

  it('gathers what arrives while a batch runs into the next one', async () => {
    const { batches, run } = recorder(40);
    const b = new Batcher({ maxSize: 16, maxDelayMs: 0, maxInFlight: 1 }, run);
    const first = b.submit(0);
    await sleep(5); // the first batch is running now
    const rest = Array.from({ length: 10 }, (_, i) => b.submit(i + 1));
    await Promise.all([first, ...rest]);
    expect(batches).toEqual([[0], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]]);
  });

  it('sends a full batch ahead while one runs, and holds a partial one until a slot frees', async () => {
    // Batches run long enough that the check below happens while they still run, on a busy machine too.
    const { batches, run } = recorder(300);
    const b = new Batcher({ maxSize: 4, maxDelayMs: 0, maxInFlight: 1 }, run);
    const full = [1, 2, 3, 4, 5, 6, 7, 8].map((x) => b.submit(x));
    expect(batches).toEqual([[1, 2, 3, 4], [5, 6, 7, 8]]); // both full: the second waits at the model
    expect(b.inFlight).toBe(2);
    const partial = b.submit(9);
    await sleep(5);
    expect(batches).toHaveLength(2); // a partial batch does not go past the limit
    expect(await Promise.all([...full, partial])).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90]);
    expect(batches).toEqual([[1, 2, 3, 4], [5, 6, 7, 8], [9]]);
    expect(b.inFlight).toBe(0);
  });

  it('rejects every item of a batch whose run throws', async () => {
    const b = new Batcher<number, number>({ maxSize: 4, maxDelayMs: 0, maxInFlight: 1 }, () => {
      throw new Error('boom');
    });
    const r = await Promise.allSettled([b.submit(1), b.submit(2)]);
    expect(r.map((x) => x.status)).toEqual(['rejected', 'rejected']);
  });
});
