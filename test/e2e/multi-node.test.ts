import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newKeyringSpec } from '../../queue/cluster/index.ts';
import { TokenVerifier } from '../../runtime/auth/index.ts';
import { ApiClient } from '../../runtime/client/api-client.ts';
import { freePort } from '../../runtime/launcher/embedded-redis.ts';
import { descendants } from '../bench/proc-stats.ts';
import { bundleMaker } from '../harness/bundles.ts';
import { startReceiver, type HttpReceiver } from '../harness/http-receiver.ts';
import { JWT_SECRET, LOOPBACK_CALLBACKS, WEBHOOK_KEYS, eventually } from '../harness/platform.ts';
import { launchNode, printed, type PlatformNode } from '../harness/platform-node.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';

/**
 * Two router nodes and two pool nodes, each `runtime/start.mjs` (what `npm start` runs) in its
 * role, as separate processes on one Redis. They share the loopback network: separate network
 * namespaces (the "ideally") would need root and veth plumbing, and change nothing of
 * what is checked here, which all goes through Redis.
 */
const WHOAMI = fileURLToPath(new URL('../fixtures/functions/whoami/', import.meta.url));
/** A namespace limited to a burst of 10 inputs, refilled at 1 a second. */
const METERED = { rate: 1, burst: 10 };

/** A node in its role, as `npm start -- --role <role>` runs it. */
const launch = (role: 'router' | 'pool', env: Record<string, string>): PlatformNode => launchNode({ ...env, AUTOGLM_ROLE: role });

let redis: TestRedis;
let hook: HttpReceiver;
const state = mkdtempSync(join(tmpdir(), 'autoglm-multi-'));
const nodes: PlatformNode[] = [];
let routerIds: string[];
let api: ApiClient[];
let token: string;

/** A request through router `via` (0: A, 1: B), answered whatever its status. */
async function call(via: number, method: string, path: string, body?: unknown): Promise<{ status: number; router: string | null; body: any }> {
  const res = await fetch(new URL(path, api[via]!.url), { method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: res.status, router: res.headers.get('x-router'), body: await res.json() };
}
let pools: PlatformNode[];

beforeAll(async () => {
  [redis, hook] = await Promise.all([startTestRedis(), startReceiver('127.0.0.1')]);
  const shared = {
    REDIS_URL: redis.url,
    AUTOGLM_REDIS_PREFIX: 'multi',
    AUTOGLM_JWT_SECRET: JWT_SECRET,
    AUTOGLM_ENCRYPTION_KEYS: newKeyringSpec('multi'),
    AUTOGLM_WEBHOOK_KEYS: WEBHOOK_KEYS,
    AUTOGLM_STATE_DIR: state,
    AUTOGLM_LOG_LEVEL: 'info',
    AUTOGLM_GROUP_MAX: '1', // a job per call: more jobs to spread over the pools
    AUTOGLM_NAMESPACE_LIMITS: JSON.stringify({ metered: METERED }),
    ...LOOPBACK_CALLBACKS,
    // Only the functions under test; two pools on one host would share one health port.
    AUTOGLM_BUILTINS: 'off',
    AUTOGLM_POOL_HEALTH_PORT: 'off',
  };
  const ports = [await freePort(), await freePort()];
  const routers = ports.map((port) => launch('router', { ...shared, AUTOGLM_PORT: String(port) }));
  nodes.push(...routers);
  routerIds = await Promise.all(routers.map((r, i) => printed(r, /"router listening".*"routerId":"([^"]+)"/, `router ${i} to listen`)));
  const urls = ports.map((port) => `http://127.0.0.1:${port}`);
  const mint = new TokenVerifier({ secret: JWT_SECRET });
  const workerToken = await mint.mint({ sub: 'pool', roles: ['worker'] });
  pools = [0, 1].map(() => launch('pool', { ...shared, AUTOGLM_WORKERS: '1', AUTOGLM_ROUTER_URL: urls.join(','), AUTOGLM_WORKER_TOKEN: workerToken }));
  nodes.push(...pools);
  token = await mint.mint({ sub: 'tester', roles: ['admin'], namespaces: ['*'] });
  api = urls.map((url) => new ApiClient({ url, token }));
  await eventually(async () => (await call(0, 'GET', '/readyz')).body.counts?.workers === 2, 'both pools to have a live worker', 60_000);

  // Deployed through router A only.
  const make = await bundleMaker(WHOAMI);
  const whoami = make('whoami');
  expect((await api[0]!.deploy(whoami.archive, whoami.hash)).status).toBe(201);
  const metered = make('metered');
  expect((await api[0]!.deploy(metered.archive, metered.hash, { namespace: 'metered' })).status).toBe(201);
  const rolled = make('rolled');
  expect((await api[0]!.deploy(rolled.archive, rolled.hash)).status).toBe(201);
}, 240_000);

afterAll(async () => {
  for (const n of nodes) n.proc.kill('SIGTERM');
  await Promise.all(nodes.map((n) => n.exited));
  await Promise.all([redis?.stop(), hook?.close()]);
  rmSync(state, { recursive: true, force: true });
});

/** Which pool node (0, 1) a worker pid belongs to. */
const poolOf = (pid: number): number => pools.findIndex((p) => descendants(p.proc.pid!).includes(pid));

describe('two routers and two pools on one Redis', () => {
  it('a deploy through router A reaches both pools: each worker lists it', async () => {
    const workers = await eventually(async () => {
      const ws = (await call(1, 'GET', '/readyz')).body.workers as { pid: number; functions: string[] }[];
      return ws.length === 2 && ws.every((w) => ['whoami', 'metered', 'rolled'].every((f) => w.functions.includes(f))) && ws;
    }, 'both workers to consume the deployed functions');
    expect(new Set(workers.map((w) => poolOf(w.pid)))).toEqual(new Set([0, 1]));
  });

  it('sync calls through both routers are answered at the router called, 200, and both pools ran them', async () => {
    // Jobs each pool's worker has run, as it reports them in the roster (its heartbeat).
    const jobsDone = async () => {
      const ws = (await call(0, 'GET', '/readyz')).body.workers as { pid: number; jobsDone: number }[];
      return [0, 1].map((pool) => ws.filter((w) => poolOf(w.pid) === pool).reduce((n, w) => n + w.jobsDone, 0));
    };
    const before = await jobsDone();
    const calls = await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        const via = i % 2;
        const r = await call(via, 'POST', '/v1/functions/whoami/invoke', { input: {} });
        return { via, status: r.status, router: r.router, pid: r.body.output?.pid };
      }),
    );
    for (const c of calls) {
      expect(c.status).toBe(200);
      expect(c.pid).toEqual(expect.any(Number));
      // The answer came back to the router the caller waited on.
      expect(c.router).toBe(routerIds[c.via]);
    }
    // A job per call (AUTOGLM_GROUP_MAX=1): once the heartbeats count all 60, each pool ran some.
    const ran = await eventually(async () => {
      const now = await jobsDone();
      const delta = now.map((n, i) => n - before[i]!);
      return delta[0]! + delta[1]! >= calls.length && delta;
    }, 'the workers to report the jobs they ran');
    expect(ran[0]).toBeGreaterThan(0);
    expect(ran[1]).toBeGreaterThan(0);
  });

  it("a namespace's rate limit is global: both routers together admit its burst, not a burst each", async () => {
    const submits = await Promise.all(Array.from({ length: 30 }, (_, i) => call(i % 2, 'POST', '/v1/functions/metered/jobs', { input: {} })));
    const admitted = submits.filter((s) => s.status === 202);
    const refused = submits.filter((s) => s.status === 429);
    expect(admitted.length + refused.length).toBe(30);
    expect(refused.every((s) => s.body.code === 'RATE_LIMITED')).toBe(true);
    // Each router alone would admit a full burst: 20 between them, were the limit per router.
    expect(admitted.length).toBeGreaterThanOrEqual(METERED.burst);
    expect(admitted.length).toBeLessThan(2 * METERED.burst);
  });

  it('a callback is delivered once per job, though both routers consume callbacks', async () => {
    const ids = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const r = await call(i % 2, 'POST', '/v1/functions/whoami/jobs', { input: {}, callbackUrl: `${hook.origin}/hook` });
        expect(r.status).toBe(202);
        return r.body.id as string;
      }),
    );
    // Every job's record says its callback was delivered, at the first attempt: the deliveries are over.
    for (const id of ids) {
      const callback = await eventually(async () => {
        const cb = (await call(0, 'GET', `/v1/jobs/${id}`)).body.callback;
        return cb?.status === 'delivered' && cb;
      }, `the callback of ${id}`);
      expect(callback.attempts).toBe(1);
    }
    const delivered = hook.received.map((r) => JSON.parse(r.body).job.id as string).filter((id) => ids.includes(id));
    expect(delivered.sort()).toEqual([...ids].sort());
  });

  it('a rollout has one driver: both routers name the same one, a router of the two', async () => {
    const make = await bundleMaker(WHOAMI);
    const next = make('rolled', { BUILD: '2' });
    const d = await api[0]!.deploy(next.archive, next.hash, { rollout: true, rolloutSteps: [10, 50, 100], rolloutInterval: '1m', rolloutMinCalls: 1000 });
    expect(d.body.rollout.state).toBe('progressing');
    const driver = await eventually(async () => (await call(0, 'GET', '/v1/functions/rolled/rollout')).body.driver as string | undefined, 'a router to drive the rollout');
    expect(routerIds).toContain(driver);
    expect((await call(1, 'GET', '/v1/functions/rolled/rollout')).body.driver).toBe(driver);
  });
});
