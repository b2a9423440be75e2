import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { keys } from '../keys.ts';
import type { PayloadCipher, SealedInline } from './payload-cipher.ts';

/** A call as the cache names it: everything its answer may depend on, besides the code's own randomness (it declared none). */
export interface CacheCall {
  namespace: string;
  function: string;
  version: string;
  /** The input as canonical JSON (object keys sorted), so the same value in another key order is the same call. */
  input: string;
  /** The secrets the version's manifest lists: their current values are part of the name. */
  secrets: readonly string[];
  /** The knowledge collections the version's manifest lists: their current versions are part of the name. */
  knowledge: readonly string[];
}

/** What a hit gives back of the call that computed it (its timings are not kept: a hit did not run). */
export interface CachedResult {
  output: unknown;
  version: string;
  device: string;
  backend?: string;
  batchSize: number;
  knowledge?: Record<string, string>;
}

/** A kept answer: the job that computed it, when, and what it answered. */
export interface CachedAnswer {
  job: string;
  at: number;
  result: CachedResult;
}

/** The outcome of a lookup: the entry's name, the answer when kept, and what a miss must match to be kept. */
export interface CacheLookup {
  entry: string;
  hit?: CachedAnswer;
  /** The versions of the listed collections the name was made with: an answer that read others is not kept. */
  knowledge: Record<string, string>;
  /** When a listed secret was last set (ms; 0 when none is listed): an answer whose run began before it settled is not kept. */
  secretsChangedAt: number;
}

/** A function's bounds (its manifest's `cache`). */
export interface CacheBounds {
  ttlMs: number;
  maxEntries: number;
  maxBytes: number;
}

/**
 * How long after a secret is set a run may still use the old value: a worker starts new batches on
 * a fresh load once it hears the change (milliseconds on a live pool), but a batch that began
 * before ran with the old value, and its answer must not be kept under the new value's name.
 * Generous, for the delivery of the change and the clocks of router and worker hosts.
 */
export const SECRET_SETTLE_MS = 1_000;

/** Binds a sealed answer to its entry: one moved to another name, function or namespace does not open. */
const aad = (ns: string, fn: string, entry: string) => `result-cache:${ns}/${fn}/${entry}`;

// Adds an answer and keeps the function's bounds, in one step.
// KEYS: 1 the entry, 2 the function's index (zset entry → expiry ms), 3 its sizes (hash entry → bytes, `~total`).
// ARGV: 1 entry name, 2 value, 3 TTL ms, 4 now ms, 5 most entries, 6 most bytes, 7 prefix of an entry's key.
// Expired entries leave the index first; then the soonest to expire go (the oldest, for one TTL)
// until both bounds hold. The index and sizes live as long as their latest entry.
// Returns the number of live entries evicted, or -1 when the value alone is over the size bound (not kept).
const ADD = `local now, ttl = tonumber(ARGV[4]), tonumber(ARGV[3])
local maxEntries, maxBytes = tonumber(ARGV[5]), tonumber(ARGV[6])
local size = string.len(ARGV[2])
if size > maxBytes then return -1 end
local function drop(m)
  local s = tonumber(redis.call('HGET', KEYS[3], m) or '0')
  redis.call('HDEL', KEYS[3], m)
  redis.call('ZREM', KEYS[2], m)
  redis.call('DEL', ARGV[7] .. m)
  return redis.call('HINCRBY', KEYS[3], '~total', -s)
end
for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)) do drop(m) end
if redis.call('ZSCORE', KEYS[2], ARGV[1]) then drop(ARGV[1]) end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ttl)
redis.call('ZADD', KEYS[2], now + ttl, ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], size)
local total = redis.call('HINCRBY', KEYS[3], '~total', size)
local evicted = 0
while redis.call('ZCARD', KEYS[2]) > 0 and (redis.call('ZCARD', KEYS[2]) > maxEntries or total > maxBytes) do
  total = drop(redis.call('ZRANGE', KEYS[2], 0, 0)[1])
  evicted = evicted + 1
end
for i = 2, 3 do
  if redis.call('PTTL', KEYS[i]) < ttl then redis.call('PEXPIRE', KEYS[i], ttl) end
end
return evicted`;

/**
 * Answers of deterministic functions (manifest `cache`) kept in Redis for calls that repeat, so a
 * router answers them without the queue. An entry's name is the sha256 of everything the answer
 * depends on: namespace, function, version, the canonical input, and the current value of every
 * secret and version of every knowledge collection the version's manifest lists; a new version, a
 * changed secret or collection names other entries, so an old answer is never found for it. Each
 * answer is sealed with its namespace's key; each function's entries are bounded by count and
 * bytes here (Redis' `maxmemory` is shared by everything and evicts nothing of ours), expired by
 * Redis at their TTL.
 */
export class ResultCache {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly cipher: PayloadCipher,
    /** Longest an entry is kept whatever its TTL: the retention of the job records hits name (`AUTOGLM_RESULT_TTL`). */
    private readonly maxTtlMs = Infinity,
  ) {}

  /**
   * Names the call's entry and reads it: one round trip, two when the manifest lists secrets or
   * knowledge (their versions are read first). A value that does not open (a key removed from the
   * keyring) is a miss.
   */
  async lookup(call: CacheCall): Promise<CacheLookup> {
    const { names, knowledge, secretsChangedAt } = await this.dependencies(call);
    const h = createHash('sha256');
    for (const part of [call.namespace, call.function, call.version, call.input, ...names]) h.update(`${part.length}:${part}`);
    const entry = h.digest('hex');
    const raw = await this.redis.get(keys.resultCache(this.prefix, call.namespace, call.function, entry));
    const hit = raw ? this.opened(call, entry, raw) : undefined;
    return { entry, knowledge, secretsChangedAt, ...(hit ? { hit } : {}) };
  }

  /**
   * Keeps a successful answer under the lookup's entry, within `bounds`; not when its run began
   * (`ranAt`, the handler's start) before a listed secret's change had settled, nor when it read
   * other collection versions than the name was made with. Returns whether it was kept and how
   * many live entries it evicted.
   */
  async store(call: Pick<CacheCall, 'namespace' | 'function'>, lookup: CacheLookup, answer: CachedAnswer, bounds: CacheBounds, ranAt: number, now = Date.now()): Promise<{ kept: boolean; evicted: number }> {
    const settled = lookup.secretsChangedAt === 0 || ranAt >= lookup.secretsChangedAt + SECRET_SETTLE_MS;
    if (!settled || !sameVersions(lookup.knowledge, answer.result.knowledge)) return { kept: false, evicted: 0 };
    const { namespace: ns, function: fn } = call;
    const sealed = this.cipher.seal(answer.result, aad(ns, fn, lookup.entry), ns)!;
    const value = JSON.stringify({ job: answer.job, at: answer.at, sealed });
    const n = Number(
      await this.redis.eval(
        ADD,
        3,
        keys.resultCache(this.prefix, ns, fn, lookup.entry),
        keys.resultCacheIndex(this.prefix, ns, fn),
        keys.resultCacheSizes(this.prefix, ns, fn),
        lookup.entry,
        value,
        Math.min(bounds.ttlMs, this.maxTtlMs),
        now,
        bounds.maxEntries,
        bounds.maxBytes,
        keys.resultCache(this.prefix, ns, fn, ''),
      ),
    );
    return n < 0 ? { kept: false, evicted: 0 } : { kept: true, evicted: n };
  }

  /** Live entries of each function, by name (one pipelined ZCOUNT each; expired ones not counted). */
  async entries(functions: readonly { namespace: string; name: string }[], now = Date.now()): Promise<Map<string, number>> {
    if (functions.length === 0) return new Map();
    const p = this.redis.pipeline();
    for (const f of functions) p.zcount(keys.resultCacheIndex(this.prefix, f.namespace, f.name), `(${now}`, '+inf');
    const res = (await p.exec()) ?? [];
    return new Map(functions.map((f, i) => [f.name, Number(res[i]?.[1] ?? 0)]));
  }

  /** Bytes kept for a function (live or not yet pruned), from its sizes hash. */
  async bytes(namespace: string, fn: string): Promise<number> {
    return Number((await this.redis.hget(keys.resultCacheSizes(this.prefix, namespace, fn), '~total')) ?? 0);
  }

  /** The parts of the name besides the call itself: each secret's value fingerprint and each collection's version. */
  private async dependencies(call: CacheCall): Promise<{ names: string[]; knowledge: Record<string, string>; secretsChangedAt: number }> {
    if (call.secrets.length === 0 && call.knowledge.length === 0) return { names: [], knowledge: {}, secretsChangedAt: 0 };
    const p = this.redis.pipeline();
    if (call.secrets.length) p.hmget(keys.secrets(this.prefix, call.namespace), ...call.secrets);
    if (call.knowledge.length) p.hmget(keys.knowledge(this.prefix, call.namespace), ...call.knowledge);
    const res = (await p.exec()) ?? [];
    const [secretRaws, collectionRaws] = call.secrets.length ? [res[0]?.[1], res[1]?.[1]] : [undefined, res[0]?.[1]];
    const names: string[] = [];
    let secretsChangedAt = 0;
    (call.secrets.length ? (secretRaws as (string | null)[]) : []).forEach((raw, i) => {
      // The stored record changes whenever the value is set (a fresh seal), so its hash names the value without opening it.
      names.push(`s:${call.secrets[i]}=${raw ? createHash('sha256').update(raw).digest('hex') : '-'}`);
      if (raw) secretsChangedAt = Math.max(secretsChangedAt, (JSON.parse(raw) as { updatedAt?: number }).updatedAt ?? 0);
    });
    const knowledge: Record<string, string> = {};
    (call.knowledge.length ? (collectionRaws as (string | null)[]) : []).forEach((raw, i) => {
      const version = raw ? (JSON.parse(raw) as { version: string }).version : '-';
      knowledge[call.knowledge[i]!] = version;
      names.push(`k:${call.knowledge[i]}=${version}`);
    });
    return { names, knowledge, secretsChangedAt };
  }

  private opened(call: CacheCall, entry: string, raw: string): CachedAnswer | undefined {
    try {
      const stored = JSON.parse(raw) as { job: string; at: number; sealed: SealedInline };
      return { job: stored.job, at: stored.at, result: this.cipher.open(stored.sealed, aad(call.namespace, call.function, entry)) as CachedResult };
    } catch {
      return undefined;
    }
  }
}

/** Whether an answer read the collection versions its entry was named with (none listed: nothing to compare). */
function sameVersions(named: Record<string, string>, read: Record<string, string> | undefined): boolean {
  const names = Object.keys(named);
  return names.length === 0 || names.every((n) => read?.[n] === named[n]);
}
