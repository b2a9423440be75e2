import { afterEach, describe, expect, it, vi } from 'vitest';
import { Batcher, batchPlan } from './batcher.ts';

/** Lets the event loop turn `n` times: the batcher sends a batch due now on the next turn (setImmediate). */
const turns = async (n = 3) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

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
  afterEach(() => {
    vi.useRealTimers();
  });

  function recorder() {
    const batches: number[][] = [];
    const run = async (items: number[]) => {
      batches.push(items);
      return items.map((x) => x * 10);
    };
    return { batches, run };
  }

  /** A model whose batches run until the test calls `finish()`: "while a batch runs" needs no clock. */
  function heldModel() {
    const batches: number[][] = [];
    const running: (() => void)[] = [];
    const run = (items: number[]) => {
      batches.push(items);
      return new Promise<number[]>((resolve) => running.push(() => resolve(items.map((x) => x * 10))));
    };
    return { batches, run, finish: () => running.splice(0).forEach((f) => f()) };
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

  it('waits up to maxDelay for companions, and no longer', async () => {
    // The batcher's clock (Date.now, setTimeout) is the test's: 10 ms pass only when the test says so.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { batches, run } = recorder();
    const b = new Batcher({ maxSize: 8, maxDelayMs: 50, maxInFlight: 1 }, run);
    const first = b.submit(1);
    await vi.advanceTimersByTimeAsync(10);
    const second = b.submit(2);
    await vi.advanceTimersByTimeAsync(39);
    expect(batches).toEqual([]); // 49 ms: still gathering
    await vi.advanceTimersByTimeAsync(1);
    expect(await Promise.all([first, second])).toEqual([10, 20]);
    expect(batches).toEqual([[1, 2]]);
  });

  it('sends a batch headed by a solo item once the turn is over, with what arrived in it', async () => {
    // Fake clock: no time passes, so only the end of the turn can send this batch.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { batches, run } = recorder();
    const b = new Batcher({ maxSize: 8, maxDelayMs: 3_600_000, maxInFlight: 1 }, run);
    const lone = [b.submit(1, true), b.submit(2)];
    expect(batches).toEqual([]); // not within the turn: items of the same turn go together
    expect(await Promise.all(lone)).toEqual([10, 20]);
    expect(batches).toEqual([[1, 2]]);
    // An item that is not solo waits for companions, as before.
    const later = b.submit(3);
    await turns();
    expect(batches).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(await later).toBe(30);
    expect(batches).toEqual([[1, 2], [3]]);
  });

  it('gathers what arrives while a batch runs into the next one', async () => {
    const { batches, run, finish } = heldModel();
    const b = new Batcher({ maxSize: 16, maxDelayMs: 0, maxInFlight: 1 }, run);
    const first = b.submit(0);
    await turns();
    expect(batches).toEqual([[0]]); // the first batch is running now, until finish()
    const rest = Array.from({ length: 10 }, (_, i) => b.submit(i + 1));
    await turns();
    expect(batches).toEqual([[0]]);
    finish();
    expect(await first).toBe(0);
    while (batches.length < 2) await turns(1);
    finish();
    expect(await Promise.all(rest)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(batches).toEqual([[0], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]]);
  });

  it('sends a full batch ahead while one runs, and holds a partial one until a slot frees', async () => {
    const { batches, run, finish } = heldModel();
    const b = new Batcher({ maxSize: 4, maxDelayMs: 0, maxInFlight: 1 }, run);
    const full = [1, 2, 3, 4, 5, 6, 7, 8].map((x) => b.submit(x));
    expect(batches).toEqual([[1, 2, 3, 4], [5, 6, 7, 8]]); // both full: the second waits at the model
    expect(b.inFlight).toBe(2);
    const partial = b.submit(9);
    await turns();
    expect(batches).toHaveLength(2); // a partial batch does not go past the limit
    finish();
    while (batches.length < 3) await turns(1);
    finish();
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
