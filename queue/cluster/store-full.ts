import { PlatformError } from '../platform-error.ts';

/**
 * What a client refused for a full Redis is told to wait, seconds. Memory frees when results
 * expire or an operator acts, not within a second: a longer wait spares Redis a retry storm.
 */
export const STORE_FULL_RETRY_AFTER_S = 5;

/**
 * Redis refused a write: it is at `maxmemory` under `noeviction` (the policy the platform
 * requires, so nothing queued is ever evicted). Nothing accepted before is lost, and writes
 * succeed again by themselves once memory frees.
 */
export class StoreFullError extends PlatformError {
  override readonly name = 'StoreFullError';
  readonly retryAfterSeconds = STORE_FULL_RETRY_AFTER_S;
  constructor(cause?: unknown) {
    super('STORE_FULL', "Redis is full (its maxmemory is reached): it takes no new work until memory frees; retry later", { cause });
  }
}

/**
 * Whether `err` is Redis refusing a write for want of memory: its `OOM` reply, to a command or
 * to a script's first write, or a transaction it aborted for one (`EXECABORT`, whose causes
 * ioredis lists in `previousErrors`); looked for along `cause` too, where callers wrapped it.
 */
export function isStoreFull(err: unknown): boolean {
  return fullWithin(err, new Set());
}

function fullWithin(err: unknown, seen: Set<unknown>): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 4 && !seen.has(e); e = e.cause, depth++) {
    // Errors can refer to each other (a command's error among its own transaction's
    // previousErrors, seen in a failover): each is looked at once, or the walk never ends.
    seen.add(e);
    if (e instanceof StoreFullError || e.message.startsWith('OOM ')) return true;
    const previous = (e as { previousErrors?: unknown }).previousErrors;
    if (Array.isArray(previous) && previous.some((p) => fullWithin(p, seen))) return true;
  }
  return false;
}

/** First and longest wait between attempts of a write Redis refused for want of memory, ms. */
const FIRST_WAIT_MS = 100;
const LONGEST_WAIT_MS = 2_000;

/**
 * Runs `write`, and again while Redis refuses it for want of memory, with a growing wait (100 ms
 * to 2 s), until it goes through: for a write that must not be dropped, such as what a worker
 * records of a job it has run. `onFull` is told once, at the first refusal. Other errors reject.
 */
export async function whenStored<T>(write: () => Promise<T>, onFull?: (err: unknown) => void): Promise<T> {
  for (let wait = FIRST_WAIT_MS, told = false; ; wait = Math.min(wait * 2, LONGEST_WAIT_MS)) {
    try {
      return await write();
    } catch (err) {
      if (!isStoreFull(err)) throw err;
      if (!told) onFull?.(err);
      told = true;
    }
    await new Promise((r) => setTimeout(r, wait));
  }
}
