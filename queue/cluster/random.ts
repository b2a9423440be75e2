import { randomBytes } from 'node:crypto';

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
