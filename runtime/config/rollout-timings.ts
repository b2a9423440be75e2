import { ROLLOUT_INTERVAL_RANGE, type EnvReader } from '../../functions/sdk/index.ts';

/** How a router drives rollouts, in milliseconds (see {@link rolloutTimings}). */
export interface RolloutTimings {
  /** `AUTOGLM_ROLLOUT_TICK`, default 1s (100ms to 2s): how often a router renews its rollout leases and looks for ended windows. */
  readonly tickMs: number;
  /** `AUTOGLM_ROLLOUT_SETTLE`, default 2.5s (1s to 1m): how long after a window ends its figures are read (routers write theirs every second). */
  readonly settleMs: number;
  /** `AUTOGLM_ROLLOUT_MIN_INTERVAL`, default 5s (1s to 1h): the shortest analysis window a deploy or a manifest may ask for. */
  readonly minIntervalMs: number;
}

/**
 * `AUTOGLM_ROLLOUT_TICK`, `AUTOGLM_ROLLOUT_SETTLE`, `AUTOGLM_ROLLOUT_MIN_INTERVAL`: the rollout
 * driver's pace and the floor of a plan's window. The defaults suit production; a shorter window
 * judges fewer calls, so lower the floor only where traffic fills it (a test platform).
 */
export function rolloutTimings(r: EnvReader): RolloutTimings {
  return {
    // At most 2 s: a router renews its leases (5 s) at least twice in their life.
    tickMs: r.duration('AUTOGLM_ROLLOUT_TICK', 1_000, 100, 2_000),
    // At least 1 s: routers write their counts every second, so a window read sooner misses its last.
    settleMs: r.duration('AUTOGLM_ROLLOUT_SETTLE', 2_500, 1_000, 60_000),
    // Within what a manifest may say (1s to 1h: calls are counted per second).
    minIntervalMs: r.duration('AUTOGLM_ROLLOUT_MIN_INTERVAL', 5_000, ROLLOUT_INTERVAL_RANGE.min, ROLLOUT_INTERVAL_RANGE.max),
  };
}
