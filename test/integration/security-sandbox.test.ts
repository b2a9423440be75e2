import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchFor, probeLaunch } from '../../gpu-pool/sandbox-launch.ts';
import { ApiClient } from '../../runtime/client/api-client.ts';
import { buildBundle } from '../../runtime/bundles/build-bundle.ts';
import { startPlatform, type TestPlatform } from '../harness/platform.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';
import { fixturePath, workers } from './pool-helpers.ts';

/** What the hostile fixture reports: one line per attempt. */
type Attempt = { attempt: string; result: string };

// bubblewrap must run here for the `sandbox` level (.ci/run installs it); without it, only that level is skipped.
const bwrapMissing = await probeLaunch(launchFor('sandbox'));
if (bwrapMissing) console.warn(`security-sandbox: the sandbox level is SKIPPED: bubblewrap cannot run here (${bwrapMissing}); apt-get install bubblewrap`);

let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  await redis?.destroy();
});

/** Reads of what is its own may work (its own environment, its own /proc); nothing of the platform may be in them. */
const READS_OF_ITS_OWN = /: (env|\/proc\/.*|list \/proc)$/;

describe.each([
  { level: 'sandbox', skip: bwrapMissing !== undefined },
  { level: 'process', skip: false },
])('function code at isolation $level', ({ level, skip }) => {
  let p: TestPlatform;
  beforeAll(async () => {
    if (skip) return;
    p = await startPlatform(redis.url, { env: { AUTOGLM_ISOLATION: level } });
  });
  afterAll(async () => {
    await p?.stop();
  });

  it.skipIf(skip)("a hostile function deployed by one namespace's deployer reaches nothing of the platform, other processes or other teams", async () => {
    // Another team's function, run once so its bundle is extracted on the worker's node.
    const other = await buildBundle(fixturePath('functions/whoami'), { typecheck: false });
    await p.api.deploy(other.archive, other.hash, { namespace: 'team-b' });
    expect((await p.call('POST', '/v1/functions/whoami/invoke', { input: {} })).status).toBe(200);

    const redisPort = new URL(redis.url).port;
    const env = { STATE_DIR: p.stateDir, REDIS_PORT: redisPort, ROUTER_PORT: new URL(p.url).port, OTHER_BUNDLE: join(p.stateDir, 'bundles', other.hash, 'index.mjs') };
    const hostile = await buildBundle(fixturePath('functions/hostile'), { typecheck: false, env });
    const deployer = new ApiClient({ url: p.url, token: await p.router.verifier.mint({ sub: 'team-a-dev', roles: ['deployer'], namespaces: ['team-a'] }) });
    await deployer.deploy(hostile.archive, hostile.hash, { namespace: 'team-a' });

    const r = await p.call('POST', '/v1/functions/hostile/invoke', { input: {} });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    const report = r.json.output as Attempt[];
    for (const where of ['load', 'handle']) {
      for (const what of ['env', '/proc/self/environ', '/proc/<ppid>/environ', 'list the state directory', 'read the artifacts', "read another namespace's bundle", 'connect to Redis', 'connect to the router', 'fetch the router', 'spawn a process', 'start a thread', 'write into its bundle', 'write to /', 'write to the state directory']) {
        expect(report.map((a) => a.attempt)).toContain(`${where}: ${what}`);
      }
    }
    for (const a of report) {
      if (READS_OF_ITS_OWN.test(a.attempt)) {
        // Whatever it could read holds nothing of the platform: no variable, no Redis, no state directory.
        expect(a.result, a.attempt).not.toMatch(/AUTOGLM_|REDIS_|redis:\/\/|OTEL_|autoglm-state-|worker-main|pool\/main/);
      } else {
        expect(a.result, `${a.attempt}: ${a.result}`).toMatch(/^denied/);
      }
    }
    // The worker says which level is active.
    expect((await workers(p)).map((w) => w.isolation)).toEqual([level]);
    const ready = await p.call('GET', '/readyz', undefined, { authorization: `Bearer ${await p.token()}` });
    expect(ready.json.workers.map((w: { isolation: string }) => w.isolation)).toEqual([level]);
  });

  it.skipIf(skip)('the built-in echo answers as it does in a thread', async () => {
    const r = await p.call('POST', '/v1/functions/echo/invoke', { input: { hello: '世界', n: [1, 2, 3] } });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json.output).toEqual({ echo: { hello: '世界', n: [1, 2, 3] } });
  });
});
