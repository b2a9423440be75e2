import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundle } from '../../runtime/bundles/build-bundle.ts';
import { eventually, startPlatform, type TestPlatform } from '../harness/platform.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';
import { fixturePath, workers } from './pool-helpers.ts';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  await redis?.destroy();
});

const deploy = async (p: TestPlatform, fn: string, namespace: string) => {
  const b = await buildBundle(fixturePath(`functions/${fn}`), { typecheck: false });
  return p.api.deploy(b.archive, b.hash, { namespace }).catch((err: { status: number; problem: any }) => ({ status: err.status, body: err.problem }));
};
const pidsOf = async (p: TestPlatform, fn: string, calls = 8) => {
  const rs = await Promise.all(Array.from({ length: calls }, () => p.call('POST', `/v1/functions/${fn}/invoke`, { input: {} })));
  return new Set(rs.map((r) => r.json.output?.pid ?? r.json.code));
};

describe('pools per namespace (AUTOGLM_POOL_NAMESPACES)', () => {
  it("a namespace's functions run, and are checked at deploy, only on the pools that serve it; a namespace no pool serves is refused", async () => {
    const p = await startPlatform(redis.url, { pool: false, deploy: false, env: { AUTOGLM_LOAD_CHECK_TIMEOUT: '8s' } });
    const pools = [];
    try {
      // whoami answers with its process's pid, the worker's only when function code runs on the
      // worker's threads (a sandbox has its own pid namespace).
      pools.push(await p.startPool({ AUTOGLM_POOL_NAMESPACES: 'team-a', AUTOGLM_ISOLATION: 'thread' }));
      const [teamA] = await workers(p);
      expect(teamA!.slot?.namespaces).toEqual(['team-a']);

      // Only team-a's pool runs: a function of another namespace has nowhere to go.
      const refused = await deploy(p, 'whoami-b', 'default');
      expect(refused.status).toBe(422);
      expect(refused.body).toMatchObject({ code: 'NO_DEVICE_CAN_SERVE', detail: "whoami-b: is in namespace 'default', which no live pool serves (they serve: team-a)" });

      pools.push(await p.startPool({ AUTOGLM_POOL_NAMESPACES: '*,!team-a', AUTOGLM_ISOLATION: 'thread' }));
      const rest = await eventually(async () => (await workers(p)).find((w) => w.pid !== teamA!.pid), "the second pool's worker");
      expect(rest.slot?.namespaces).toEqual(['*', '!team-a']);

      const a = await deploy(p, 'whoami', 'team-a');
      expect([a.status, a.body.check?.worker]).toEqual([201, teamA!.id]);
      const b = await deploy(p, 'whoami-b', 'default');
      expect([b.status, b.body.check?.worker]).toEqual([201, rest.id]);
      expect(await pidsOf(p, 'whoami')).toEqual(new Set([teamA!.pid]));
      expect(await pidsOf(p, 'whoami-b')).toEqual(new Set([rest.pid]));
      // Each worker consumes only the queues of the namespaces its pool serves.
      const now = await workers(p);
      expect(now.find((w) => w.pid === teamA!.pid)!.functions).toEqual(['whoami']);
      expect(now.find((w) => w.pid === rest.pid)!.functions).toEqual(['whoami-b']);

      // A check sent to one worker waits for that one: frozen, the deploy fails naming it.
      process.kill(teamA!.pid, 'SIGSTOP');
      try {
        const b2 = await buildBundle(fixturePath('functions/whoami'), { typecheck: false, env: { AGAIN: '1' } });
        const stuck = await p.api.deploy(b2.archive, b2.hash, { namespace: 'team-a' }).catch((err: { status: number; problem: any }) => err);
        expect(stuck).toMatchObject({ status: 503, problem: { code: 'NO_WORKER', detail: `worker ${teamA!.id} did not load whoami@${b2.version} within 8 s; if it stopped, deploy again` } });
      } finally {
        process.kill(teamA!.pid, 'SIGCONT');
      }
    } finally {
      await Promise.all(pools.map((pool) => pool.stop()));
      await p.stop();
    }
  });
});
