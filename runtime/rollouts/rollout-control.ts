import { stageOf, weightIn, type FunctionCatalog, type FunctionState, type RolloutRecord, type ShadowStats } from '../../queue/cluster/index.ts';
import { FunctionNotFoundError } from '../registry/registry-errors.ts';
import type { RolloutAlert } from './rollout-alert.ts';
import { RolloutNotActiveError, RolloutNotFoundError } from './rollout-errors.ts';
import { abortRollout, pauseRollout, resumeRollout } from './rollout-moves.ts';

export type RolloutAction = 'pause' | 'resume' | 'abort';

/** Which states each action applies to. */
const FROM: Record<RolloutAction, RolloutRecord['state'][]> = { pause: ['progressing'], resume: ['paused'], abort: ['progressing', 'paused'] };

/**
 * What people do to a rollout: pause it, resume it, abort it (the traffic from before returns at
 * once). Each is one catalogue update checked against the rollout's current state, so it cannot
 * cross a step the driver is writing.
 */
export class RolloutControl {
  constructor(
    private readonly catalog: Pick<FunctionCatalog, 'get' | 'update'>,
    private readonly shadow: Pick<ShadowStats, 'report'>,
    private readonly opts: { onChange?: (name: string, state: FunctionState | undefined) => void; send?: (alert: RolloutAlert) => Promise<void> } = {},
  ) {}

  /**
   * Applies `action` to `name`'s rollout.
   * @throws FunctionNotFoundError, RolloutNotFoundError, RolloutNotActiveError
   */
  async act(name: string, action: RolloutAction, by: string): Promise<FunctionState> {
    const now = Date.now();
    // A shadow step resumed counts its windows from the shadow counters as they are now.
    const r0 = action === 'resume' ? (await this.catalog.get(name))?.rollout : undefined;
    const mark = r0 && stageOf(r0).kind === 'shadow' ? await this.shadow.report(name, r0.version) : undefined;
    const next = await this.catalog.update(name, (cur) => {
      if (!cur) throw new FunctionNotFoundError(name);
      const r = cur.rollout;
      if (!r) throw new RolloutNotFoundError(name);
      if (!FROM[action].includes(r.state)) throw new RolloutNotActiveError(name, action, r.state);
      if (action === 'pause') return pauseRollout(cur, `paused by ${by}`, now);
      if (action === 'abort') return abortRollout(cur, by, now);
      return resumeRollout(cur, by, now, mark && r.version === r0?.version ? { samples: mark.samples, agreed: mark.agreed, shadowErrors: mark.shadowErrors } : undefined);
    });
    this.opts.onChange?.(name, next);
    const r = next!.rollout!;
    const event = action === 'pause' ? 'paused' : action === 'abort' ? 'aborted' : 'resumed';
    void this.opts.send?.({ type: 'autoglm.rollout', event, function: name, namespace: next!.namespace, version: r.version, stable: r.stable, state: r.state, stage: r.stage, weight: weightIn(next!.traffic, r.version), reason: r.reason, at: new Date(now).toISOString() }).catch(() => undefined);
    return next!;
  }
}
