import { randomUUID } from 'node:crypto';
import type { RolloutSettings } from '../../functions/sdk/index.ts';
import { stagesOf, weightOf, type FunctionState, type RolloutRecord, type RolloutState, type RolloutWindow, type ShadowMark, type TrafficTable } from '../../queue/cluster/index.ts';
import { promote } from '../registry/traffic.ts';

/** Windows kept on a rollout record: the newest, enough for the status of a long rollout. */
const WINDOWS_KEPT = 60;

/** Rollouts that still move traffic (or will, once resumed). */
export const isActive = (r: RolloutRecord | undefined): r is RolloutRecord => r?.state === 'progressing' || r?.state === 'paused';

/** Whether two tables send calls the same way (routes and shadow). */
const sameTraffic = (a: TrafficTable, b: TrafficTable) => JSON.stringify([a.routes, a.shadow]) === JSON.stringify([b.routes, b.shadow]);

/** The traffic of `s` with `r`'s stage `stage` in force. */
function trafficAt(s: FunctionState, r: RolloutRecord, stage: number, by: string, now: number): TrafficTable {
  const st = stagesOf(r.plan)[stage]!;
  const t = s.traffic;
  if (st.kind === 'promote') return { ...promote(s, r.version, by), updatedAt: now };
  if (st.kind === 'shadow') return { ...t, stable: r.stable, routes: [{ version: r.stable, weight: 100 }], shadow: { version: r.version, percent: st.percent }, updatedAt: now, updatedBy: by };
  // Stable first: as the weight rises only keys on the stable version move, so a routing key
  // that reached the new version stays there.
  return { ...t, stable: r.stable, routes: [{ version: r.stable, weight: 100 - st.weight }, { version: r.version, weight: st.weight }], shadow: null, updatedAt: now, updatedBy: by };
}

/** `s` with `r` at `stage`: traffic set and the step recorded as applied. */
function enter(s: FunctionState, r: RolloutRecord, stage: number, by: string, now: number, shadowMark?: ShadowMark): FunctionState {
  const st = stagesOf(r.plan)[stage]!;
  const next: RolloutRecord = {
    ...r,
    stage,
    state: st.kind === 'promote' ? 'promoted' : r.state,
    windowFrom: now,
    waits: 0,
    applied: [...r.applied, { stage, kind: st.kind, weight: weightOf(st), at: now, by }],
    updatedAt: now,
    ...(st.kind === 'promote' ? { reason: 'every step passed its gates' } : {}),
  };
  if (shadowMark) next.shadowMark = shadowMark;
  else delete next.shadowMark;
  return { ...s, traffic: trafficAt(s, r, stage, by, now), rollout: next };
}

/** `s` with the traffic from before `r` restored exactly, and `r` ended as `state`. */
function restore(s: FunctionState, r: RolloutRecord, state: RolloutState, reason: string, by: string, now: number): FunctionState {
  const traffic: TrafficTable = { ...r.before, updatedAt: now, updatedBy: by };
  return { ...s, traffic, rollout: { ...r, state, reason, updatedAt: now, applied: [...r.applied, { stage: r.stage, kind: 'rollback', weight: 0, at: now, by }] } };
}

/**
 * Starts rolling `version` out (at deploy): its first stage is applied at once. A rollout still
 * running for another version is ended first, its traffic restored, so the new one starts from
 * the stable version. With no stable version to compare with, `version` is promoted.
 */
export function startRollout(s: FunctionState, version: string, plan: RolloutSettings, by: string, now: number, shadowMark?: ShadowMark): FunctionState {
  let base = s;
  if (isActive(s.rollout) && s.rollout.version !== version) base = restore(s, s.rollout, 'aborted', `superseded by a rollout of ${version}`, by, now);
  const stable = base.traffic.stable;
  if (!stable || stable === version) return { ...base, traffic: promote(base, version, by) };
  const t = base.traffic;
  const r: RolloutRecord = {
    id: randomUUID(),
    version,
    stable,
    plan,
    state: 'progressing',
    stage: 0,
    windowFrom: now,
    waits: 0,
    failures: 0,
    windows: [],
    applied: [],
    before: { stable: t.stable, routes: t.routes, shadow: t.shadow, history: t.history },
    reason: null,
    startedAt: now,
    startedBy: by,
    updatedAt: now,
    fence: 0,
  };
  return enter(base, r, 0, by, now, shadowMark);
}

/**
 * The rollout after window `w` was judged: passed moves to the next stage (the last one
 * promotes), failed counts toward `failureLimit` (reached: the traffic from before returns),
 * waiting counts toward `waitLimit` (reached: the rollout pauses).
 */
export function afterWindow(s: FunctionState, w: RolloutWindow, by: string, fence: number, now: number, nextMark?: ShadowMark): FunctionState {
  const r0 = s.rollout!;
  const r: RolloutRecord = { ...r0, windows: [...r0.windows, w].slice(-WINDOWS_KEPT), fence, updatedAt: now };
  if (nextMark) r.shadowMark = nextMark;
  if (w.verdict === 'passed') return enter(s, r, r.stage + 1, by, now);
  if (w.verdict === 'failed') {
    const failures = r.failures + 1;
    if (failures >= r.plan.failureLimit) return restore(s, { ...r, failures }, 'rolled-back', `${failures} failed window${failures > 1 ? 's' : ''}: ${w.reason}`, by, now);
    return { ...s, rollout: { ...r, failures, waits: 0, windowFrom: w.to } };
  }
  const waits = r.waits + 1;
  if (waits >= r.plan.waitLimit) return { ...s, rollout: { ...r, waits, windowFrom: w.to, state: 'paused', reason: `${waits} windows in a row without a verdict: ${w.reason}` } };
  return { ...s, rollout: { ...r, waits, windowFrom: w.to } };
}

/** Holds the rollout where it is (`reason`: who or what paused it). */
export function pauseRollout(s: FunctionState, reason: string, now: number): FunctionState {
  return { ...s, rollout: { ...s.rollout!, state: 'paused', reason, updatedAt: now } };
}

/**
 * Moves a paused rollout on again from its current stage, with a fresh window; the stage's
 * traffic is applied again only if something else changed it meanwhile.
 */
export function resumeRollout(s: FunctionState, by: string, now: number, shadowMark?: ShadowMark): FunctionState {
  const r: RolloutRecord = { ...s.rollout!, state: 'progressing', reason: null, windowFrom: now, waits: 0, updatedAt: now };
  if (sameTraffic(trafficAt(s, r, r.stage, by, now), s.traffic)) return { ...s, rollout: shadowMark ? { ...r, shadowMark } : r };
  return enter(s, r, r.stage, by, now, shadowMark);
}

/** Ends the rollout now, restoring the traffic from before it. */
export function abortRollout(s: FunctionState, by: string, now: number): FunctionState {
  return restore(s, s.rollout!, 'aborted', `aborted by ${by}`, by, now);
}

/**
 * `next` (a traffic change someone made by hand, or a deploy's), with a progressing rollout of
 * `prev` paused when the change moved its traffic: a person took the wheel.
 */
export function pausedByChange(prev: FunctionState, next: FunctionState, by: string, now: number): FunctionState {
  const r = next.rollout;
  if (r?.state !== 'progressing') return next;
  return sameTraffic(prev.traffic, next.traffic) ? next : pauseRollout(next, `traffic changed by ${by}`, now);
}
