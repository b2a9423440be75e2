import { ROLLOUT_DEFAULTS, ROLLOUT_INTERVAL_RANGE, rolloutSchema, type RolloutSettings } from '../../functions/sdk/index.ts';
import { InvalidRolloutError } from './rollout-errors.ts';

/** What a deploy's flags set of a rollout (`autoglm deploy --rollout-steps 5,50,100 …`). */
export interface RolloutOverrides {
  steps?: number[];
  /** ms */
  interval?: number;
  minCalls?: number;
  shadowFirst?: number;
}

/** Query names of the overrides, for errors that name what the caller sent. */
const QUERY_NAME: Record<string, string> = { steps: 'rolloutSteps', interval: 'rolloutInterval', minCalls: 'rolloutMinCalls', shadowFirst: 'shadowFirst' };

/** The platform's floor of a rollout's window (`AUTOGLM_ROLLOUT_MIN_INTERVAL`) when none is given, ms. */
const MIN_ROLLOUT_INTERVAL_MS = 5_000;

/**
 * Why a window of `ms` is refused on a platform whose floor is `minMs`, or undefined when it is
 * not: what the manifest's schema allows (1s to 1h), and no shorter than the floor.
 */
export function intervalIssue(ms: number, minMs = MIN_ROLLOUT_INTERVAL_MS): string | undefined {
  const min = Math.max(minMs, ROLLOUT_INTERVAL_RANGE.min);
  return ms < min || ms > ROLLOUT_INTERVAL_RANGE.max ? `must be between ${min / 1000}s and 1h` : undefined;
}

/**
 * A rollout's plan: the manifest's `rollout` section (or the defaults), with the deploy's flags
 * over it, checked as the manifest's section is and against the platform's shortest window
 * (`minIntervalMs`, `AUTOGLM_ROLLOUT_MIN_INTERVAL`).
 * @throws InvalidRolloutError naming the first field out of range
 */
export function rolloutPlan(declared: RolloutSettings | undefined, o: RolloutOverrides, minIntervalMs = MIN_ROLLOUT_INTERVAL_MS): RolloutSettings {
  const base = declared ?? { ...ROLLOUT_DEFAULTS, steps: [...ROLLOUT_DEFAULTS.steps], gates: { ...ROLLOUT_DEFAULTS.gates } };
  // The platform's range first: the schema's own (from 1s) would name a floor this platform does not have.
  const asked = o.interval === undefined ? undefined : intervalIssue(o.interval, minIntervalMs);
  if (asked) throw new InvalidRolloutError(QUERY_NAME.interval!, asked);
  const r = rolloutSchema.safeParse({ ...base, ...o });
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const top = String(issue.path[0] ?? 'rollout');
    throw new InvalidRolloutError(QUERY_NAME[top] ?? `rollout.${issue.path.join('.')}`, issue.message);
  }
  const declaredIssue = intervalIssue(r.data.interval, minIntervalMs);
  if (declaredIssue) throw new InvalidRolloutError('rollout.interval', declaredIssue);
  return r.data;
}
