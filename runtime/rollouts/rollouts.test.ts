import { describe, expect, it } from 'vitest';
import { emptyVersionCalls, stagesOf, type FunctionState, type RolloutWindow } from '../../queue/cluster/index.ts';
import { emptyTraffic, pickVersion, promote, setWeights } from '../registry/traffic.ts';
import { judgeWindow } from './rollout-analysis.ts';
import { abortRollout, afterWindow, pausedByChange, resumeRollout, startRollout } from './rollout-moves.ts';
import { intervalIssue, rolloutPlan } from './rollout-plan.ts';

const state = (versions: string[]): FunctionState => ({
  name: 'f',
  namespace: 'default',
  createdAt: 0,
  versions: Object.fromEntries(versions.map((v) => [v, { version: v, hash: v, manifest: {} as never, size: 0, createdAt: 0, createdBy: 't' }])),
  traffic: emptyTraffic('t'),
});
const withStable = (s: FunctionState, v: string): FunctionState => ({ ...s, traffic: promote(s, v, 't') });
const plan = rolloutPlan(undefined, { steps: [10, 50], interval: 10_000, minCalls: 10 });
const window = (verdict: RolloutWindow['verdict'], stage: number, to: number): RolloutWindow => ({ stage, from: to - 10_000, to, calls: 10, failed: 0, stableCalls: 90, p95: 0.01, stableP95: 0.01, gates: [], verdict, reason: verdict });

describe('rollout moves', () => {
  it('steps through the plan, each step applied once, and promotes at 100', () => {
    let s = startRollout(withStable(state(['a', 'b']), 'a'), 'b', plan, 'dev', 1_000);
    expect(s.traffic.routes).toEqual([{ version: 'a', weight: 90 }, { version: 'b', weight: 10 }]);
    s = afterWindow(s, window('passed', 0, 11_000), 'r1', 1, 13_000);
    expect(s.traffic.routes).toEqual([{ version: 'a', weight: 50 }, { version: 'b', weight: 50 }]);
    s = afterWindow(s, window('passed', 1, 23_000), 'r1', 1, 25_000);
    expect(s.rollout!.state).toBe('promoted');
    expect(s.traffic).toMatchObject({ stable: 'b', routes: [{ version: 'b', weight: 100 }], history: ['a'] });
    expect(s.rollout!.applied.map((a) => [a.kind, a.weight])).toEqual([['canary', 10], ['canary', 50], ['promote', 100]]);
  });

  it('a routing key on the new version stays there as its weight rises', () => {
    let s = startRollout(withStable(state(['a', 'b']), 'a'), 'b', plan, 'dev', 0);
    const keys = Array.from({ length: 500 }, (_, i) => `customer-${i}`);
    const onNew = keys.filter((k) => pickVersion(s.traffic, k) === 'b');
    s = afterWindow(s, window('passed', 0, 10_000), 'r1', 1, 10_000);
    expect(onNew.length).toBeGreaterThan(0);
    expect(onNew.every((k) => pickVersion(s.traffic, k) === 'b')).toBe(true);
  });

  it('failureLimit failed windows restore the traffic from before exactly, routing keys where they were', () => {
    // Before the rollout: a split someone set by hand, and a shadow.
    let s0 = withStable(state(['a', 'b', 'c']), 'a');
    s0 = { ...s0, traffic: { ...setWeights(s0, [{ version: 'a', weight: 70 }, { version: 'c', weight: 30 }], 't'), shadow: { version: 'c', percent: 5 } } };
    let s = startRollout(s0, 'b', plan, 'dev', 0);
    s = afterWindow(s, window('failed', 0, 10_000), 'r1', 1, 10_000);
    expect(s.rollout!.state).toBe('progressing');
    expect(s.rollout!.failures).toBe(1);
    s = afterWindow(s, window('failed', 0, 20_000), 'r1', 1, 20_000);
    expect(s.rollout!.state).toBe('rolled-back');
    expect(s.traffic).toMatchObject({ stable: s0.traffic.stable, routes: s0.traffic.routes, shadow: s0.traffic.shadow, history: s0.traffic.history });
    const keys = Array.from({ length: 200 }, (_, i) => `k${i}`);
    expect(keys.map((k) => pickVersion(s.traffic, k))).toEqual(keys.map((k) => pickVersion(s0.traffic, k)));
  });

  it('waitLimit windows without a verdict pause the rollout, with the reason', () => {
    let s = startRollout(withStable(state(['a', 'b']), 'a'), 'b', { ...rolloutPlan(undefined, {}), waitLimit: 2 }, 'dev', 0);
    s = afterWindow(s, window('waiting', 0, 60_000), 'r1', 1, 60_000);
    expect(s.rollout!.state).toBe('progressing');
    s = afterWindow(s, { ...window('waiting', 0, 120_000), reason: '3 calls of b in the window, fewer than minCalls 200' }, 'r1', 1, 120_000);
    expect(s.rollout!.state).toBe('paused');
    expect(s.rollout!.reason).toMatch(/2 windows in a row without a verdict: 3 calls/);
  });

  it('a traffic change by hand pauses a progressing rollout; resume applies its step again; abort restores', () => {
    const s0 = withStable(state(['a', 'b']), 'a');
    const s = startRollout(s0, 'b', plan, 'dev', 0);
    const moved = pausedByChange(s, { ...s, traffic: setWeights(s, [{ version: 'a', weight: 100 }], 'ops') }, 'ops', 5);
    expect(moved.rollout).toMatchObject({ state: 'paused', reason: 'traffic changed by ops' });
    const same = pausedByChange(s, { ...s }, 'ops', 5);
    expect(same.rollout!.state).toBe('progressing');
    const resumed = resumeRollout(moved, 'ops', 10);
    expect(resumed.rollout!.state).toBe('progressing');
    expect(resumed.traffic.routes).toEqual([{ version: 'a', weight: 90 }, { version: 'b', weight: 10 }]);
    const aborted = abortRollout(resumed, 'ops', 20);
    expect(aborted.rollout).toMatchObject({ state: 'aborted', reason: 'aborted by ops' });
    expect(aborted.traffic.routes).toEqual(s0.traffic.routes);
  });

  it('a new rollout supersedes a running one, starting from the traffic before it; a first version is promoted', () => {
    let s = startRollout(withStable(state(['a', 'b', 'c']), 'a'), 'b', plan, 'dev', 0);
    s = startRollout(s, 'c', plan, 'dev', 1);
    expect(s.rollout).toMatchObject({ version: 'c', stable: 'a', state: 'progressing' });
    expect(s.traffic.routes).toEqual([{ version: 'a', weight: 90 }, { version: 'c', weight: 10 }]);
    const first = startRollout(state(['a']), 'a', plan, 'dev', 0);
    expect(first.rollout).toBeUndefined();
    expect(first.traffic.stable).toBe('a');
  });

  it('a shadow step first mirrors calls without serving them', () => {
    const s = startRollout(withStable(state(['a', 'b']), 'a'), 'b', rolloutPlan(undefined, { shadowFirst: 20 }), 'dev', 0);
    expect(s.traffic.routes).toEqual([{ version: 'a', weight: 100 }]);
    expect(s.traffic.shadow).toEqual({ version: 'b', percent: 20 });
    expect(stagesOf(s.rollout!.plan).map((x) => x.kind)).toEqual(['shadow', 'canary', 'canary', 'canary', 'promote']);
  });
});

describe('rollout analysis', () => {
  const calls = (n: number, failed: number, seconds: number) => {
    const c = emptyVersionCalls();
    c.calls = n;
    c.failed = failed;
    // Every call in the bucket holding `seconds`.
    const i = c.latency.counts.findIndex((_, b) => b >= Math.ceil(4 * Math.log2(seconds * 1000)) + 4);
    c.latency.counts[i] = n;
    c.latency.count = n;
    return c;
  };
  const s = startRollout(withStable(state(['a', 'b']), 'a'), 'b', rolloutPlan(undefined, { minCalls: 100 }), 'dev', 0);

  it('passes a version as good as stable', () => {
    expect(judgeWindow(s.rollout!, 0, 1, { candidate: calls(200, 0, 0.02), stable: calls(1800, 1, 0.02) }).verdict).toBe('passed');
  });
  it('fails on successRate, naming the figures', () => {
    const w = judgeWindow(s.rollout!, 0, 1, { candidate: calls(200, 40, 0.02), stable: calls(1800, 0, 0.02) });
    expect(w.verdict).toBe('failed');
    expect(w.reason).toBe('successRate 80.0% < 99.0% (40 of 200 calls failed)');
  });
  it('fails a version 3× slower on p95Ratio', () => {
    const w = judgeWindow(s.rollout!, 0, 1, { candidate: calls(200, 0, 0.06), stable: calls(1800, 0, 0.02) });
    expect(w.verdict).toBe('failed');
    expect(w.gates.find((g) => g.gate === 'p95Ratio')!.value).toBeGreaterThan(2.5);
    expect(w.reason).toMatch(/^p95Ratio \d\.\d\d > 1\.5 \(p95 \d+\.\d ms against stable \d+\.\d ms\)$/);
  });
  it('waits on too few calls, and on no stable calls to compare with: never promotes on them', () => {
    expect(judgeWindow(s.rollout!, 0, 1, { candidate: calls(99, 0, 0.02), stable: calls(1800, 0, 0.02) }).verdict).toBe('waiting');
    expect(judgeWindow(s.rollout!, 0, 1, { candidate: calls(200, 0, 0.02), stable: emptyVersionCalls() }).verdict).toBe('waiting');
  });
  it('judges feedback once both versions have enough, failing a drop above the gate', () => {
    const fb = (cand: number, stable: number) => ({ candidate: { count: 50, score: cand }, stable: { count: 50, score: stable } });
    expect(judgeWindow(s.rollout!, 0, 1, { candidate: calls(200, 0, 0.02), stable: calls(1800, 0, 0.02), feedback: fb(0.9, 0.95) }).reason).toMatch(/^feedbackDrop 0\.050 > 0\.02$/);
    expect(judgeWindow(s.rollout!, 0, 1, { candidate: calls(200, 0, 0.02), stable: calls(1800, 0, 0.02), feedback: fb(0.94, 0.95) }).verdict).toBe('passed');
    expect(judgeWindow(s.rollout!, 0, 1, { candidate: calls(200, 0, 0.02), stable: calls(1800, 0, 0.02), feedback: { candidate: { count: 3, score: 0 }, stable: { count: 50, score: 1 } } }).verdict).toBe('passed');
  });
});

describe('rollout plan', () => {
  it('takes the manifest section with the flags over it, adding the promotion step', () => {
    expect(rolloutPlan(undefined, {})).toMatchObject({ steps: [10, 25, 50, 100], interval: 60_000, minCalls: 200, failureLimit: 2 });
    expect(rolloutPlan(rolloutPlan(undefined, { minCalls: 5 }), { steps: [5, 50] }).steps).toEqual([5, 50, 100]);
    expect(rolloutPlan(rolloutPlan(undefined, { minCalls: 5 }), { steps: [5, 50] }).minCalls).toBe(5);
  });
  it('names the field out of range as the deploy query does', () => {
    expect(() => rolloutPlan(undefined, { steps: [50, 10] })).toThrow(/^rolloutSteps: must rise/);
    expect(() => rolloutPlan(undefined, { interval: 1_000 })).toThrow(/^rolloutInterval: must be between 5s and 1h/);
  });
  it("refuses windows under the platform's floor (AUTOGLM_ROLLOUT_MIN_INTERVAL), naming where the window came from", () => {
    expect(rolloutPlan(undefined, { interval: 2_000 }, 2_000).interval).toBe(2_000);
    expect(() => rolloutPlan(undefined, { interval: 1_500 }, 2_000)).toThrow(/^rolloutInterval: must be between 2s and 1h$/);
    // Under the schema's own floor too, the platform's is named.
    expect(() => rolloutPlan(undefined, { interval: 500 }, 5_000)).toThrow(/^rolloutInterval: must be between 5s and 1h$/);
    const declared = rolloutPlan(undefined, { interval: 2_000 }, 1_000);
    expect(() => rolloutPlan(declared, {}, 5_000)).toThrow(/^rollout\.interval: must be between 5s and 1h$/);
    expect(rolloutPlan(declared, { interval: 10_000 }, 5_000).interval).toBe(10_000);
    expect([intervalIssue(4_999), intervalIssue(5_000), intervalIssue(1_000, 1_000), intervalIssue(3_600_001, 1_000)]).toEqual(['must be between 5s and 1h', undefined, undefined, 'must be between 1s and 1h']);
  });
});
