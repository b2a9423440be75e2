import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShadowStats } from '../../queue/cluster/index.ts';
import { bundleMaker } from '../harness/bundles.ts';
import { eventually, startPlatform, type TestPlatform } from '../harness/platform.ts';
import { redisForFile } from '../harness/redis-for-file.ts';
import { watchCommands } from '../harness/redis-monitor.ts';

const redis = redisForFile();

describe('shadow statistics', () => {
  it('writes a burst of samples in one transaction, counted and newest first', async () => {
    const stats = new ShadowStats(redis.conn, 'st');
    const log = await watchCommands(redis.server.url);
    try {
      for (let i = 1; i <= 5; i++) stats.record('fn', 'v2', { agree: i !== 2, servingOk: true, shadowOk: i !== 2, servingMs: i, shadowMs: 10 * i });
      await stats.flush();
      await log.upToNow();
    } finally {
      log.stop();
    }
    expect(log.seen.filter((c) => c.toLowerCase() === 'multi')).toHaveLength(1);
    const report = await stats.report('fn', 'v2');
    expect(report).toMatchObject({ samples: 5, agreed: 4, servingErrors: 0, shadowErrors: 1 });
    expect(await redis.conn.lrange('st:shadow:fn:v2:serving', 0, -1)).toEqual(['5', '4', '3', '2', '1']);
    expect(await redis.conn.lrange('st:shadow:fn:v2:shadow', 0, -1)).toEqual(['50', '40', '30', '20', '10']);
  });

  it('writes samples without being asked, and forgets those of a function whose shadow is cleared', async () => {
    const stats = new ShadowStats(redis.conn, 'st2');
    stats.record('a', 'v2', { agree: true, servingOk: true, shadowOk: true, servingMs: 1, shadowMs: 1 });
    stats.record('b', 'v9', { agree: true, servingOk: true, shadowOk: true, servingMs: 1, shadowMs: 1 });
    await stats.clear('b');
    for (let i = 0; i < 100 && (await stats.report('a', 'v2')).samples === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await stats.report('a', 'v2')).samples).toBe(1);
    await stats.flush();
    expect((await stats.report('b', 'v9')).samples).toBe(0);
  });
});

describe('agreement as the router computes it', () => {
  // One fixture deployed three times under one name, differing only in the factor it multiplies
  // its input by: the serving version, a candidate that differs in the 7th significant digit
  // (within sameOutput's tolerance), and one that differs in the 4th.
  const SCALED = fileURLToPath(new URL('../fixtures/functions/scaled/', import.meta.url));
  // 0.1234565 rounds to 0.123456 at 6 digits and 0.1234565 × 1.0000001 to 0.123457: near agreement
  // across a rounding step; 2e-9 checks that the tolerance is relative.
  const inputs = [{ x: 0.1234565, label: 'step' }, { x: 1.5 }, { x: 2e-9, label: 'tiny' }, { x: -7 }];
  let p: TestPlatform;
  beforeAll(async () => {
    p = await startPlatform(redis.server.url);
  });
  afterAll(async () => {
    await p?.stop();
  });

  /** Deploys `scale` as the shadow of `scaled`, sends every input live, and returns the shadow's report. */
  async function shadowWith(scaled: Awaited<ReturnType<typeof bundleMaker>>, scale: string) {
    const b = scaled('scaled', { SCALE: scale });
    const dep = await p.api.deploy(b.archive, b.hash, { shadow: 100 });
    expect(dep.body.traffic.shadow).toMatchObject({ percent: 100 });
    const version = dep.body.traffic.shadow.version as string;
    for (const input of inputs) {
      const r = await p.call('POST', '/v1/functions/scaled/invoke', { input });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
    }
    const report = () => p.call('GET', `/v1/functions/scaled/shadow?version=${version}`).then((r) => r.json.report);
    await eventually(async () => (await report()).samples >= inputs.length, `the copies of ${scale} compared`);
    return report();
  }

  it('agrees with a candidate whose outputs differ within the tolerance, and not with one beyond it', async () => {
    const scaled = await bundleMaker(SCALED);
    const serving = scaled('scaled', { SCALE: '1' });
    expect((await p.api.deploy(serving.archive, serving.hash)).status).toBe(201);
    expect(await shadowWith(scaled, '1.0000001')).toMatchObject({ samples: inputs.length, agreed: inputs.length, agreement: 1, servingErrors: 0, shadowErrors: 0 });
    expect(await shadowWith(scaled, '1.001')).toMatchObject({ samples: inputs.length, agreed: 0, agreement: 0, servingErrors: 0, shadowErrors: 0 });
  });

  it('a version the function lacks is refused naming the query field, not reported as an empty shadow; so is one on the drift route', async () => {
    const scaled = await bundleMaker(SCALED);
    const serving = scaled('scaled', { SCALE: '1' });
    const version = (await p.api.deploy(serving.archive, serving.hash)).body.version as string;
    for (const bad of ['000000000000', 'nosuch']) {
      const r = await p.call('GET', `/v1/functions/scaled/shadow?version=${bad}`);
      expect([r.status, r.json.code, r.json.field, r.json.in], bad).toEqual([400, 'INVALID_REQUEST', 'version', 'query']);
    }
    expect((await p.call('GET', `/v1/functions/scaled/shadow?version=${version}`)).json.report).toMatchObject({ candidate: version });
    // A version that watches no drift: the problem names `version` only when the caller sent one.
    const stable = await p.call('GET', '/v1/functions/scaled/drift');
    expect([stable.status, stable.json.code, stable.json.field]).toEqual([404, 'DRIFT_NOT_WATCHED', undefined]);
    const named = await p.call('GET', `/v1/functions/scaled/drift?version=${version}`);
    expect([named.status, named.json.code, named.json.field, named.json.in]).toEqual([404, 'DRIFT_NOT_WATCHED', 'version', 'query']);
  });
});
