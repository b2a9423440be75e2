import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import { freePort } from '../../runtime/launcher/embedded-redis.ts';

/** A private redis-server for one test file: its own port and temp directory. */
export interface TestRedis {
  url: string;
  port: number;
  dir: string;
  /** The server's process id while it runs (benchmarks read its CPU time). */
  pid(): number | undefined;
  /** Graceful stop (SHUTDOWN semantics: AOF flushed). */
  stop(): Promise<void>;
  /** Starts it again on the same port and directory (data reloaded from the AOF). */
  start(): Promise<void>;
  /** SIGKILL: no flush. */
  kill(): Promise<void>;
  /** Stops it and deletes its directory. */
  destroy(): Promise<void>;
}

/** Starts `redis-server` with AOF (everysec) and noeviction, as the platform runs it. */
export async function startTestRedis(): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'autoglm-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const url = `redis://127.0.0.1:${port}`;

  const start = async () => {
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--maxmemory-policy', 'noeviction'],
      { stdio: 'ignore' },
    );
    for (let i = 0; i < 200; i++) {
      if (await answersPing(url)) return;
      await new Promise((res) => setTimeout(res, 25));
    }
    throw new Error('test redis-server did not start');
  };
  const waitExit = (sig: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill(sig);
    });

  await start();
  return {
    url,
    port,
    dir,
    pid: () => child?.pid,
    start,
    stop: () => waitExit('SIGTERM'),
    kill: () => waitExit('SIGKILL'),
    destroy: async () => {
      await waitExit('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Whether the Redis at `url` answers a PING now: one connection, no retries. */
export async function answersPing(url: string, opts: RedisOptions = {}): Promise<boolean> {
  const r = new Redis(url, { ...opts, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

/** Every key and every value (of every type) in Redis, as text. */
export async function dumpRedis(r: Redis): Promise<string> {
  const parts: string[] = [];
  for await (const batch of r.scanStream({ count: 500 })) {
    for (const key of batch as string[]) {
      parts.push(key);
      const type = await r.type(key);
      if (type === 'string') parts.push((await r.get(key)) ?? '');
      else if (type === 'hash') parts.push(JSON.stringify(await r.hgetall(key)));
      else if (type === 'list') parts.push(JSON.stringify(await r.lrange(key, 0, -1)));
      else if (type === 'set') parts.push(JSON.stringify(await r.smembers(key)));
      else if (type === 'zset') parts.push(JSON.stringify(await r.zrange(key, '0', '-1')));
      else if (type === 'stream') parts.push(JSON.stringify(await r.xrange(key, '-', '+')));
    }
  }
  return parts.join('\n');
}

