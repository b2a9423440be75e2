/** Shared by the pool's integration tests (test/integration/pool-*.test.ts). */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { InvocationResult } from '../../functions/sdk/index.ts';
import type { WorkerState } from '../../queue/cluster/index.ts';
import { eventually, startPlatform, type TestPlatform } from '../harness/platform.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';

/** A folder of fixture functions (test/fixtures/pool-sets/<name>), for AUTOGLM_FUNCTIONS_DIR. */
export const functionSet = (name: string): string => fileURLToPath(new URL(`../fixtures/pool-sets/${name}`, import.meta.url));

/** A fixture module by path (test/fixtures/<path>). */
export const fixturePath = (path: string): string => fileURLToPath(new URL(`../fixtures/${path}`, import.meta.url));

/**
 * Settings for tests that kill a worker and wait on what follows: its jobs are retaken within
 * about 2.5 s (lock 1.5 s, stalled jobs looked for every second) and it leaves the roster 4 s after
 * its last heartbeat (the defaults: 30 s, 30 s and 10 s), so a wait for "the one live worker is the
 * replacement" ends soon after the replacement starts.
 */
export const QUICK_DEATH: Readonly<Record<string, string>> = { AUTOGLM_JOB_LOCK: '1500ms', AUTOGLM_STALLED_INTERVAL: '1s', AUTOGLM_WORKER_STALE: '4s' };

/** Live workers as their heartbeats describe them. */
export const workers = (p: TestPlatform): Promise<WorkerState[]> => p.roster.live();

/** The result a worker stored for a job (BullMQ's return value), with what the API does not show. */
export async function storedResult(p: TestPlatform, fn: string, jobId: string): Promise<InvocationResult | undefined> {
  const raw = await p.redis.hget(`${p.prefix}:fn.${fn}:${jobId}`, 'returnvalue');
  return raw ? (JSON.parse(raw) as InvocationResult) : undefined;
}

/** Lines of a file the fixtures append to (one per handler run); 0 when absent. */
export function lines(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/** What a pool test file uses: a platform per test on the file's own Redis, and job and worker waits. */
export interface PoolSuite {
  /** Starts a platform (router and a real pool) on the file's Redis; it is stopped after the test. */
  start(opts?: Parameters<typeof startPlatform>[1]): Promise<TestPlatform>;
  /** A new path in the file's scratch folder, for a fixture to append one line per run to. */
  countFile(): string;
  /** The job record `GET /v1/jobs/{id}` answers with. */
  job(id: string): Promise<any>;
  /** Waits up to 45 s for job `id` to succeed; returns its record. */
  succeeded(id: string, what?: string): Promise<any>;
  /** Waits until the one live worker is a process other than `oldPid`; returns it. */
  replacement(oldPid: number, what?: string): Promise<WorkerState>;
}

/**
 * Sets up a pool test file: registers the vitest hooks that start its Redis and scratch folder
 * (named after `name`) before its tests, stop the test's platform after each, and remove both after
 * the last. Call it once, at the top level of the file.
 */
export function poolSuite(name: string): PoolSuite {
  let redis: TestRedis | undefined;
  let dir: string | undefined;
  let current: TestPlatform | undefined;
  let n = 0;
  beforeAll(async () => {
    redis = await startTestRedis();
    dir = mkdtempSync(join(tmpdir(), `autoglm-${name}-`));
  });
  afterAll(async () => {
    await redis?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    await current?.stop();
    current = undefined;
  });

  const platform = (): TestPlatform => {
    if (!current) throw new Error('no platform: call start() first');
    return current;
  };
  const job = async (id: string) => (await platform().call('GET', `/v1/jobs/${id}`)).json;
  return {
    async start(opts) {
      current = await startPlatform(redis!.url, opts);
      return current;
    },
    countFile: () => join(dir!, `runs-${++n}.txt`),
    job,
    succeeded: (id, what = `job ${id} to succeed`) =>
      eventually(async () => {
        const j = await job(id);
        return j.status === 'succeeded' && j;
      }, what, 45_000),
    replacement: (oldPid, what = 'a replacement worker') =>
      eventually(async () => {
        const ws = await workers(platform());
        return ws.length === 1 && ws[0]!.pid !== oldPid && ws[0]!;
      }, what),
  };
}
