import { ROLLOUT_DEFAULTS, rolloutSchema, type RolloutSettings } from '../../functions/sdk/index.ts';
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

/**
 * A rollout's plan: the manifest's `rollout` section (or the defaults), with the deploy's flags
 * over it, checked as the manifest's section is.
 * @throws InvalidRolloutError naming the first field out of range
 */
export function rolloutPlan(declared: RolloutSettings | undefined, o: RolloutOverrides): RolloutSettings {
  const base = declared ?? { ...ROLLOUT_DEFAULTS, steps: [...ROLLOUT_DEFAULTS.steps], gates: { ...ROLLOUT_DEFAULTS.gates } };
  const r = rolloutSchema.safeParse({ ...base, ...o });
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const top = String(issue.path[0] ?? 'rollout');
    throw new InvalidRolloutError(QUERY_NAME[top] ?? `rollout.${issue.path.join('.')}`, issue.message);
  }
  return r.data;
}
