import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhook } from '../../runtime/webhooks/index.ts';
import { runCli } from '../harness/cli-runner.ts';
import { findSamples, parseExposition } from '../harness/exposition.ts';
import { bundleMaker } from '../harness/bundles.ts';
import { startReceiver, type HttpReceiver } from '../harness/http-receiver.ts';
import { eventually, startPlatform, type TestPlatform } from '../harness/platform.ts';
import { QUICK_ROLLOUTS } from '../harness/quick-rollouts.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';

const GRADED = fileURLToPath(new URL('../fixtures/functions/graded/', import.meta.url));

/** Rollouts judged on 2 s windows (the platform's floor: QUICK_ROLLOUTS) of at least 20 calls of the new version. */
const FAST = { rollout: true, rolloutInterval: '2s', rolloutMinCalls: 20 } as const;

let redis: TestRedis;
let p: TestPlatform;
let rx: HttpReceiver;
let make: Awaited<ReturnType<typeof bundleMaker>>;

beforeAll(async () => {
  redis = await startTestRedis();
  rx = await startReceiver('127.0.0.1');
  p = await startPlatform(redis.url, { deploy: false, env: { ...QUICK_ROLLOUTS, AUTOGLM_ALERT_URL: `${rx.origin}/alerts` } });
  make = await bundleMaker(GRADED);
}, 120_000);
afterAll(async () => {
  await p?.stop();
  await rx?.close();
  await redis?.stop();
});

/** Calls `fn` synchronously, `concurrency` at a time, until `until` resolves; returns the statuses seen. */
async function load<T>(fn: string, until: Promise<T>, concurrency = 6): Promise<T> {
  let done = false;
  const result = until.finally(() => (done = true));
  const caller = async () => {
    while (!done) await p.call('POST', `/v1/functions/${fn}/invoke`, { input: {} }).catch(() => undefined);
  };
  const callers = Array.from({ length: concurrency }, caller);
  const r = await result;
  await Promise.all(callers);
  return r;
}

type Rollout = { state: string; weight: number; reason: string | null; applied: { kind: string; weight: number }[]; windows: { verdict: string; gates: { gate: string; ok: boolean | null }[] }[] };
const status = async (fn: string) => (await p.call('GET', `/v1/functions/${fn}/rollout`)).json as Rollout;
const ended = (fn: string) => eventually(async () => {
  const r = await status(fn);
  return ['promoted', 'rolled-back', 'aborted', 'paused'].includes(r.state) && r;
}, `the rollout of ${fn} to end`, 180_000);

/** Deploys the stable version, then starts rolling out a version with `env` (on FAST's windows unless `interval` says). */
async function rollOut(fn: string, env: Record<string, string>, interval: string = FAST.rolloutInterval) {
  const stable = make(fn, { DELAY_MS: '20', FAIL_PERCENT: '0' });
  expect((await p.api.deploy(stable.archive, stable.hash)).status).toBe(201);
  const next = make(fn, env);
  const d = await p.api.deploy(next.archive, next.hash, { ...FAST, rolloutInterval: interval });
  expect(d.status).toBe(201);
  expect(d.body.rollout).toMatchObject({ state: 'progressing', step: 0, steps: [10, 25, 50, 100] });
  return { stable: (await p.call('GET', `/v1/functions/${fn}`)).json.stable as string, version: d.body.version as string, before: d.body };
}

describe('metric-gated rollouts', () => {
  it('a version failing 20% of its calls is rolled back before 50%, naming successRate; stable serves 100% after, and the alert is signed', async () => {
    const { stable, version } = await rollOut('graded-bad', { DELAY_MS: '20', FAIL_PERCENT: '20' });
    const r = await load('graded-bad', ended('graded-bad'));
    expect(r.state).toBe('rolled-back');
    expect(Math.max(...r.applied.map((a) => a.weight))).toBeLessThan(50);
    expect(r.reason).toMatch(/successRate/);
    expect(r.windows.filter((w) => w.verdict === 'failed').at(-1)!.gates.find((g) => g.gate === 'successRate')!.ok).toBe(false);
    const fn = (await p.call('GET', '/v1/functions/graded-bad')).json;
    expect(fn.traffic.routes).toEqual([{ version: stable, weight: 100 }]);
    expect(fn.stable).toBe(stable);
    const alert = await eventually(() => rx.received.find((m) => JSON.parse(m.body).event === 'rolled-back' && JSON.parse(m.body).version === version), 'the rolled-back alert');
    const key = (await p.call('GET', '/v1/webhook-keys?namespace=default')).json.keys[0].key as string;
    expect(verifyWebhook(key, alert.headers as Record<string, string>, alert.body)).toBe(true);
    expect(JSON.parse(alert.body)).toMatchObject({ type: 'autoglm.rollout', event: 'rolled-back', function: 'graded-bad', version, stable, weight: 0 });
    const verdicts = () => rx.received.map((m) => JSON.parse(m.body)).filter((a) => a.function === 'graded-bad' && a.event === 'verdict' && a.window.verdict === 'failed');
    await eventually(() => verdicts().length === 2, 'an alert for each failed window');
    expect(verdicts()[0].window.gates.find((g: { gate: string }) => g.gate === 'successRate')).toMatchObject({ ok: false, limit: 0.99 });
    const audit = (await p.call('GET', '/v1/audit?action=rollout.rolled-back')).json;
    expect(JSON.stringify(audit)).toContain(version);
    const metrics = parseExposition((await p.call('GET', '/metrics')).json as string);
    const one = (name: string, labels: Record<string, string>) => findSamples(metrics, name, { function: 'graded-bad', namespace: 'default', version, stable, ...labels }).map((x) => x.value);
    expect(one('autoglm_rollout_state', { state: 'rolled-back' })).toEqual([1]);
    expect(one('autoglm_rollout_state', { state: 'progressing' })).toEqual([0]);
    expect(one('autoglm_rollout_failed_windows', {})).toEqual([2]);
  }, 240_000);

  it('a version as good as stable reaches 100% on its own through every planned step', async () => {
    const { version } = await rollOut('graded-good', { DELAY_MS: '20', FAIL_PERCENT: '0', BUILD: '2' });
    const r = await load('graded-good', ended('graded-good'));
    // On a failure, say which gate failed and with what (a busy machine can move a p95 ratio).
    expect(r.state, `${r.reason}: ${JSON.stringify(r.windows.filter((w) => w.verdict === 'failed'))}`).toBe('promoted');
    expect(r.applied.map((a) => a.weight)).toEqual([10, 25, 50, 100]);
    const fn = (await p.call('GET', '/v1/functions/graded-good')).json;
    expect(fn.stable).toBe(version);
    expect(fn.traffic.routes).toEqual([{ version, weight: 100 }]);
  }, 240_000);

  // The next two run together (vitest runs consecutive concurrent tests at once): one waits on
  // an hour-long window while people act, the other is judged on its answers' agreement, which
  // the other's load on the machine cannot change. The latency-judged rollouts run alone.
  it.concurrent('people steer with the CLI: a manual traffic change pauses, resume re-applies the step, abort restores the traffic exactly; bad settings name the field', async () => {
    const home = mkdtempSync(join(tmpdir(), 'autoglm-rollout-cli-'));
    const cli = (...args: string[]) => runCli({ url: p.url, token: p.adminToken, home }, args);
    try {
      const first = await cli('deploy', GRADED, '--no-typecheck', '--json');
      expect(first.code).toBe(0);
      const stable = first.json.version as string;
      const before = (await p.call('GET', '/v1/functions/graded')).json.traffic;
      // An hour-long window: nothing is judged while people act on the rollout.
      const dep = await cli('deploy', GRADED, '--no-typecheck', '--env', 'BUILD=3', '--rollout-steps', '20,60', '--rollout-interval', '1h');
      expect(dep.code).toBe(0);
      expect(dep.stdout).toContain('rolling out: steps 20, 60, 100% in windows of 3600 s; follow it with: autoglm rollout status graded');
      const version = (await p.call('GET', '/v1/functions/graded/rollout')).json.version as string;
      const text = (await cli('rollout', 'status', 'graded')).stdout;
      expect(text).toContain(`graded: PROGRESSING ${version} against stable ${stable}, at 20%`);
      expect(text).toContain('steps: [20%] → 60% → 100% (promote)');

      const moved = await p.call('PUT', '/v1/functions/graded/traffic', { routes: [{ version: stable, weight: 95 }, { version, weight: 5 }] });
      expect(moved.status).toBe(200);
      let st = (await cli('rollout', 'status', 'graded', '--json')).json;
      expect(st).toMatchObject({ state: 'paused', reason: 'traffic changed by test-admin', weight: 5 });
      st = (await cli('rollout', 'resume', 'graded', '--json')).json;
      expect(st).toMatchObject({ state: 'progressing', weight: 20, reason: null });
      expect((await cli('rollout', 'pause', 'graded', '--json')).json).toMatchObject({ state: 'paused', reason: 'paused by test-admin' });
      st = (await cli('rollout', 'abort', 'graded', '--json')).json;
      expect(st).toMatchObject({ state: 'aborted', weight: 0 });
      const after = (await p.call('GET', '/v1/functions/graded')).json.traffic;
      expect({ stable: after.stable, routes: after.routes, shadow: after.shadow }).toEqual({ stable: before.stable, routes: before.routes, shadow: before.shadow });
      const again = await cli('rollout', 'resume', 'graded');
      expect(again.code).not.toBe(0);
      expect(again.stderr).toContain("cannot resume the rollout of 'graded': it is aborted");
      const audit = JSON.stringify((await p.call('GET', '/v1/audit?function=graded')).json);
      for (const action of ['rollout.resume', 'rollout.pause', 'rollout.abort']) expect(audit).toContain(action);

      const bad = make('graded', { BUILD: '4' });
      const refused = await p.api.deploy(bad.archive, bad.hash, { rollout: true, rolloutSteps: [50, 10] }).catch((e) => e);
      expect(refused.status).toBe(400);
      expect(refused.problem).toMatchObject({ code: 'INVALID_ROLLOUT', field: 'rolloutSteps' });
      // Windows under this platform's floor (AUTOGLM_ROLLOUT_MIN_INTERVAL=2s), asked for at deploy or declared.
      const short = await p.api.deploy(bad.archive, bad.hash, { rollout: true, rolloutInterval: '1500ms' }).catch((e) => e);
      expect(short.status).toBe(400);
      expect(short.problem).toMatchObject({ code: 'INVALID_ROLLOUT', field: 'rolloutInterval', detail: 'rolloutInterval: must be between 2s and 1h' });
      const declared = make('graded', { BUILD: '4' }, { rollout: { interval: '1s' } });
      const undeclarable = await p.api.deploy(declared.archive, declared.hash, { rollout: false }).catch((e) => e);
      expect(undeclarable.status).toBe(400);
      expect(undeclarable.problem).toMatchObject({ code: 'INVALID_BUNDLE', field: 'rollout.interval' });
      expect(undeclarable.problem.detail).toContain('rollout.interval: must be between 2s and 1h');
      expect((await p.call('GET', '/v1/functions/graded/rollout')).json.version).toBe(version);
      expect((await p.call('GET', '/v1/functions/nothing-here/rollout')).status).toBe(404);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }, 120_000);

  it.concurrent('a manifest that declares a rollout rolls out without flags; its shadow step fails a version whose answers disagree, before it serves any call', async () => {
    const rollout = { shadowFirst: 50, steps: [50], interval: FAST.rolloutInterval, minCalls: 20 };
    const stable = make('graded-shadow', { DELAY_MS: '5', FAIL_PERCENT: '0' }, { rollout });
    expect((await p.api.deploy(stable.archive, stable.hash)).body.rollout).toBeUndefined();
    const next = make('graded-shadow', { DELAY_MS: '5', FAIL_PERCENT: '0', ANSWER: 'b' }, { rollout });
    const d = await p.api.deploy(next.archive, next.hash);
    expect(d.body.rollout).toMatchObject({ state: 'progressing', step: 0, steps: [50, 100] });
    expect(d.body.traffic.shadow).toEqual({ version: d.body.version, percent: 50 });
    const r = await load('graded-shadow', ended('graded-shadow'));
    expect(r.state).toBe('rolled-back');
    expect(r.reason).toMatch(/shadowAgreement 0\.0% < 95\.0%/);
    expect(r.applied.map((a) => a.kind)).toEqual(['shadow', 'rollback']);
    const fn = (await p.call('GET', '/v1/functions/graded-shadow')).json;
    expect(fn.traffic.shadow).toBeNull();
  }, 240_000);

  it('a version 3× slower fails on p95Ratio', async () => {
    await rollOut('graded-slow', { DELAY_MS: '60', FAIL_PERCENT: '0' });
    const r = await load('graded-slow', ended('graded-slow'));
    expect(r.state).toBe('rolled-back');
    expect(r.reason).toMatch(/p95Ratio/);
  }, 240_000);
});
