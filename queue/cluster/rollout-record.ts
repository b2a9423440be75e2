import type { RolloutSettings } from '../../functions/sdk/index.ts';
import type { TrafficTable } from './function-catalog.ts';

/** Where a rollout is: moving on its own, held, or ended one of three ways. */
export type RolloutState = 'progressing' | 'paused' | 'promoted' | 'rolled-back' | 'aborted';

/** One stage of a plan: a shadow step, a canary step at `weight` percent, or the promotion. */
export type RolloutStage = { kind: 'shadow'; percent: number } | { kind: 'canary'; weight: number } | { kind: 'promote' };

/** One gate's reading in a window: `ok` null when there was nothing to judge it on. */
export interface GateReading {
  gate: 'successRate' | 'p95Ratio' | 'shadowAgreement' | 'feedbackDrop';
  value: number | null;
  limit: number;
  ok: boolean | null;
}

/** One analysis window of a rollout and what it decided. */
export interface RolloutWindow {
  stage: number;
  from: number;
  to: number;
  /** The new version's calls (shadowed calls in a shadow step) and its failed ones. */
  calls: number;
  failed: number;
  /** The stable version's calls in the same window. */
  stableCalls: number;
  /** p95 of synchronous calls, seconds; null without any. */
  p95: number | null;
  stableP95: number | null;
  gates: GateReading[];
  /** `passed` moves on, `failed` counts toward the limit, `waiting`: too few calls, or a gate without data. */
  verdict: 'passed' | 'failed' | 'waiting';
  reason: string;
}

/** One traffic change a rollout made: what the "exactly once" of each step is checked against. */
export interface AppliedStep {
  stage: number;
  kind: RolloutStage['kind'] | 'rollback';
  weight: number;
  at: number;
  /** The router that made it. */
  by: string;
}

/** Shadow-report counters at a window's start: a shadow window's figures are the difference. */
export interface ShadowMark {
  samples: number;
  agreed: number;
  shadowErrors: number;
}

/**
 * A function's rollout, kept on its catalogue record so a traffic step and the rollout's own
 * progress change in one atomic write (no step applied twice, whichever router writes).
 */
export interface RolloutRecord {
  /** Random per rollout: a driver's write for an older rollout is refused. */
  id: string;
  /** The new version, and the stable one it is compared with. */
  version: string;
  stable: string;
  plan: RolloutSettings;
  state: RolloutState;
  /** Index into the plan's stages (`stagesOf(plan)`) of the step in force. */
  stage: number;
  /** When the window being counted began. */
  windowFrom: number;
  /** Windows in a row without a verdict, and failed windows over the rollout. */
  waits: number;
  failures: number;
  windows: RolloutWindow[];
  applied: AppliedStep[];
  /** The traffic before the rollout: a rollback restores it as it was. */
  before: Pick<TrafficTable, 'stable' | 'routes' | 'shadow' | 'history'>;
  shadowMark?: ShadowMark;
  reason: string | null;
  startedAt: number;
  startedBy: string;
  updatedAt: number;
  /** Fencing token of the last driver that wrote: a lower one (a driver that lost its lease) is refused. */
  fence: number;
}

/** The stages of a plan: an optional shadow step, the canary steps below 100, the promotion. */
export function stagesOf(plan: RolloutSettings): RolloutStage[] {
  return [
    ...(plan.shadowFirst ? [{ kind: 'shadow' as const, percent: plan.shadowFirst }] : []),
    ...plan.steps.filter((w) => w < 100).map((weight) => ({ kind: 'canary' as const, weight })),
    { kind: 'promote' as const },
  ];
}

/** The stage of `r` in force. */
export const stageOf = (r: Pick<RolloutRecord, 'plan' | 'stage'>): RolloutStage => stagesOf(r.plan)[r.stage]!;

/** The share of calls `version` gets in `traffic`, percent (0 when it has no route). */
export const weightIn = (traffic: Pick<TrafficTable, 'routes'>, version: string): number => traffic.routes.find((r) => r.version === version)?.weight ?? 0;

/** The new version's share of calls at `stage`: 0 in a shadow step. */
export const weightOf = (stage: RolloutStage): number => (stage.kind === 'canary' ? stage.weight : stage.kind === 'promote' ? 100 : 0);
