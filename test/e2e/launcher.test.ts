import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { POOL_CONFIG_VARIABLE } from '../../queue/cluster/index.ts';
import { freePort } from '../../runtime/launcher/embedded-redis.ts';
import { normalInput } from '../functions/risk-fixtures.ts';
import { isAlive } from '../bench/proc-stats.ts';
import { eventually } from '../harness/platform.ts';
import { childrenOf, cmdline, withEnv } from '../harness/processes.ts';
import { startTestRedis } from '../harness/redis.ts';

const START = fileURLToPath(new URL('../../runtime/start.mjs', import.meta.url));
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Runs `runtime/start.mjs` (what `npm start` runs) as a child process. */
function launch(env: Record<string, string>): { proc: ChildProcess; out: () => string; exited: Promise<number | null> } {
  let out = '';
  const proc = spawn(process.execPath, [START], { env: { PATH: process.env.PATH!, AUTOGLM_LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return { proc, out: () => out, exited };
}

async function waitFor<T>(fn: () => T | undefined | null, what: string, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('npm start (the launcher)', () => {
  it('stops when npm is told to stop: the platform is npm\'s own child, not left behind under a shell', async () => {
    const state = mkdtempSync(join(tmpdir(), 'autoglm-l-'));
    dirs.push(state);
    const repo = fileURLToPath(new URL('../../', import.meta.url));
    const npm = spawn('npm', ['start'], { cwd: repo, env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/root', AUTOGLM_LOG_LEVEL: 'warn', AUTOGLM_STATE_DIR: state, AUTOGLM_PORT: String(await freePort()), AUTOGLM_WORKERS: '1' }, stdio: 'ignore' });
    const exited = new Promise((r) => npm.once('exit', r));
    let platform: number | undefined;
    try {
      // The router is up once it has written the admin token.
      await waitFor(() => existsSync(join(state, 'admin-token')), 'the router to start');
      // The node process running start.mjs, wherever it sits below npm (a shell's `sh -c node …` is not it).
      const below = (pid: number): number[] => childrenOf(pid).flatMap((c) => [c, ...below(c)]);
      platform = await waitFor(() => below(npm.pid!).find((pid) => /^\S*node\s.*runtime\/start\.mjs/.test(cmdline(pid))), "the platform's process");
      npm.kill('SIGTERM');
      await exited;
      // Before, `sh -c` stood between them: npm's SIGTERM ended the shell, and the platform ran on, adopted by init.
      await waitFor(() => !isAlive(platform!), 'the platform to stop', 30_000);
    } finally {
      npm.kill('SIGKILL');
      // Left running by a failure here: stop it as its user would.
      if (platform && isAlive(platform)) process.kill(platform, 'SIGTERM');
    }
  });

  it('without REDIS_URL and without redis-server it says how to fix it in one line and exits non-zero', async () => {
    const state = mkdtempSync(join(tmpdir(), 'autoglm-l-'));
    dirs.push(state);
    const l = launch({ PATH: '/nonexistent', AUTOGLM_STATE_DIR: state });
    expect(await l.exited).toBe(1);
    const lines = l.out().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/redis-server.*REDIS_URL|REDIS_URL.*redis-server/);
  });

  it('refuses a REDIS_URL whose eviction policy is not noeviction', async () => {
    const redis = await startTestRedis();
    const r = new Redis(redis.url);
    await r.config('SET', 'maxmemory-policy', 'allkeys-lru');
    r.disconnect();
    try {
      const l = launch({ REDIS_URL: redis.url, AUTOGLM_PORT: '0' });
      expect(await l.exited).toBe(1);
      expect(l.out()).toContain('noeviction');
    } finally {
      await redis.destroy();
    }
  });

  it('rejects bad configuration listing every bad variable', async () => {
    const l = launch({ AUTOGLM_PORT: 'x', AUTOGLM_WORKERS: '-1', OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' });
    expect(await l.exited).toBe(2);
    expect(l.out()).toContain('AUTOGLM_PORT');
    expect(l.out()).toContain('AUTOGLM_WORKERS');
    expect(l.out()).toContain('OTEL_EXPORTER_OTLP_ENDPOINT="collector:4318": expected an http(s) URL');
  });

  it('serves echo on an embedded Redis, stops cleanly on Ctrl-C leaving no process, and keeps accepted jobs', async () => {
    const state = mkdtempSync(join(tmpdir(), 'autoglm-l-'));
    dirs.push(state);
    const env = { AUTOGLM_STATE_DIR: state, AUTOGLM_PORT: '0', AUTOGLM_WORKERS: '1', AUTOGLM_SHUTDOWN_GRACE: '10s' };
    const l = launch(env);
    const curl = await waitFor(() => /curl -s -X POST (\S+) -H 'authorization: Bearer (\S+)'/.exec(l.out()), 'the banner');
    const [, invokeUrl, token] = curl;
    const base = invokeUrl!.replace('/v1/functions/echo/invoke', '');
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const res = await fetch(invokeUrl!, { method: 'POST', headers, body: JSON.stringify({ input: { message: 'hello' } }) });
    expect(res.status).toBe(200);
    expect((await res.json()).output).toEqual({ echo: { message: 'hello' } });

    // The banner's console link signs in as the admin token, once.
    const link = /Console +(\S+)/.exec(l.out())![1]!;
    expect(link.startsWith(`${base}/console/#/login?code=`)).toBe(true);
    const signIn = () => fetch(`${base}/v1/console/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: new URL(link.replace('#/login', '')).searchParams.get('code') }) });
    const signedIn = await signIn();
    expect(signedIn.status).toBe(200);
    expect(await signedIn.json()).toMatchObject({ token, sub: 'admin', roles: ['admin'], namespaces: ['*'] });
    expect((await signIn()).status).toBe(400);

    // A job that is running at Ctrl-C must be finished by the drain, not abandoned. Ctrl-C once a
    // worker has it (not after a guess at how long that takes), while it has seconds left to run.
    const running = await (await fetch(`${base}/v1/functions/echo/jobs`, { method: 'POST', headers, body: JSON.stringify({ input: { sleepMs: 4000 } }) })).json();
    await eventually(async () => (await (await fetch(`${base}/v1/jobs/${running.id}`, { headers })).json()).status === 'running', 'the job to run');
    const interruptedAt = Date.now();
    const redisPid = Number(readFileSync(join(state, 'redis', 'redis.pid'), 'utf8'));
    const children = childrenOf(l.proc.pid!);
    l.proc.kill('SIGINT');
    expect(await l.exited).toBe(0);
    expect(isAlive(redisPid)).toBe(false);
    for (const pid of children) expect(isAlive(pid), `child ${pid}`).toBe(false);

    // Start again on the same state: the job that was running at Ctrl-C finished before the stop.
    const l2 = launch(env);
    const curl2 = await waitFor(() => /curl -s -X POST (\S+) -H 'authorization: Bearer (\S+)'/.exec(l2.out()), 'the second banner');
    const base2 = curl2[1]!.replace('/v1/functions/echo/invoke', '');
    const job = await (await fetch(`${base2}/v1/jobs/${running.id}`, { headers: { authorization: `Bearer ${curl2[2]}` } })).json();
    expect(job.status).toBe('succeeded');
    expect(job.attempts).toBe(1);
    // It was still running at Ctrl-C (one clock, this machine's: an order of events, not a duration).
    expect(Date.parse(job.timings.finished)).toBeGreaterThanOrEqual(interruptedAt);
    l2.proc.kill('SIGINT');
    expect(await l2.exited).toBe(0);
  });

  it('says ready only once the built-in functions are callable: echo and risk-scoring answer the moment /readyz first says ready', async () => {
    const state = mkdtempSync(join(tmpdir(), 'autoglm-l-'));
    dirs.push(state);
    // A port known before the banner: the router answers probes while the node still starts.
    const port = await freePort();
    const l = launch({ AUTOGLM_STATE_DIR: state, AUTOGLM_PORT: String(port), AUTOGLM_WORKERS: '1' });
    try {
      // Written once the router is up, before the pool starts and the built-ins are deployed.
      const tokenFile = join(state, 'admin-token');
      const token = await waitFor(() => existsSync(tokenFile) && readFileSync(tokenFile, 'utf8').endsWith('\n') && readFileSync(tokenFile, 'utf8').trim(), 'the admin token');
      const base = `http://127.0.0.1:${port}`;
      const reasons = new Set<string>();
      for (;;) {
        expect(l.proc.exitCode, l.out()).toBeNull();
        const r = await fetch(`${base}/readyz`);
        if (r.status === 200) break;
        for (const reason of (await r.json()).reasons as string[]) reasons.add(reason);
      }
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const invoke = (fn: string, input: unknown) => fetch(`${base}/v1/functions/${fn}/invoke`, { method: 'POST', headers, body: JSON.stringify({ input }) });
      const [echo, risk] = await Promise.all([invoke('echo', { message: 'first' }), invoke('risk-scoring', normalInput())]);
      expect(await echo.json()).toMatchObject({ output: { echo: { message: 'first' } } });
      expect(echo.status).toBe(200);
      expect(risk.status).toBe(200);
      expect((await risk.json()).output.level).toBe('low');
      // Readiness was held for the deploy, with the reason saying so.
      expect([...reasons]).toContain('deploying the built-in functions');
    } finally {
      l.proc.kill('SIGINT');
      await l.exited;
    }
  });

  it('a router whose Redis is gone still stops on SIGTERM', async () => {
    const redis = await startTestRedis();
    const state = mkdtempSync(join(tmpdir(), 'autoglm-l-'));
    dirs.push(state);
    try {
      const l = launch({ REDIS_URL: redis.url, AUTOGLM_ROLE: 'router', AUTOGLM_STATE_DIR: state, AUTOGLM_PORT: '0', AUTOGLM_SHUTDOWN_GRACE: '1s' });
      await waitFor(() => /API\s+http/.exec(l.out()), 'the banner');
      await redis.kill();
      // ioredis holds commands while it reconnects: releasing Redis must not wait for it forever.
      l.proc.kill('SIGTERM');
      expect(await l.exited).toBe(0);
      expect(l.out()).toContain('Redis did not answer');
    } finally {
      await redis.destroy();
    }
  });

  it('Ctrl-C while it is still starting stops what has started: no Redis, pool or worker is left', async () => {
    const state = mkdtempSync(join(tmpdir(), 'autoglm-l-'));
    dirs.push(state);
    const l = launch({ AUTOGLM_STATE_DIR: state, AUTOGLM_PORT: '0', AUTOGLM_WORKERS: '1' });
    // The configuration the launcher hands the pool (and the pool its workers) names this node's state directory.
    const mine = (entry: string) => entry.startsWith(`${POOL_CONFIG_VARIABLE}=`) && entry.includes(JSON.stringify(join(state, 'bundles')));
    try {
      // The pool is forked once Redis and the router are up; the banner comes only after a worker
      // is ready and the built-ins are deployed, seconds later. Both run detached: nothing but
      // the launcher stops them.
      const pool = await waitFor(() => childrenOf(l.proc.pid!).find((pid) => cmdline(pid).includes('gpu-pool/main')), 'the pool process');
      const redisPid = Number(readFileSync(join(state, 'redis', 'redis.pid'), 'utf8'));
      expect(l.out()).not.toContain('Open-AutoGLM is running');
      l.proc.kill('SIGINT');
      expect(await l.exited).toBe(0);
      expect(l.out()).not.toContain('Open-AutoGLM is running');
      expect(isAlive(redisPid), 'redis-server').toBe(false);
      expect(isAlive(pool), 'pool').toBe(false);
      expect(withEnv(mine), 'pool and workers of this node').toEqual([]);
    } finally {
      // Whatever a failure left behind must not outlive the test.
      for (const pid of withEnv(mine)) process.kill(pid, 'SIGKILL');
      l.proc.kill('SIGKILL');
      const redisPid = existsSync(join(state, 'redis', 'redis.pid')) ? Number(readFileSync(join(state, 'redis', 'redis.pid'), 'utf8')) : 0;
      if (redisPid && isAlive(redisPid)) process.kill(redisPid, 'SIGKILL');
    }
  });

  it('exports each invocation as one trace across router and worker to an OTLP collector, flushed at stop', async () => {
    // A stand-in collector: OTLP/HTTP JSON, as the OpenTelemetry Collector receives it.
    const spans: { service: string; traceId: string; parentSpanId?: string; name: string }[] = [];
    const collector = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d)).on('end', () => {
        if (req.url === '/v1/traces') {
          for (const rs of JSON.parse(body).resourceSpans ?? []) {
            const service = rs.resource.attributes.find((a: { key: string }) => a.key === 'service.name')?.value.stringValue;
            for (const ss of rs.scopeSpans) for (const sp of ss.spans) spans.push({ service, traceId: sp.traceId, parentSpanId: sp.parentSpanId, name: sp.name });
          }
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
    const redis = await startTestRedis();
    const state = mkdtempSync(join(tmpdir(), 'autoglm-l-'));
    dirs.push(state);
    try {
      const l = launch({
        REDIS_URL: redis.url,
        AUTOGLM_STATE_DIR: state,
        AUTOGLM_PORT: '0',
        AUTOGLM_WORKERS: '1',
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
        // Nothing leaves on the batch schedule during the test: what arrives was flushed at stop.
        OTEL_BSP_SCHEDULE_DELAY: '600000',
      });
      const [, invokeUrl, token] = await waitFor(() => /curl -s -X POST (\S+) -H 'authorization: Bearer (\S+)'/.exec(l.out()), 'the banner');
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json', traceparent: `00-${traceId}-00f067aa0ba902b7-01` };
      const res = await fetch(invokeUrl!, { method: 'POST', headers, body: JSON.stringify({ input: { message: 'traced' } }) });
      expect(res.status).toBe(200);
      expect(spans).toEqual([]);
      l.proc.kill('SIGINT');
      expect(await l.exited).toBe(0);

      const inTrace = spans.filter((s) => s.traceId === traceId);
      expect(inTrace.find((s) => s.service === 'autoglm-router')).toMatchObject({ name: 'invoke echo', parentSpanId: '00f067aa0ba902b7' });
      expect(inTrace.find((s) => s.service === 'autoglm-worker')).toBeDefined();
    } finally {
      collector.close();
      await redis.destroy();
    }
  });
});
