import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { OpenAPIHono } from '@hono/zod-openapi';
import { Command, CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../functions/sdk/index.ts';
import { AUDIT_KEYS_FILE, AuditLog, auditDenials, parseAuditKeys } from '../../runtime/audit/index.ts';
import { AuditHeadStore } from '../../queue/cluster/index.ts';
import { bearerAuth } from '../../runtime/auth/index.ts';
import { EXIT, describeError } from '../../runtime/cli/cli-error.ts';
import { EXIT_AUDIT_FAILED, registerAuditCommands } from '../../runtime/cli/commands/audit-commands.ts';
import { createOutput } from '../../runtime/cli/output.ts';
import { ApiClient } from '../../runtime/client/api-client.ts';
import type { AppEnv } from '../../runtime/http/app-deps.ts';
import { problemResponse } from '../../runtime/http/problem.ts';
import { auditRoutes } from '../../runtime/http/routes/audit-routes.ts';
import { bundleMaker } from '../harness/bundles.ts';
import { eventually, startPlatform, type TestPlatform } from '../harness/platform.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';

const ECHO = fileURLToPath(new URL('../../functions/echo/', import.meta.url));
let redis: TestRedis;
let p: TestPlatform;
let stateDir: string;
let auditDir: string;
/** A second writer on the router's state dir (its own chain), serving the audit routes on a real port. */
let audit: AuditLog;
let server: ServerType;
let url: string;

beforeAll(async () => {
  redis = await startTestRedis();
  stateDir = mkdtempSync(join(tmpdir(), 'autoglm-audit-it-'));
  auditDir = join(stateDir, 'audit');
  p = await startPlatform(redis.url, { env: { AUTOGLM_STATE_DIR: stateDir } });

  // The router's keys (generated in its state dir) and its Redis anchors: one audit trail.
  const keys = parseAuditKeys(readFileSync(join(stateDir, AUDIT_KEYS_FILE), 'utf8').trim());
  audit = await AuditLog.open({ dir: auditDir, keys, anchors: new AuditHeadStore(p.redis, p.prefix), log: createLogger({}, 'error', () => undefined), pruneIntervalMs: 0 });
  // Mounted as app.ts mounts it: denials recorded before auth, routes behind the bearer check.
  const app = new OpenAPIHono<AppEnv>();
  app.use('*', async (c, next) => {
    c.set('requestId', Math.random().toString(16).slice(2));
    await next();
  });
  app.use('/v1/*', auditDenials(audit));
  app.use('/v1/*', bearerAuth(p.router.verifier));
  app.route('/', auditRoutes({ auditLog: audit }));
  app.onError((err, c) => problemResponse(c, err));
  server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await audit?.close();
  await p?.stop();
  await redis?.destroy();
  rmSync(stateDir, { recursive: true, force: true });
});

const get = async (path: string, token: string, base = url) => {
  const res = await fetch(base + path, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, json: (await res.json()) as any };
};

/** `autoglm <args>` against `api`, as main.ts runs it; returns the exit status and output. */
async function runCli(args: string[], api?: ApiClient): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  const program = new Command('autoglm').option('--json').exitOverride();
  const out = { write: (s: string) => ((stdout += s), true) } as unknown as NodeJS.WriteStream;
  registerAuditCommands(program, () => ({ env: { configPath: '/nonexistent' }, api: () => api!, out: createOutput(Boolean(program.opts().json), out, out) }));
  for (const c of [...program.commands, ...program.commands.flatMap((c) => c.commands)]) c.exitOverride();
  try {
    await program.parseAsync(['node', 'autoglm', ...args]);
    return { code: EXIT.ok, stdout, stderr: '' };
  } catch (err) {
    if (err instanceof CommanderError) return { code: EXIT.usage, stdout, stderr: err.message };
    const { line, code } = describeError(err);
    return { code, stdout, stderr: line };
  }
}

describe('the router\'s own audit trail', () => {
  // Only the router's wiring writes these: real HTTP calls to it, its own log on disk, its own
  // verify. (The test's second writer above shares the directory, so records are told apart by chain.)
  it('records a deploy, an invocation and a denied call, on its own chain, and verifies', async () => {
    const make = await bundleMaker(ECHO);
    const b = make('audited');
    const dep = await p.api.deploy(b.archive, b.hash);
    expect(dep.status).toBe(201);
    const version = dep.body.version as string;
    const ivy = await p.token(['invoker'], 'ivy');
    const call = (token: string) => fetch(`${p.url}/v1/functions/audited/invoke`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ input: { message: 'audit me' } }) });
    const invoked = await call(ivy);
    expect(invoked.status).toBe(200);
    const jobId = ((await invoked.json()) as { id: string }).id;
    const denied = await call(await p.token(['viewer'], 'vera'));
    expect(denied.status).toBe(403);

    const q = async (qs: string) => (await get(`/v1/audit?${qs}`, p.adminToken, p.url)).json.items as any[];
    const [deployRec] = await q('action=function.deploy&function=audited');
    expect(deployRec).toMatchObject({ actor: 'test-admin', roles: ['admin'], function: 'audited', version, outcome: 'ok' });
    const chain = deployRec.chain as string;
    expect(chain).not.toBe(audit.chainId);
    const [invokeRec] = await q('action=invoke&function=audited&actor=ivy');
    expect(invokeRec).toMatchObject({ actor: 'ivy', roles: ['invoker'], function: 'audited', version, outcome: 'ok', jobId, chain });
    const [deniedRec] = await q('action=access.denied&actor=vera');
    expect(deniedRec).toMatchObject({ roles: ['viewer'], outcome: 'denied', code: 'FORBIDDEN', target: 'POST /v1/functions/audited/invoke', chain });

    // They are in the router's chain files, as written (not only as the query reads them).
    const onDisk = readdirSync(join(auditDir, chain))
      .filter((f) => f.endsWith('.jsonl'))
      .flatMap((f) => readFileSync(join(auditDir, chain, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { seq: number; hash: string }));
    for (const rec of [deployRec, invokeRec, deniedRec]) expect(onDisk.find((r) => r.seq === rec.seq)?.hash).toBe(rec.hash);

    // `autoglm audit verify` through the router: every chain intact, the router's anchored in Redis.
    const v = await runCli(['--json', 'audit', 'verify'], new ApiClient({ url: p.url, token: p.adminToken }));
    expect(v.code, v.stderr).toBe(0);
    const report = JSON.parse(v.stdout);
    expect(report.ok).toBe(true);
    const own = report.chains.find((c: { chain: string }) => c.chain === chain);
    expect(own).toMatchObject({ ok: true });
    expect(own.lastSeq).toBeGreaterThanOrEqual(deniedRec.seq);
    expect(['match', 'behind']).toContain(own.headAnchor.status);
  });
});

describe('audit routes over HTTP, with the platform\'s tokens', () => {
  it('admins read records; a viewer gets 403, and that denial is recorded with its peer address', async () => {
    audit.append({ actor: 'dana', roles: ['deployer'], action: 'traffic.change', namespace: 'default', function: 'echo', outcome: 'ok' });
    const ok = await get('/v1/audit?function=echo&action=traffic.change', p.adminToken);
    expect(ok.status).toBe(200);
    expect(ok.json.items[0]).toMatchObject({ actor: 'dana', action: 'traffic.change', chain: audit.chainId });

    const viewer = await get('/v1/audit', await p.token(['viewer'], 'vic'));
    expect(viewer.status).toBe(403);
    expect(viewer.json.code).toBe('FORBIDDEN');
    const denied = await get('/v1/audit?action=access.denied&actor=vic', p.adminToken);
    expect(denied.json.items).toHaveLength(1);
    expect(denied.json.items[0]).toMatchObject({ roles: ['viewer'], outcome: 'denied', code: 'FORBIDDEN', target: 'GET /v1/audit', remote: '127.0.0.1' });
  });

  it("a response's X-Request-Id finds its record, a job id what was done to the job (HTTP and CLI)", async () => {
    const bad = await fetch(`${p.url}/v1/functions/echo/invoke`, { method: 'POST', headers: { authorization: `Bearer ${p.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ input: { message: 5 } }) });
    const requestId = bad.headers.get('x-request-id')!;
    expect(requestId).toMatch(/^[0-9a-f]{16}$/);
    expect((await bad.json()).instance).toBe(`urn:autoglm:request:${requestId}`);
    const job = await p.call('POST', '/v1/functions/echo/jobs', { input: { message: 'audited' } });
    expect(job.headers.get('x-request-id')).toMatch(/^[0-9a-f]{16}$/);
    expect(job.headers.get('x-request-id')).not.toBe(requestId);
    // The router writes its records in batches: wait for them to be read back.
    const found = (query: string) =>
      eventually(async () => {
        const { items } = (await get(`/v1/audit?${query}`, p.adminToken, p.url)).json;
        return items?.length ? (items as any[]) : undefined;
      }, query);
    const byRequest = await found(`requestId=${requestId}`);
    expect(byRequest).toHaveLength(1);
    expect(byRequest[0]).toMatchObject({ action: 'invoke', function: 'echo', namespace: 'default', outcome: 'error', code: 'INVALID_REQUEST', requestId });
    const byJob = await found(`jobId=${job.json.id}`);
    expect(byJob.map((r: { action: string; jobId: string }) => `${r.action} ${r.jobId}`)).toEqual([`job.submit ${job.json.id}`]);
    const cli = await runCli(['--json', 'audit', 'query', '--request-id', requestId], new ApiClient({ url: p.url, token: p.adminToken }));
    expect(cli.code, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout).items.map((r: { requestId: string }) => r.requestId)).toEqual([requestId]);
  });

  it('autoglm audit verify and query go through the server', async () => {
    const api = new ApiClient({ url, token: p.adminToken });
    const v = await runCli(['audit', 'verify'], api);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^audit log intact: \d+ records/);
    // Both chains (the router's and this one) are keyed and anchored in Redis.
    expect(v.stdout.match(/^ {2}ok {4}.*Redis anchor (match|\d+ record\(s\) behind)/gm)).toHaveLength(2);
    const q = await runCli(['audit', 'query', '--actor', 'dana'], api);
    expect(q.code).toBe(0);
    expect(q.stdout).toMatch(/dana\s+traffic\.change\s+echo\s+ok/);
    const asViewer = await runCli(['audit', 'verify'], new ApiClient({ url, token: await p.token(['viewer']) }));
    expect(asViewer.code).toBe(EXIT.server);
  });

  it('a tampered record fails verify through the server and offline, at that record', async () => {
    await audit.flush();
    const chainDir = join(auditDir, audit.chainId);
    const seg = join(chainDir, readdirSync(chainDir).filter((f) => f.endsWith('.jsonl')).sort()[0]!);
    writeFileSync(seg, readFileSync(seg, 'utf8').replace('"actor":"dana"', '"actor":"dan"'));
    const server = await runCli(['audit', 'verify'], new ApiClient({ url, token: p.adminToken }));
    expect(server.code).toBe(EXIT_AUDIT_FAILED);
    expect(server.stderr).toContain(`${audit.chainId}/`);
    expect(server.stderr).toMatch(/line 1 \(seq 1\): hash mismatch/);
    const offline = await runCli(['--json', 'audit', 'verify', '--dir', stateDir]);
    expect(offline.code).toBe(EXIT_AUDIT_FAILED);
    expect(JSON.parse(offline.stdout).firstBad).toMatchObject({ chain: audit.chainId, line: 1, seq: 1 });
  });
});

describe('the router records what happens', () => {

  it('deploys and invocations are recorded, payloads never', async () => {
    const secret = 'S3CRET-payload-4711';
    const r = await p.call('POST', '/v1/functions/echo/invoke', { input: { message: secret } });
    expect(r.status).toBe(200);
    const deploys = await p.call('GET', '/v1/audit?action=function.deploy&function=echo');
    expect(deploys.json.items[0]).toMatchObject({ actor: 'test-admin', function: 'echo', outcome: 'ok' });
    const invokes = await p.call('GET', '/v1/audit?action=invoke&function=echo&limit=1');
    const rec = invokes.json.items[0];
    expect(rec).toMatchObject({ actor: 'test-admin', roles: ['admin'], function: 'echo', version: r.json.version, outcome: 'ok' });
    expect(rec.jobId ?? rec.detail?.jobId).toBe(r.json.id);
    for (const chain of readdirSync(auditDir)) {
      for (const f of readdirSync(join(auditDir, chain)).filter((n) => n.endsWith('.jsonl'))) expect(readFileSync(join(auditDir, chain, f), 'utf8')).not.toContain(secret);
    }
  });

  it('traffic changes, rollbacks, token creation, cancels and failed invocations are recorded with their outcome', async () => {
    const version = (await p.call('GET', '/v1/functions/echo')).json.stable as string;
    expect((await p.call('PUT', '/v1/functions/echo/traffic', { routes: [{ version, weight: 100 }] })).status).toBe(200);
    expect((await p.call('POST', '/v1/functions/echo/rollback')).status).toBe(400);
    expect((await p.call('POST', '/v1/tokens', { sub: 'ci-bot', roles: ['invoker'] })).status).toBe(201);
    const failed = await p.call('POST', '/v1/functions/echo/invoke', { input: { fail: 'fatal' } });
    expect(failed.status).toBe(500);
    const job = await p.call('POST', '/v1/functions/echo/jobs', { input: {} });
    await p.call('GET', `/v1/jobs/${job.json.id}?wait=10s`);
    expect((await p.call('DELETE', `/v1/jobs/${job.json.id}`)).status).toBe(409);
    const q = async (qs: string) => (await p.call('GET', `/v1/audit?${qs}&limit=1`)).json.items[0];
    expect(await q('action=traffic.change&function=echo')).toMatchObject({ outcome: 'ok', actor: 'test-admin' });
    expect(await q('action=traffic.rollback&function=echo')).toMatchObject({ outcome: 'error', code: 'INVALID_TRAFFIC' });
    expect(await q('action=token.create')).toMatchObject({ outcome: 'ok' });
    expect(await q('action=invoke&outcome=error')).toMatchObject({ function: 'echo', code: 'ECHO_FAILED' });
    expect(await q('action=job.cancel')).toMatchObject({ outcome: 'error', code: 'JOB_NOT_CANCELLABLE', jobId: job.json.id });
  });

  it('/v1/audit is admin only on the router, and the denial is recorded', async () => {
    expect((await get('/v1/audit', await p.token(['viewer'], 'router-viewer'), p.url)).status).toBe(403);
    const denied = await p.call('GET', '/v1/audit?action=access.denied&actor=router-viewer');
    expect(denied.json.items[0]).toMatchObject({ outcome: 'denied', code: 'FORBIDDEN', target: 'GET /v1/audit' });
  });
});
