import { randomBytes } from 'node:crypto';

/** Default key prefix for everything the platform keeps in Redis. */
export const DEFAULT_PREFIX = 'autoglm';

/** BullMQ queue name of a function's invocations. Names cannot hold `:`, so a dot separates. */
export const functionQueueName = (fn: string): string => `fn.${fn}`;

/** Queue of webhook deliveries (consumed by routers: workers never hold the signing key). */
export const CALLBACK_QUEUE = 'callbacks';

/**
 * Job ids carry the function name (`echo.m3x9k2a1b4c5d6e7`) so a job can be found from its id
 * alone without a lookup table. Function names never contain a dot.
 */
export function newJobId(fn: string): string {
  return `${fn}.${Date.now().toString(36)}${randomHex(6)}`;
}

// Random bytes drawn in bulk: one randomBytes call per request (ids, IVs) showed up in profiles.
let pool = Buffer.alloc(0);
let at = 0;

/** `n` fresh random bytes, cut from a pre-filled pool (same CSPRNG, fewer calls; never reused). */
export function randomPooled(n: number): Buffer {
  if (at + n > pool.length) {
    pool = randomBytes(Math.max(4096, n));
    at = 0;
  }
  const b = pool.subarray(at, at + n);
  at += n;
  return b;
}

/** `n` random bytes as hex, from the pool. */
export function randomHex(n: number): string {
  return randomPooled(n).toString('hex');
}

/**
 * Id of item `index` of a job that carries many inputs (a group of synchronous calls, or a bulk
 * job): the job's id and the item's position, so the item is found from its id alone.
 */
export const itemId = (jobId: string, index: number): string => `${jobId}.${index}`;

const JOB_ID = /^([a-z][a-z0-9-]{0,62})\.([a-z0-9]{8,40})(?:\.(\d{1,6}))?$/;

/** The function named by a job or item id, or undefined when the id is not one of ours. */
export function functionOfJobId(id: string): string | undefined {
  return JOB_ID.exec(id)?.[1];
}

/** Whether `id` names one item of a job with many inputs. */
export const isItemId = (id: string): boolean => splitItemId(id) !== undefined;

/** The job an item id belongs to and the item's position; undefined for a plain job id. */
export function splitItemId(id: string): { jobId: string; index: number } | undefined {
  const m = JOB_ID.exec(id);
  return m?.[3] === undefined ? undefined : { jobId: `${m[1]}.${m[2]}`, index: Number(m[3]) };
}

/** Redis keys outside BullMQ's own. */
export const keys = {
  functions: (p: string) => `${p}:functions`,
  registryChannel: (p: string) => `${p}:functions:changed`,
  idempotency: (p: string, ns: string, fn: string, keyHash: string) => `${p}:idem:${ns}:${fn}:${keyHash}`,
  cancelled: (p: string, id: string) => `${p}:cancelled:${id}`,
  /** A large job input's ciphertext, stored apart from the job record (see PayloadCipher.sealApart). */
  input: (p: string, id: string, nonce: string) => `${p}:input:${id}:${nonce}`,
  doneChannel: (p: string, routerId?: string) => (routerId ? `${p}:done:${routerId}` : `${p}:done`),
  workers: (p: string) => `${p}:workers`,
  worker: (p: string, id: string) => `${p}:worker:${id}`,
  pools: (p: string) => `${p}:pools`,
  pool: (p: string, id: string) => `${p}:pool:${id}`,
};
