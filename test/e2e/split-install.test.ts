import { describe, expect, it } from 'vitest';
import { TokenVerifier } from '../../runtime/auth/index.ts';
import { ApiClient } from '../../runtime/client/api-client.ts';
import { freePort } from '../../runtime/launcher/embedded-redis.ts';
import { JWT_SECRET, eventually } from '../harness/platform.ts';
import { useSplitInstall, type PlatformNode } from '../harness/platform-node.ts';

const BUILTINS = ['customer-reply', 'echo', 'risk-scoring'];
const DEPLOYED = 'built-in functions deployed by this router';
const SKIPPED = 'built-in functions already installed; not deploying them';

const split = useSplitInstall('split');
const launch = split.launch;

/** What a router's log says it did with the built-ins, once it has decided. */
const outcome = (n: PlatformNode) => (n.out().includes(DEPLOYED) ? 'deployed' : n.out().includes(SKIPPED) ? 'skipped' : undefined);

describe('a split install (routers and a pool as separate processes on one Redis)', () => {
  it('serves the built-ins with no manual deploy: one of two routers deploys them, once; the "Try it" line answers; a restart deploys nothing', async () => {
    const shared = split.shared();
    const ports = [await freePort(), await freePort()];
    const router = (i: number) => launch({ ...shared, AUTOGLM_ROLE: 'router', AUTOGLM_PORT: String(ports[i]) });
    const routers = [router(0), router(1)];
    // Started before any pool: neither may hang its start waiting for one.
    await Promise.all(routers.map((r, i) => eventually(() => r.out().includes('Try it:'), `router ${i}'s banner`, 60_000)));
    const urls = ports.map((port) => `http://127.0.0.1:${port}`);
    const token = await new TokenVerifier({ secret: JWT_SECRET }).mint({ sub: 'tester', roles: ['admin'] });
    const api = urls.map((url) => new ApiClient({ url, token }));
    const ready = await fetch(`${urls[0]}/readyz`);
    expect(ready.status).toBe(503);
    expect((await ready.json()).reasons).toEqual(['no live worker', 'built-in functions not deployed yet: waiting for a live pool worker']);

    launch({ ...shared, AUTOGLM_ROLE: 'pool', AUTOGLM_WORKERS: '1', AUTOGLM_POOL_HEALTH_PORT: 'off' });
    const outcomes = await Promise.all(routers.map((r, i) => eventually(() => outcome(r), `router ${i} to log what it did with the built-ins`, 180_000)));
    expect([...outcomes].sort()).toEqual(['deployed', 'skipped']);
    const deployer = outcomes.indexOf('deployed');
    expect(routers[1 - deployer]!.out()).not.toContain('built-in functions: this router deploys them');

    const listed = (await api[0]!.request('GET', '/v1/functions')).body.items.map((f: { name: string }) => f.name).sort();
    expect(listed).toEqual(BUILTINS);
    for (const url of urls) expect((await fetch(`${url}/readyz`)).status).toBe(200);

    // The banner's "Try it" line, as an operator would paste it.
    for (const r of routers) {
      const line = /curl -s -X POST (\S+) -H 'authorization: Bearer (\S+)' -H 'content-type: application\/json' -d '(.+)'/.exec(r.out());
      expect(line).not.toBeNull();
      const res = await fetch(line![1]!, { method: 'POST', headers: { authorization: `Bearer ${line![2]}`, 'content-type': 'application/json' }, body: line![3] });
      expect(res.status).toBe(200);
      expect((await res.json()).output).toEqual({ echo: { message: 'hello' } });
    }

    const versions = async (via: ApiClient) => Object.fromEntries(await Promise.all(BUILTINS.map(async (n) => [n, (await via.request('GET', `/v1/functions/${n}/versions`)).body.items.map((v: { version: string }) => v.version)])));
    const before = await versions(api[0]!);

    // The deployer restarts: it finds the install recorded and deploys nothing.
    routers[deployer]!.proc.kill('SIGTERM');
    await routers[deployer]!.exited;
    const again = router(deployer);
    expect(await eventually(() => outcome(again), 'the restarted router to log what it did', 60_000)).toBe('skipped');
    expect(again.out()).not.toContain('this router deploys them');
    expect(await versions(api[deployer]!)).toEqual(before);
  }, 400_000);
});
