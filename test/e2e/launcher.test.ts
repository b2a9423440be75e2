import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
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

const alive = (pid: number) => existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');

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
    const l = launch({ AUTOGLM_PORT: 'x', AUTOGLM_WORKERS: '-1' });
    expect(await l.exited).toBe(2);
    expect(l.out()).toContain('AUTOGLM_PORT');
    expect(l.out()).toContain('AUTOGLM_WORKERS');
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

    // A job that is running at Ctrl-C must be finished by the drain, not abandoned.
    const running = await (await fetch(`${base}/v1/functions/echo/jobs`, { method: 'POST', headers, body: JSON.stringify({ input: { sleepMs: 1500 } }) })).json();
    await new Promise((r) => setTimeout(r, 300));
    const redisPid = Number(readFileSync(join(state, 'redis', 'redis.pid'), 'utf8'));
    const children = readFileSync(`/proc/${l.proc.pid}/task/${l.proc.pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
    l.proc.kill('SIGINT');
    expect(await l.exited).toBe(0);
    expect(alive(redisPid)).toBe(false);
    for (const pid of children) expect(alive(pid), `child ${pid}`).toBe(false);

    // Start again on the same state: the job that was running at Ctrl-C finished before the stop.
    const l2 = launch(env);
    const curl2 = await waitFor(() => /curl -s -X POST (\S+) -H 'authorization: Bearer (\S+)'/.exec(l2.out()), 'the second banner');
    const base2 = curl2[1]!.replace('/v1/functions/echo/invoke', '');
    const job = await (await fetch(`${base2}/v1/jobs/${running.id}`, { headers: { authorization: `Bearer ${curl2[2]}` } })).json();
    expect(job.status).toBe('succeeded');
    l2.proc.kill('SIGINT');
    expect(await l2.exited).toBe(0);
  });
});
