import { mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POOL_CONFIG_VARIABLE } from '../../queue/cluster/index.ts';
import { keys } from '../../queue/keys.ts';
import { buildBundle } from '../../runtime/bundles/build-bundle.ts';
import { eventually, startPlatform, type TestPlatform } from '../harness/platform.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';

const ECHO = fileURLToPath(new URL('../../functions/echo/', import.meta.url));
let redis: TestRedis;
let p: TestPlatform;
let work: string;
let echoBundle: Awaited<ReturnType<typeof buildBundle>>;
let echoVersion: string;

beforeAll(async () => {
  redis = await startTestRedis();
  p = await startPlatform(redis.url, {
    env: {
      AUTOGLM_NAMESPACE_LIMITS: JSON.stringify({ 'rate-limited': { rate: 3 }, 'quota-limited': { concurrency: 2 }, 'bulk-limited': { rate: 5 }, 'bulk-burst': { rate: 1, burst: 10 } }),
      // A trace collector's credentials (the workers' exporter reads them; function code must not).
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer collector-secret',
    },
  });
  work = mkdtempSync(join(tmpdir(), 'autoglm-sec-'));
  echoBundle = await buildBundle(ECHO, { typecheck: false });
  echoVersion = echoBundle.version;
});
afterAll(async () => {
  await p?.stop();
  await redis?.destroy();
  rmSync(work, { recursive: true, force: true });
});

/** Deploys a copy of echo under another name, into a namespace; with `shadow`, then a candidate (another description) shadowing that share of calls. */
async function deployCopy(name: string, namespace: string, shadow?: number): Promise<void> {
  const dir = join(work, name);
  cpSync(ECHO, dir, { recursive: true });
  const manifest = readFileSync(join(ECHO, 'manifest.yaml'), 'utf8').replace('name: echo', `name: ${name}`);
  writeFileSync(join(dir, 'manifest.yaml'), manifest);
  const b = await buildBundle(dir, { typecheck: false });
  await p.api.deploy(b.archive, b.hash, { namespace });
  if (shadow === undefined) return;
  writeFileSync(join(dir, 'manifest.yaml'), manifest.replace('description: ', 'description: (candidate) '));
  const c = await buildBundle(dir, { typecheck: false });
  await p.api.deploy(c.archive, c.hash, { namespace, shadow });
}

async function as(token: string, method: string, path: string, body?: unknown, raw?: { data: Buffer; type: string }) {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  let payload: BodyInit | undefined;
  if (raw) {
    headers['content-type'] = raw.type;
    payload = new Uint8Array(raw.data);
  } else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const res = await fetch(p.url + path, { method, headers, ...(payload ? { body: payload } : {}) });
  const isJson = /json/.test(res.headers.get('content-type') ?? '');
  const data = Buffer.from(await res.arrayBuffer());
  return { status: res.status, json: isJson && data.length ? JSON.parse(data.toString()) : undefined, data, headers: res.headers };
}

const ROLES = ['admin', 'deployer', 'invoker', 'viewer', 'worker'] as const;
type Expect = Record<(typeof ROLES)[number], number>;

describe('role × route matrix (default namespace)', () => {
  // Expected statuses written out by hand from the documented roles, not computed from the policy.
  const matrix: [string, string, () => unknown, Expect][] = [
    ['GET', '/v1/functions', () => undefined, { admin: 200, deployer: 200, invoker: 200, viewer: 200, worker: 403 }],
    ['GET', '/v1/functions/echo', () => undefined, { admin: 200, deployer: 200, invoker: 200, viewer: 200, worker: 403 }],
    ['GET', '/v1/functions/echo/versions', () => undefined, { admin: 200, deployer: 200, invoker: 200, viewer: 200, worker: 403 }],
    ['GET', '/v1/functions/echo/shadow', () => undefined, { admin: 200, deployer: 200, invoker: 200, viewer: 200, worker: 403 }],
    ['POST', '/v1/functions', () => ({ raw: true }), { admin: 201, deployer: 201, invoker: 403, viewer: 403, worker: 403 }],
    ['PUT', '/v1/functions/echo/traffic', () => ({ routes: [{ version: echoVersion, weight: 100 }] }), { admin: 200, deployer: 200, invoker: 403, viewer: 403, worker: 403 }],
    ['POST', '/v1/functions/echo/promote', () => ({ version: echoVersion }), { admin: 200, deployer: 200, invoker: 403, viewer: 403, worker: 403 }],
    // Allowed roles get past the check and are told there is nothing to roll back to.
    ['POST', '/v1/functions/echo/rollback', () => undefined, { admin: 400, deployer: 400, invoker: 403, viewer: 403, worker: 403 }],
    ['POST', '/v1/functions/echo/invoke', () => ({ input: { message: 'm' } }), { admin: 200, deployer: 403, invoker: 200, viewer: 403, worker: 403 }],
    ['POST', '/v1/functions/echo/jobs', () => ({ input: { message: 'm' } }), { admin: 202, deployer: 403, invoker: 202, viewer: 403, worker: 403 }],
    ['GET', '/v1/jobs?function=echo&status=succeeded', () => undefined, { admin: 200, deployer: 200, invoker: 200, viewer: 200, worker: 403 }],
    // Listings across functions: a role that reads none anywhere is refused, not shown an empty list.
    ['GET', '/v1/jobs', () => undefined, { admin: 200, deployer: 200, invoker: 200, viewer: 200, worker: 403 }],
    ['GET', '/v1/trainings', () => undefined, { admin: 200, deployer: 200, invoker: 200, viewer: 200, worker: 403 }],
    ['POST', '/v1/tokens', () => ({ sub: 'x', roles: ['viewer'] }), { admin: 201, deployer: 403, invoker: 403, viewer: 403, worker: 403 }],
    ['GET', '/v1/artifacts/HASH', () => undefined, { admin: 200, deployer: 200, invoker: 403, viewer: 403, worker: 200 }],
    // Knowledge collections: only those who deploy. The admin creates it (201), the deployer puts the same files (200).
    ['PUT', '/v1/knowledge/matrix', () => ({ files: [{ path: 'a.md', text: '# A' }] }), { admin: 201, deployer: 200, invoker: 403, viewer: 403, worker: 403 }],
    ['GET', '/v1/knowledge', () => undefined, { admin: 200, deployer: 200, invoker: 403, viewer: 403, worker: 403 }],
    ['GET', '/v1/knowledge/matrix/files', () => undefined, { admin: 200, deployer: 200, invoker: 403, viewer: 403, worker: 403 }],
  ];

  for (const [method, path, body, expected] of matrix) {
    for (const role of ROLES) {
      it(`${method} ${path.split('?')[0]} as ${role} → ${expected[role]}`, async () => {
        const token = await p.token([role], `${role}-user`);
        const b = body() as { raw?: boolean } | undefined;
        const r = b?.raw
          ? await as(token, method, path, undefined, { data: echoBundle.archive, type: 'application/gzip' })
          : await as(token, method, path.replace('HASH', echoBundle.hash), b);
        expect(r.status, JSON.stringify(r.json)).toBe(expected[role]);
        if (r.status === 403) expect(r.json.code).toBe('FORBIDDEN');
        if (path.startsWith('/v1/artifacts') && r.status === 200) expect(r.data.equals(echoBundle.archive)).toBe(true);
      });
    }
  }

  it('jobs: an invoker reads and cancels only its own; viewers and deployers read all; only admin cancels others', async () => {
    const alice = await p.token(['invoker'], 'alice');
    const bob = await p.token(['invoker'], 'bob');
    const job = await as(alice, 'POST', '/v1/functions/echo/jobs', { input: { message: 'mine' } });
    expect(job.status).toBe(202);
    const id = job.json.id as string;
    expect((await as(alice, 'GET', `/v1/jobs/${id}?wait=10s`)).json.status).toBe('succeeded');
    expect((await as(bob, 'GET', `/v1/jobs/${id}`)).status).toBe(403);
    expect((await as(bob, 'DELETE', `/v1/jobs/${id}`)).status).toBe(403);
    expect((await as(await p.token(['viewer']), 'GET', `/v1/jobs/${id}`)).status).toBe(200);
    expect((await as(await p.token(['deployer']), 'GET', `/v1/jobs/${id}`)).status).toBe(200);
    expect((await as(await p.token(['viewer']), 'DELETE', `/v1/jobs/${id}`)).status).toBe(403);
    expect((await as(alice, 'DELETE', `/v1/jobs/${id}`)).status).toBe(409); // hers, but finished
    const listed = await as(bob, 'GET', '/v1/jobs?function=echo&status=succeeded&limit=500');
    expect(listed.json.items.every((j: { submittedBy: string }) => j.submittedBy === 'bob')).toBe(true);
  });

  it('an invoker limited to named functions may call only those', async () => {
    await deployCopy('other-fn', 'default');
    const t = (await as(await p.token(['admin']), 'POST', '/v1/tokens', { sub: 'narrow', roles: ['invoker'], functions: ['echo'] })).json.token;
    expect((await as(t, 'POST', '/v1/functions/echo/invoke', { input: {} })).status).toBe(200);
    expect((await as(t, 'POST', '/v1/functions/other-fn/invoke', { input: {} })).status).toBe(403);
  });
});

describe('namespaces', () => {
  it('cross-namespace invoke, read, cancel and deploy are refused; another namespace\'s function or job is as missing', async () => {
    await deployCopy('team-a-fn', 'team-a');
    const adminT = await p.token(['admin']);
    const aInvoker = (await as(adminT, 'POST', '/v1/tokens', { sub: 'a1', roles: ['invoker'], namespaces: ['team-a'] })).json.token;
    const bInvoker = (await as(adminT, 'POST', '/v1/tokens', { sub: 'b1', roles: ['invoker', 'viewer'], namespaces: ['team-b'] })).json.token;
    const bDeployer = (await as(adminT, 'POST', '/v1/tokens', { sub: 'b2', roles: ['deployer'], namespaces: ['team-b'] })).json.token;

    expect((await as(aInvoker, 'POST', '/v1/functions/team-a-fn/invoke', { input: {} })).status).toBe(200);
    // What team-b is told of team-a's function and job is what it is told of ones that do not exist.
    const hidden = async (token: string, method: string, path: string, missingPath: string, body?: unknown) => {
      const [r, missing] = [await as(token, method, path, body), await as(token, method, missingPath, body)];
      expect(r.status, JSON.stringify(r.json)).toBe(404);
      expect(JSON.stringify(r.json)).not.toMatch(/namespace|'team-a'/);
      const shape = (j: { code: string; detail: string }) => ({ code: j.code, detail: j.detail.replace(/'[^']*'/, "'…'") });
      expect(shape(r.json)).toEqual(shape(missing.json));
    };
    await hidden(bInvoker, 'POST', '/v1/functions/team-a-fn/invoke', '/v1/functions/no-such-fn/invoke', { input: {} });
    await hidden(bInvoker, 'POST', '/v1/functions/team-a-fn@abcdef123456/invoke', '/v1/functions/no-such-fn@abcdef123456/invoke', { input: {} });
    await hidden(bInvoker, 'POST', '/v1/functions/team-a-fn/jobs', '/v1/functions/no-such-fn/jobs', { input: {} });
    await hidden(aInvoker, 'POST', '/v1/functions/echo/invoke', '/v1/functions/no-such-fn/invoke', { input: {} }); // echo is in 'default'

    const job = await as(aInvoker, 'POST', '/v1/functions/team-a-fn/jobs', { input: { sleepMs: 2000 } });
    const id = job.json.id as string;
    const noJob = id.replace(/\.[a-z0-9]+$/, '.zzzzzzzzzzzz');
    await hidden(bInvoker, 'GET', `/v1/jobs/${id}`, `/v1/jobs/${noJob}`);
    await hidden(bInvoker, 'DELETE', `/v1/jobs/${id}`, `/v1/jobs/${noJob}`);
    await hidden(bInvoker, 'GET', '/v1/functions/team-a-fn', '/v1/functions/no-such-fn');
    await hidden(bInvoker, 'GET', '/v1/functions/team-a-fn/logs', '/v1/functions/no-such-fn/logs');
    await hidden(bInvoker, 'GET', '/v1/jobs?function=team-a-fn&status=queued', '/v1/jobs?function=no-such-fn&status=queued');
    const list = await as(bInvoker, 'GET', '/v1/functions');
    expect(list.json.items.map((f: { name: string }) => f.name)).not.toContain('team-a-fn');

    await hidden(bDeployer, 'POST', '/v1/functions/team-a-fn/rollback', '/v1/functions/no-such-fn/rollback');
    await hidden(bDeployer, 'DELETE', '/v1/functions/team-a-fn', '/v1/functions/no-such-fn');
    // Inside its own namespace, a role short of the action still gets the 403.
    expect((await as(aInvoker, 'POST', '/v1/functions/team-a-fn/rollback')).status).toBe(403);
    // The audit trail still records each of those as the denial it was.
    const denials = (await as(adminT, 'GET', '/v1/audit?action=access.denied&actor=b1&limit=100')).json.items as { target: string; code: string }[];
    expect(denials.map((d) => d.target)).toEqual(expect.arrayContaining(['POST /v1/functions/team-a-fn/invoke', `GET /v1/jobs/${id}`, `DELETE /v1/jobs/${id}`]));
    expect(denials.map((d) => d.target)).not.toContain('POST /v1/functions/no-such-fn/invoke');
    expect(new Set(denials.map((d) => d.code))).toEqual(new Set(['FORBIDDEN']));
    // Redeploying team-a's function from team-b is refused (the bundle names it).
    const dir = join(work, 'team-a-fn');
    const b = await buildBundle(dir, { typecheck: false });
    const dep = await as(bDeployer, 'POST', '/v1/functions?namespace=team-b', undefined, { data: b.archive, type: 'application/gzip' });
    expect(dep.status).toBe(409);
    expect(dep.json.code).toBe('NAMESPACE_MISMATCH');
    const dep2 = await as(bDeployer, 'POST', '/v1/functions', undefined, { data: b.archive, type: 'application/gzip' });
    expect(dep2.status).toBe(403);
  });

  it("bundles download only within the token's namespaces; another namespace's is as missing", async () => {
    await deployCopy('team-a-art', 'team-a');
    const adminT = await p.token(['admin']);
    const hash = (await as(adminT, 'GET', '/v1/functions/team-a-art')).json.versions[0].hash as string;
    const mint = async (roles: string[], namespaces: string[]) => (await as(adminT, 'POST', '/v1/tokens', { sub: 'art', roles, namespaces })).json.token as string;
    expect((await as(await mint(['deployer'], ['team-a']), 'GET', `/v1/artifacts/${hash}`)).status).toBe(200);
    expect((await as(await mint(['worker'], ['team-a']), 'GET', `/v1/artifacts/${hash}`)).status).toBe(200);
    expect((await as(adminT, 'GET', `/v1/artifacts/${hash}`)).status).toBe(200);
    for (const t of [await mint(['deployer'], ['team-b']), await mint(['worker'], ['team-b'])]) {
      const r = await as(t, 'GET', `/v1/artifacts/${hash}`);
      expect(r.status).toBe(404);
      expect(r.json.code).toBe('ARTIFACT_NOT_FOUND');
    }
  });
});

describe('secrets', () => {
  it('function code sees none of the platform secrets in its environment', async () => {
    const b = await buildBundle(fileURLToPath(new URL('../fixtures/bundles/env-spy/', import.meta.url)), { typecheck: false });
    await p.api.deploy(b.archive, b.hash);
    const r = await p.call('POST', '/v1/functions/env-spy/invoke', { input: {} });
    expect(r.status).toBe(200);
    const names: string[] = r.json.output.names;
    const isolation: string = (await p.call('GET', '/readyz')).json.workers[0].isolation;
    if (isolation === 'thread') {
      expect(names).toContain('PATH'); // it does see an environment…
    } else {
      // …in a sandbox, only its scratch folder and device pinning (and where bubblewrap starts it)…
      expect(names).toContain('TMPDIR');
      expect(names.filter((n) => !['TMPDIR', 'CUDA_VISIBLE_DEVICES', 'PWD'].includes(n))).toEqual([]);
    }
    for (const secret of [POOL_CONFIG_VARIABLE, 'AUTOGLM_ENCRYPTION_KEYS', 'REDIS_URL', 'AUTOGLM_WORKER_TOKEN', 'AUTOGLM_JWT_SECRET', 'AUTOGLM_WEBHOOK_SECRET', 'OTEL_EXPORTER_OTLP_HEADERS']) {
      expect(names).not.toContain(secret); // …but no secret in it
    }
  });
});

describe('limits', () => {
  /**
   * Runs `fn` with the pool stopped: jobs wait in the queue, each holding its concurrency slots,
   * for exactly as long as `fn` needs (a job sleeping a while could end first on a loaded machine).
   */
  const poolStopped = async (fn: () => Promise<void>) => {
    await p.pool!.stop();
    try {
      await fn();
    } finally {
      await p.startPool();
    }
  };

  it('a namespace over its rate limit gets 429 with Retry-After', async () => {
    await deployCopy('rate-fn', 'rate-limited');
    const results = await Promise.all(Array.from({ length: 10 }, () => p.call('POST', '/v1/functions/rate-fn/invoke', { input: {} })));
    const limited = results.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(results.filter((r) => r.status === 200).length).toBeGreaterThan(0);
    expect(limited[0]!.json.code).toBe('RATE_LIMITED');
    expect(Number(limited[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('a namespace at its concurrency quota gets 429 until a call finishes', async () => {
    await deployCopy('quota-fn', 'quota-limited');
    const ids: string[] = [];
    await poolStopped(async () => {
      const a = await p.call('POST', '/v1/functions/quota-fn/jobs', { input: {} });
      const b = await p.call('POST', '/v1/functions/quota-fn/jobs', { input: {} });
      expect([a.status, b.status]).toEqual([202, 202]);
      ids.push(a.json.id, b.json.id);
      const c = await p.call('POST', '/v1/functions/quota-fn/jobs', { input: {} });
      expect(c.status).toBe(429);
      expect(c.json.code).toBe('CONCURRENCY_QUOTA_EXCEEDED');
    });
    for (const id of ids) expect((await p.call('GET', `/v1/jobs/${id}?wait=20s`)).json.status).toBe('succeeded');
    // The slot frees when the worker announces the end, a message behind the job's completion.
    const again = await eventually(async () => {
      const r = await p.call('POST', '/v1/functions/quota-fn/invoke', { input: {} });
      return r.status !== 429 && r;
    }, 'a slot to come free');
    expect(again.status).toBe(200);
  });

  it('a bulk job takes a rate token per input: 20 inputs under 5/s never fit and are refused naming inputs', async () => {
    await deployCopy('bulk-fn', 'bulk-limited');
    const inputs = (n: number) => Array.from({ length: n }, (_, i) => ({ message: `m${i}` }));
    const big = await p.call('POST', '/v1/functions/bulk-fn/jobs', { inputs: inputs(20) });
    expect(big.status).toBe(400);
    expect(big.json).toMatchObject({ code: 'INPUTS_OVER_LIMIT', field: 'inputs', limit: 5 });
    // The refusal took no token: the whole bucket admits a job of 5.
    expect((await p.call('POST', '/v1/functions/bulk-fn/jobs', { inputs: inputs(5) })).status).toBe(202);
  });

  it('a bulk job that fits the bucket takes it all: the next one waits, with Retry-After', async () => {
    await deployCopy('burst-fn', 'bulk-burst'); // 1 input/s, 10 at once
    const inputs = Array.from({ length: 10 }, (_, i) => ({ message: `m${i}` }));
    expect((await p.call('POST', '/v1/functions/burst-fn/jobs', { inputs })).status).toBe(202);
    const next = await p.call('POST', '/v1/functions/burst-fn/jobs', { inputs });
    expect(next.status).toBe(429);
    expect(next.json.code).toBe('RATE_LIMITED');
    // Its 10 tokens come back at 1/s: ~10 s (a limiter counting requests would say 1).
    expect(Number(next.headers.get('retry-after'))).toBeGreaterThanOrEqual(5);
  });

  it('a bulk job takes a concurrency slot per input; more inputs than the quota are refused naming inputs', async () => {
    const inflight = () => p.redis.zcard(keys.inflight(p.prefix, 'quota-limited'));
    await eventually(async () => (await inflight()) === 0, 'the quota test before to give its slots back');
    const over = await p.call('POST', '/v1/functions/quota-fn/jobs', { inputs: [{}, {}, {}] });
    expect(over.status).toBe(400);
    expect(over.json).toMatchObject({ code: 'INPUTS_OVER_LIMIT', field: 'inputs', limit: 2 });
    let two = '';
    await poolStopped(async () => {
      const r = await p.call('POST', '/v1/functions/quota-fn/jobs', { inputs: [{}, {}] });
      expect(r.status).toBe(202);
      two = r.json.id;
      const c = await p.call('POST', '/v1/functions/quota-fn/jobs', { input: {} });
      expect(c.status).toBe(429);
      expect(c.json.code).toBe('CONCURRENCY_QUOTA_EXCEEDED');
    });
    expect((await p.call('GET', `/v1/jobs/${two}?wait=20s`)).json.status).toBe('succeeded');
    await eventually(async () => (await inflight()) === 0, 'the bulk job to give back both slots');
  });

  it("a 100% shadow's copies count toward the namespace's concurrency", async () => {
    await deployCopy('shadowed-fn', 'quota-limited', 100);
    const inflight = () => p.redis.zcard(keys.inflight(p.prefix, 'quota-limited'));
    await eventually(async () => (await inflight()) === 0, 'earlier tests to give their slots back');
    let a = '';
    await poolStopped(async () => {
      const r = await p.call('POST', '/v1/functions/shadowed-fn/jobs', { input: {} });
      expect(r.status).toBe(202);
      a = r.json.id;
      // The job and its copy: the quota of 2 is full, so a second job is refused.
      await eventually(async () => (await inflight()) === 2, 'the shadow copy to take a slot');
      const b = await p.call('POST', '/v1/functions/shadowed-fn/jobs', { input: {} });
      expect(b.status).toBe(429);
      expect(b.json.code).toBe('CONCURRENCY_QUOTA_EXCEEDED');
    });
    expect((await p.call('GET', `/v1/jobs/${a}?wait=20s`)).json.status).toBe('succeeded');
  });
});
