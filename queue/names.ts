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

// Random bytes drawn in bulk: one randomBytes call per request showed up in router profiles.
let pool = Buffer.alloc(0);
let at = 0;

/** `n` random bytes as hex, from a pre-filled pool (same CSPRNG, fewer calls). */
export function randomHex(n: number): string {
  if (at + n > pool.length) {
    pool = randomBytes(4096);
    at = 0;
  }
  const s = pool.toString('hex', at, at + n);
  at += n;
  return s;
}

/** The function named by a job id, or undefined when the id is not one of ours. */
export function functionOfJobId(id: string): string | undefined {
  const m = /^([a-z][a-z0-9-]{0,62})\.[a-z0-9]{8,40}$/.exec(id);
  return m?.[1];
}

/** Redis keys outside BullMQ's own. */
export const keys = {
  functions: (p: string) => `${p}:functions`,
  registryChannel: (p: string) => `${p}:functions:changed`,
  idempotency: (p: string, ns: string, fn: string, keyHash: string) => `${p}:idem:${ns}:${fn}:${keyHash}`,
  cancelled: (p: string, id: string) => `${p}:cancelled:${id}`,
  doneChannel: (p: string, routerId?: string) => (routerId ? `${p}:done:${routerId}` : `${p}:done`),
  workers: (p: string) => `${p}:workers`,
  worker: (p: string, id: string) => `${p}:worker:${id}`,
};
