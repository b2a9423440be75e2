/**
 * Per function version figures a worker reports in its heartbeat, as Triton reports per model:
 * how many items ran, in how many handler calls (batches) of what size, how long the calls took,
 * and how long items waited before theirs began. The router turns them into Prometheus series.
 */

/** Upper bounds of the batch size histogram: powers of two up to the largest `batching.maxSize`. */
export const BATCH_SIZE_BOUNDS: readonly number[] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096];

/** Upper bounds of the run and queue histograms, seconds: from a small model's batch to a long job. */
export const SECONDS_BOUNDS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * A histogram as it travels: one count per bound (observations ≤ it and above the one before),
 * then one for the rest (+Inf); not cumulative. Plus the observations' sum and number.
 */
export interface BucketCounts {
  counts: number[];
  sum: number;
  count: number;
}

/** One function version's figures in one worker since the worker started. */
export interface FunctionStat {
  function: string;
  version: string;
  /** Items whose handler call gave them an output. */
  ok: number;
  /** Items that ended in an error: their own, their batch's, or their version's failing to load. */
  failed: number;
  /** Items per handler call: its `_count` is the number of calls (batches). */
  batchSize: BucketCounts;
  /** Length of each handler call, seconds. */
  runSeconds: BucketCounts;
  /** Per item: from the job's submission to the start of its handler call (queue, then batcher), seconds. */
  queueSeconds: BucketCounts;
}

export function emptyCounts(bounds: readonly number[]): BucketCounts {
  return { counts: new Array<number>(bounds.length + 1).fill(0), sum: 0, count: 0 };
}

export function observe(into: BucketCounts, bounds: readonly number[], value: number): void {
  let i = 0;
  while (i < bounds.length && value > bounds[i]!) i++;
  into.counts[i]!++;
  into.sum += value;
  into.count++;
}
