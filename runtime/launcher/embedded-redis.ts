import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Logger } from '../../functions/sdk/index.ts';
import { connectRedis } from '../../queue/cluster/index.ts';

/** A private redis-server run by the launcher. */
export interface EmbeddedRedis {
  url: string;
  dir: string;
  /** Asks Redis to save and exit (SHUTDOWN flushes the AOF), waiting for it. Idempotent. */
  stop(): Promise<void>;
  /** Sends SIGTERM without waiting (Redis still flushes its AOF). */
  kill(): void;
}

/** True when a `redis-server` binary is on PATH. */
export function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts `redis-server` with its data in `<stateDir>/redis`: AOF with fsync every second,
 * `noeviction` (BullMQ must never lose keys to eviction), loopback only, a password from the
 * state directory. Runs in its own process group so a terminal's Ctrl-C reaches only the
 * launcher, which then shuts everything down in order. An instance left behind by a launcher
 * that was killed is stopped first, so its AOF is complete before the new one reads it.
 */
export async function startEmbeddedRedis(stateDir: string, password: string, log: Logger): Promise<EmbeddedRedis> {
  const dir = join(stateDir, 'redis');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  await stopLeftover(join(dir, 'redis.pid'), log);
  const port = await freePort();
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', dir,
    '--appendonly', 'yes',
    '--appendfsync', 'everysec',
    '--save', '',
    '--maxmemory-policy', 'noeviction',
    '--requirepass', password,
    '--pidfile', join(dir, 'redis.pid'),
    '--logfile', join(dir, 'redis.log'),
    '--daemonize', 'no',
  ];
  const child: ChildProcess = spawn('redis-server', args, { detached: true, stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `redis://:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  await waitForPing(url, exited, join(dir, 'redis.log'));
  log.info('embedded redis started', { port, dir, pid: child.pid });

  let stopping: Promise<void> | undefined;
  return {
    url,
    dir,
    kill: () => void child.kill('SIGTERM'),
    stop: () =>
      (stopping ??= (async () => {
        if (child.exitCode !== null) return;
        child.kill('SIGTERM'); // Redis treats SIGTERM as SHUTDOWN: AOF flushed, then exit.
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(t);
      })()),
  };
}

async function waitForPing(url: string, exited: Promise<number | null>, logFile: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  let dead = false;
  void exited.then(() => (dead = true));
  while (Date.now() < deadline && !dead) {
    const r = connectRedis(url, 'producer', { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    r.on('error', () => undefined);
    try {
      await r.connect();
      // While loading a large AOF Redis answers LOADING; wait until it serves.
      if ((await r.ping()) === 'PONG') return;
    } catch {
      /* not up yet */
    } finally {
      r.disconnect();
    }
    await new Promise((res) => setTimeout(res, 50));
  }
  const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n').slice(-3).join(' | ') : '';
  throw new Error(`embedded redis-server did not start${tail ? `: ${tail}` : ''}`);
}

async function stopLeftover(pidFile: string, log: Logger): Promise<void> {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return;
  const cmd = existsSync(`/proc/${pid}/cmdline`) ? readFileSync(`/proc/${pid}/cmdline`, 'utf8') : '';
  if (!cmd.includes('redis-server')) return;
  log.warn('stopping a redis-server left running by an earlier launcher', { pid });
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 200 && existsSync(`/proc/${pid}`); i++) await new Promise((r) => setTimeout(r, 50));
}
