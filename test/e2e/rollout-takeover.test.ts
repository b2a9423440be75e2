import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TokenVerifier } from '../../runtime/auth/index.ts';
import { ApiClient } from '../../runtime/client/api-client.ts';
import { freePort } from '../../runtime/launcher/embedded-redis.ts';
import { bundleMaker } from '../harness/bundles.ts';
import { JWT_SECRET, eventually } from '../harness/platform.ts';
import { printed, useSplitInstall } from '../harness/platform-node.ts';
import { QUICK_ROLLOUTS } from '../harness/quick-rollouts.ts';

const GRADED = fileURLToPath(new URL('../fixtures/functions/graded/', import.meta.url));

const split = useSplitInstall('takeover');
const launch = split.launch;

describe('a rollout outlives the router driving it', () => {
  it('two routers: the driver is killed mid-rollout, the other takes the lease and applies exactly the planned steps', async () => {
    // Only the function under test: no built-ins for the routers to install. Windows and leases of 2 s (QUICK_ROLLOUTS).
    const shared = { ...split.shared(), ...QUICK_ROLLOUTS, AUTOGLM_BUILTINS: 'off' };
    const ports = [await freePort(), await freePort()];
    const routers = ports.map((port) => launch({ ...shared, AUTOGLM_ROLE: 'router', AUTOGLM_PORT: String(port) }));
    const ids = await Promise.all(routers.map((r, i) => printed(r, /"router listening".*"routerId":"([^"]+)"/, `router ${i} to listen`)));
    const urls = ports.map((port) => `http://127.0.0.1:${port}`);
    const mint = new TokenVerifier({ secret: JWT_SECRET });
    const pool = launch({ ...shared, AUTOGLM_ROLE: 'pool', AUTOGLM_WORKERS: '1', AUTOGLM_ROUTER_URL: urls.join(','), AUTOGLM_WORKER_TOKEN: await mint.mint({ sub: 'pool', roles: ['worker'] }) });
    const token = await mint.mint({ sub: 'tester', roles: ['admin'] });
    const api = urls.map((url) => new ApiClient({ url, token }));
    await eventually(async () => (await api[0]!.request('GET', '/readyz').catch(() => ({ status: 0 }))).status === 200, 'a worker to be ready', 60_000);

    const make = await bundleMaker(GRADED);
    const stable = make('graded', { DELAY_MS: '5', FAIL_PERCENT: '0' });
    await api[0]!.deploy(stable.archive, stable.hash);
    const next = make('graded', { DELAY_MS: '5', FAIL_PERCENT: '0', BUILD: '2' });
    const d = await api[0]!.deploy(next.archive, next.hash, { rollout: true, rolloutSteps: [10, 25, 50, 100], rolloutInterval: '2s', rolloutMinCalls: 10 });
    expect(d.body.rollout.state).toBe('progressing');

    // Calls through every router still up, six at a time, until the test is done.
    const alive = new Set([0, 1]);
    let done = false;
    const callers = Array.from({ length: 6 }, async (_, i) => {
      for (let n = i; !done; n++) {
        const live = [...alive];
        await api[live[n % live.length]!]!.request('POST', '/v1/functions/graded/invoke', { body: { input: {} } }).catch(() => undefined);
      }
    });
    const status = (via: number) => api[via]!.request('GET', '/v1/functions/graded/rollout').then((r) => r.body);
    try {
      // Mid-rollout: the second step is in force and a router drives it.
      const mid = await eventually(async () => {
        const s = await status(0);
        return s.applied.length === 2 && s.driver && s;
      }, 'the second step', 120_000);
      const victim = ids.indexOf(mid.driver);
      expect(victim).toBeGreaterThanOrEqual(0);
      const survivor = 1 - victim;
      alive.delete(victim);
      routers[victim]!.proc.kill('SIGKILL');
      await routers[victim]!.exited;

      const end = await eventually(async () => {
        const s = await status(survivor);
        return s.state !== 'progressing' && s;
      }, 'the rollout to end on the surviving router', 180_000);
      expect(end.state).toBe('promoted');
      // Exactly the planned steps, each once, whichever router applied them.
      expect(end.applied.map((a: { weight: number }) => a.weight)).toEqual([10, 25, 50, 100]);
      expect(end.applied.at(-1).by).toBe(`rollout:${ids[survivor]}`);
      const fn = (await api[survivor]!.request('GET', '/v1/functions/graded')).body;
      expect(fn.stable).toBe(d.body.version);
    } finally {
      done = true;
      await Promise.all(callers);
    }
  }, 400_000);
});
