import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleMaker, type TestBundle } from '../harness/bundles.ts';
import { eventually, startPlatform, type TestPlatform } from '../harness/platform.ts';
import { QUICK_ROLLOUTS } from '../harness/quick-rollouts.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';

/**
 * The rollout's feedback gate on real feedback: a new version as fast and as reliable as stable,
 * but whose answers people judge wrong while stable's are judged right, is rolled back on
 * `feedbackDrop`. Every call is judged as soon as it is answered, by its own (item) id.
 */
const GRADED = fileURLToPath(new URL('../fixtures/functions/graded/', import.meta.url));

let redis: TestRedis;
let p: TestPlatform;
let make: (name: string, env?: Record<string, string>) => TestBundle;

beforeAll(async () => {
  redis = await startTestRedis();
  p = await startPlatform(redis.url, { deploy: false, env: { ...QUICK_ROLLOUTS } });
  make = await bundleMaker(GRADED);
}, 120_000);
afterAll(async () => {
  await p?.stop();
  await redis?.stop();
});

describe('rollout feedback gate', () => {
  it('a version judged worse than stable is rolled back on feedbackDrop, though its calls succeed as fast', async () => {
    const stable = make('judged', { DELAY_MS: '20', FAIL_PERCENT: '0' });
    expect((await p.api.deploy(stable.archive, stable.hash)).status).toBe(201);
    const stableVersion = (await p.call('GET', '/v1/functions/judged')).json.stable as string;
    // The same code under other settings: a new version, its answers as good by every figure but people's.
    const next = make('judged', { DELAY_MS: '20', FAIL_PERCENT: '0', EDITION: 'worse' });
    const d = await p.api.deploy(next.archive, next.hash, { rollout: true, rolloutInterval: '2s', rolloutMinCalls: 20 });
    expect(d.status).toBe(201);
    const version = d.body.version as string;

    let done = false;
    const ended = eventually(async () => {
      const r = (await p.call('GET', '/v1/functions/judged/rollout')).json;
      return ['promoted', 'rolled-back', 'aborted', 'paused'].includes(r.state) && r;
    }, 'the rollout to end', 180_000).finally(() => (done = true));
    const judged = new Map<string, number>();
    const caller = async () => {
      while (!done) {
        const r = await p.call('POST', '/v1/functions/judged/invoke', { input: {} }).catch(() => undefined);
        const id = r?.headers.get('x-job-id');
        const v = r?.headers.get('x-function-version');
        if (r?.status !== 200 || !id || !v) continue;
        const f = await p.call('POST', `/v1/jobs/${id}/feedback`, { correct: v === stableVersion });
        if (f.status === 200) judged.set(v, (judged.get(v) ?? 0) + 1);
      }
    };
    const callers = Array.from({ length: 6 }, caller);
    const r = await ended;
    await Promise.all(callers);

    expect(r.state).toBe('rolled-back');
    expect(r.reason).toMatch(/feedbackDrop/);
    const failed = r.windows.filter((w: any) => w.verdict === 'failed');
    const gates = failed.at(-1).gates as { gate: string; ok: boolean | null }[];
    expect(gates.find((g) => g.gate === 'feedbackDrop')?.ok).toBe(false);
    // Only feedback failed it: its calls were as good.
    expect(gates.find((g) => g.gate === 'successRate')?.ok).toBe(true);
    expect(judged.get(version)).toBeGreaterThan(0);
    const fn = (await p.call('GET', '/v1/functions/judged')).json;
    expect(fn.traffic.routes).toEqual([{ version: stableVersion, weight: 100 }]);
    // What describe shows of the two: all right for stable, all wrong for the new one.
    const fig = Object.fromEntries(fn.versions.map((v: any) => [v.version, v.feedback]));
    expect(fig[stableVersion]).toMatchObject({ score: 1 });
    expect(fig[version]).toMatchObject({ score: 0 });
  }, 240_000);
});
