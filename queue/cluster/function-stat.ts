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

/** `into` += `from`, bucket by bucket (same bounds). */
export function addCounts(into: BucketCounts, from: BucketCounts): void {
  from.counts.forEach((n, i) => (into.counts[i] = (into.counts[i] ?? 0) + n));
  into.sum += from.sum;
  into.count += from.count;
}

/**
 * The `q` quantile (0–1) of a histogram, interpolated within its bucket as Prometheus'
 * `histogram_quantile` does; the highest finite bound when it falls in the +Inf bucket;
 * undefined when empty.
 */
export function quantileOf(c: BucketCounts, bounds: readonly number[], q: number): number | undefined {
  if (c.count === 0) return undefined;
  const rank = q * c.count;
  let below = 0;
  for (let i = 0; i < c.counts.length; i++) {
    const n = c.counts[i]!;
    if (below + n >= rank && n > 0) {
      if (i >= bounds.length) return bounds.at(-1);
      const lower = i === 0 ? 0 : bounds[i - 1]!;
      return lower + (bounds[i]! - lower) * ((rank - below) / n);
    }
    below += n;
  }
  return bounds.at(-1);
}

/** One version's figures summed over workers, and read for people (see {@link FunctionStat}). */
export interface VersionRunStats {
  /** Live workers that have run it since they started. */
  workers: number;
  ok: number;
  failed: number;
  /** Handler calls, and items per call on average. */
  batches: number;
  meanBatchSize: number;
  /** Handler call length and each item's wait before its call, ms (estimated from histogram buckets). */
  runP50Ms?: number;
  runP95Ms?: number;
  queueP50Ms?: number;
  queueP95Ms?: number;
}

/** Sums one version's figures over the workers that report it; undefined when none does. */
export function versionRunStats(stats: readonly FunctionStat[]): VersionRunStats | undefined {
  if (stats.length === 0) return undefined;
  const run = emptyCounts(SECONDS_BOUNDS);
  const queue = emptyCounts(SECONDS_BOUNDS);
  const size = emptyCounts(BATCH_SIZE_BOUNDS);
  let ok = 0;
  let failed = 0;
  for (const s of stats) {
    addCounts(run, s.runSeconds);
    addCounts(queue, s.queueSeconds);
    addCounts(size, s.batchSize);
    ok += s.ok;
    failed += s.failed;
  }
  // Seconds to ms, one decimal.
  const ms = (c: BucketCounts, q: number) => {
    const v = quantileOf(c, SECONDS_BOUNDS, q);
    return v === undefined ? undefined : Math.round(v * 10_000) / 10;
  };
  const out: VersionRunStats = { workers: stats.length, ok, failed, batches: size.count, meanBatchSize: size.count ? Math.round((size.sum / size.count) * 10) / 10 : 0 };
  for (const [key, c, q] of [['runP50Ms', run, 0.5], ['runP95Ms', run, 0.95], ['queueP50Ms', queue, 0.5], ['queueP95Ms', queue, 0.95]] as const) {
    const v = ms(c, q);
    if (v !== undefined) out[key] = v;
  }
  return out;
}
