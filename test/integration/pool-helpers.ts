/** Shared by the pool's integration tests (test/integration/pool-*.test.ts). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { InvocationResult } from '../../functions/sdk/index.ts';
import { WorkerRegistry, type WorkerState } from '../../queue/index.ts';
import type { TestPlatform } from '../harness/platform.ts';

/** A folder of fixture functions (test/fixtures/pool-sets/<name>), for AUTOGLM_FUNCTIONS_DIR. */
export const functionSet = (name: string): string => fileURLToPath(new URL(`../fixtures/pool-sets/${name}`, import.meta.url));

/** A fixture module by path (test/fixtures/<path>). */
export const fixturePath = (path: string): string => fileURLToPath(new URL(`../fixtures/${path}`, import.meta.url));

/** Live workers as their heartbeats describe them. */
export const workers = (p: TestPlatform): Promise<WorkerState[]> => new WorkerRegistry(p.redis, p.prefix).live();

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
