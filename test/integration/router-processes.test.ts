import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../runtime/launcher/embedded-redis.ts';
import { descendants, isAlive } from '../bench/proc-stats.ts';
import { eventually } from '../harness/platform.ts';

const START = fileURLToPath(new URL('../../runtime/start.mjs', import.meta.url));
const state = mkdtempSync(join(tmpdir(), 'autoglm-rp-'));
afterAll(() => rmSync(state, { recursive: true, force: true }));

/** One sync call to echo on a connection of its own (a pooled one may belong to a killed process), with a deadline. */
function invoke(base: string, token: string, message: string): Promise<{ status: number; router: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/v1/functions/echo/invoke`, { method: 'POST', agent: false, timeout: 15_000, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, router: String(res.headers['x-router']), body }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 15 s')));
    req.on('error', reject);
    req.end(JSON.stringify({ input: { message } }));
  });
}

/** `routerId` → pid of each `router listening` line the processes logged so far. */
const listening = (out: string): Map<string, number> =>
  new Map([...out.matchAll(/"msg":"router listening".*?"pid":(\d+).*?"routerId":"([^"]+)"/g)].map((m) => [m[2]!, Number(m[1])]));

describe('AUTOGLM_ROUTER_PROCESSES=2: two router processes on one port', () => {
  it('both serve; one killed, the other answers and the launcher starts another; SIGTERM stops every process', async () => {
    const port = await freePort();
    let out = '';
    const proc = spawn(process.execPath, [START], {
      env: { PATH: process.env.PATH!, AUTOGLM_STATE_DIR: state, AUTOGLM_PORT: String(port), AUTOGLM_WORKERS: '1', AUTOGLM_ROUTER_PROCESSES: '2', AUTOGLM_LOG_LEVEL: 'info', AUTOGLM_SHUTDOWN_GRACE: '5s' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stdout!.on('data', (d) => (out += d));
    proc.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    try {
      const token = (await eventually(() => /Token +(\S+)/.exec(out) ?? undefined, 'the banner', 60_000))[1]!;
      const base = `http://127.0.0.1:${port}`;
      expect(out).toMatch(/API +http:\/\/127\.0\.0\.1:\d+ .*, 2 router processes/);
      const first = listening(out);
      expect(first.size).toBe(2);

      // Many concurrent calls on one port: all answered, and by both processes (the kernel
      // spreads them as processes accept: rounds until both have, each call checked).
      const served = new Set<string>();
      for (let round = 0; served.size < 2; round++) {
        expect(round, 'ten rounds of calls all answered by one process').toBeLessThan(10);
        const calls = await Promise.all(Array.from({ length: 20 }, (_, i) => invoke(base, token, `m${round}.${i}`)));
        expect(calls.map((c) => c.status)).toEqual(calls.map(() => 200));
        expect(calls.map((c) => JSON.parse(c.body).output.echo.message)).toEqual(calls.map((_, i) => `m${round}.${i}`));
        for (const c of calls) served.add(c.router);
      }
      expect(served).toEqual(new Set(first.keys()));

      // kill -9 one while calls come in: a call it held may fail with its connection, but none
      // hangs (each has a 15 s deadline); then the other answers every call.
      const [victim, survivor] = [...first.keys()];
      let killing = true;
      const during = Array.from({ length: 4 }, async (_, k) => {
        const outcomes: (number | string)[] = [];
        for (let i = 0; killing; i++) outcomes.push(await invoke(base, token, `during${k}.${i}`).then((c) => c.status, (err: Error) => err.message));
        return outcomes;
      });
      process.kill(first.get(victim!)!, 'SIGKILL');
      await eventually(() => !isAlive(first.get(victim!)!), 'the killed process to be gone');
      await eventually(() => out.includes('"msg":"a router process exited; starting another"'), 'the launcher to see the process gone');
      killing = false;
      const outcomes = (await Promise.all(during)).flat();
      expect(outcomes.filter((o) => o !== 200 && !/ECONNRESET|socket hang up/.test(String(o)))).toEqual([]);
      for (let i = 0; i < 10; i++) {
        const c = await invoke(base, token, `after${i}`);
        expect(c.status).toBe(200);
        expect([survivor, ...listening(out).keys()]).toContain(c.router);
        expect(c.router).not.toBe(victim);
      }

      // The launcher says it starts another; that one listens with a new id and pid, and serves.
      const restarted = await eventually(() => /"msg":"router process started again".*?"pid":(\d+).*?"routerId":"([^"]+)"/.exec(out) ?? undefined, 'the launcher to start another router process', 30_000);
      const [newPid, newId] = [Number(restarted[1]), restarted[2]!];
      expect(out).toMatch(/"msg":"a router process exited; starting another".*"signal":"SIGKILL"/);
      expect(first.has(newId)).toBe(false);
      expect(isAlive(newPid)).toBe(true);
      await eventually(async () => (await invoke(base, token, 'new')).router === newId, 'a call answered by the new process');

      // SIGTERM to the launcher drains and stops all of it: routers, pool, workers, Redis.
      const tree = descendants(proc.pid!);
      expect(tree).toContain(newPid);
      expect(tree).toContain(first.get(survivor!)!);
      proc.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(tree.filter(isAlive)).toEqual([]);
      expect(out.match(/"msg":"router stopped"/g)).toHaveLength(2);
    } finally {
      // A failed run leaves nothing behind: the whole tree (its embedded Redis too), not only the launcher.
      if (proc.exitCode === null) {
        for (const pid of descendants(proc.pid!)) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
        proc.kill('SIGKILL');
      }
    }
  }, 90_000);
});
