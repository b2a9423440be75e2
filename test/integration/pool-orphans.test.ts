import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TS_EXEC_ARGV } from '../../gpu-pool/supervisor.ts';
import { Redis } from 'ioredis';
import { POOL_CONFIG_VARIABLE, WorkerRoster, newKeyringSpec } from '../../queue/cluster/index.ts';
import { keys } from '../../queue/keys.ts';
import { isAlive } from '../bench/proc-stats.ts';
import { eventually } from '../harness/platform.ts';
import { poolEnv } from '../harness/pool-env.ts';
import { childrenOf, cmdline, withEnv } from '../harness/processes.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';

const POOL_MAIN = fileURLToPath(new URL('../../gpu-pool/main.ts', import.meta.url));

/**
 * Pool and worker processes never outlive their parent, also when it dies while they are still
 * starting: loading modules, the backend and warm models takes seconds, and a parent gone in
 * that time sends no 'disconnect' event to a listener that does not exist yet.
 */
describe('a pool or worker whose parent is gone', () => {
  let redis: TestRedis;
  let seq = 0;
  const started: ((entry: string) => boolean)[] = [];
  let state: string;
  beforeAll(async () => {
    redis = await startTestRedis();
    state = mkdtempSync(join(tmpdir(), 'autoglm-orphans-'));
  });
  afterAll(async () => {
    // Whatever a failure left running must not outlive the file.
    for (const marker of started) for (const pid of withEnv(marker)) process.kill(pid, 'SIGKILL');
    await redis.destroy();
    rmSync(state, { recursive: true, force: true });
  });

  /** Forks the pool as the launcher does; `marker` is in the environment of the pool and its workers. */
  function forkPool(): { proc: ChildProcess; marker: (entry: string) => boolean; prefix: string } {
    const prefix = `orphan${process.pid}x${++seq}`;
    const env = poolEnv({ PATH: process.env.PATH!, REDIS_URL: redis.url, AUTOGLM_REDIS_PREFIX: prefix, AUTOGLM_WORKERS: '1', AUTOGLM_ENCRYPTION_KEYS: newKeyringSpec('t'), AUTOGLM_LOG_LEVEL: 'error', AUTOGLM_SHUTDOWN_GRACE: '5s', AUTOGLM_BUNDLE_CACHE: join(state, 'bundles'), AUTOGLM_ARTIFACTS_DIR: join(state, 'artifacts') });
    // The pool hands its configuration on to its workers (with its isolation level resolved, so
    // not byte for byte): its key prefix, unique to this fork, finds the pool and its workers.
    const marker = (e: string) => e.startsWith(`${POOL_CONFIG_VARIABLE}=`) && e.includes(`"prefix":"${prefix}"`);
    started.push(marker);
    return { proc: fork(POOL_MAIN, [], { execArgv: TS_EXEC_ARGV, env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }), marker, prefix };
  }

  it('a pool whose launcher went away while it was starting stops, and starts no worker that stays', async () => {
    const { proc, marker } = forkPool();
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    // At once: the pool is still loading its modules, long before it listens for 'disconnect'.
    proc.disconnect();
    expect(await exited).toBe(0);
    await eventually(async () => withEnv(marker).length === 0, 'no process of this pool left');
  });

  it('a worker whose pool died while the worker was starting stops cleanly', async () => {
    const { proc, marker, prefix } = forkPool();
    const worker = await eventually(async () => childrenOf(proc.pid!).find((pid) => cmdline(pid).includes('worker-main')), 'the worker process');
    // The worker has just been forked: it is loading its modules and backend for seconds yet.
    proc.kill('SIGKILL');
    await eventually(async () => !withEnv(marker).includes(worker), 'the worker to stop on its own');
    expect(withEnv(marker)).toEqual([]);
    // Nothing of it stays listed: the set itself, not only its live (recently beating) members.
    const r = new Redis(redis.url);
    try {
      expect(await r.zcard(keys.workers(prefix))).toBe(0);
    } finally {
      r.disconnect();
    }
  });

  it('a registered worker whose pool is killed stops on its own, and leaves the roster as a clean stop does', async () => {
    const { proc, marker, prefix } = forkPool();
    const r = new Redis(redis.url);
    try {
      // Running and registered: its heartbeat is in the roster, from a child of this pool.
      const [registered] = await eventually(async () => {
        const live = await new WorkerRoster(r, prefix).live();
        return live.length === 1 && live;
      }, 'the worker to register');
      const worker = registered!.pid;
      expect(childrenOf(proc.pid!)).toContain(worker);
      expect(await r.zcard(keys.workers(prefix))).toBe(1);

      proc.kill('SIGKILL');
      // Nobody else signals it: it goes because its parent died.
      await eventually(async () => !isAlive(worker), 'the worker to stop on its own');
      expect(withEnv(marker)).toEqual([]);
      // A clean stop takes it off the roster; a crash would leave it in the set until its heartbeat
      // went stale and a reader pruned it (no reader here: its pool is dead).
      expect(await r.zcard(keys.workers(prefix))).toBe(0);
      expect(await r.exists(keys.worker(prefix, registered!.id))).toBe(0);
    } finally {
      r.disconnect();
    }
  });
});
