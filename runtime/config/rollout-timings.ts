import { ROLLOUT_INTERVAL_RANGE, type EnvReader } from '../../functions/sdk/index.ts';

/** How a router drives rollouts, in milliseconds (see {@link rolloutTimings}). */
export interface RolloutTimings {
  /** `AUTOGLM_ROLLOUT_TICK`, default 1s (100ms to 30s, at most half the lease): how often a router renews its rollout leases and looks for ended windows. */
  readonly tickMs: number;
  /** `AUTOGLM_ROLLOUT_LEASE`, default 5s (1s to 1m): how long a rollout's lease lasts unless renewed, so how soon another router takes over from a dead driver. */
  readonly leaseMs: number;
  /** `AUTOGLM_ROLLOUT_SETTLE`, default 2.5s (1s to 1m): how long after a window ends its figures are read (routers write theirs every second). */
  readonly settleMs: number;
  /** `AUTOGLM_ROLLOUT_MIN_INTERVAL`, default 5s (1s to 1h): the shortest analysis window a deploy or a manifest may ask for. */
  readonly minIntervalMs: number;
}

/**
 * `AUTOGLM_ROLLOUT_TICK`, `AUTOGLM_ROLLOUT_LEASE`, `AUTOGLM_ROLLOUT_SETTLE`,
 * `AUTOGLM_ROLLOUT_MIN_INTERVAL`: the rollout driver's pace and the floor of a plan's window. The
 * defaults suit production; a shorter window judges fewer calls, so lower the floor only where
 * traffic fills it (a test platform).
 */
export function rolloutTimings(r: EnvReader): RolloutTimings {
  const leaseMs = r.duration('AUTOGLM_ROLLOUT_LEASE', 5_000, 1_000, 60_000);
  const tickMs = r.duration('AUTOGLM_ROLLOUT_TICK', 1_000, 100, 30_000);
  // Renewed at least twice in its life, or a lease lapses between two ticks of its live holder.
  if (tickMs > leaseMs / 2) r.errors.push(`AUTOGLM_ROLLOUT_TICK=${JSON.stringify(r.string('AUTOGLM_ROLLOUT_TICK') ?? '1s')}: at most half of AUTOGLM_ROLLOUT_LEASE (${leaseMs} ms), so a router renews its leases before they lapse`);
  return {
    tickMs,
    leaseMs,
    // At least 1 s: routers write their counts every second, so a window read sooner misses its last.
    settleMs: r.duration('AUTOGLM_ROLLOUT_SETTLE', 2_500, 1_000, 60_000),
    // Within what a manifest may say (1s to 1h: calls are counted per second).
    minIntervalMs: r.duration('AUTOGLM_ROLLOUT_MIN_INTERVAL', 5_000, ROLLOUT_INTERVAL_RANGE.min, ROLLOUT_INTERVAL_RANGE.max),
  };
}
