import type { Redis } from 'ioredis';
import { keys } from '../keys.ts';

/** A chain's anchored head, as `runtime/audit` defines it (`HeadAnchor`). */
export interface AuditHead {
  seq: number;
  hash: string;
  kid?: string;
  at?: string;
}

// Moves one chain's head forward, never back.
// KEYS: 1 the audit heads hash. ARGV: 1 chain id, 2 seq, 3 hash, 4 the head as JSON.
// Returns 1 when set; 0 when the stored head is further along, or names another hash at that seq.
const ADVANCE = `local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then
  local h = cjson.decode(cur)
  local seq = tonumber(ARGV[2])
  if h.seq > seq or (h.seq == seq and h.hash ~= ARGV[3]) then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[4])
return 1`;

const parse = (raw: string): AuditHead | undefined => {
  try {
    const h = JSON.parse(raw) as AuditHead;
    return Number.isSafeInteger(h.seq) && typeof h.hash === 'string' ? h : undefined;
  } catch {
    return undefined;
  }
};

/**
 * The head of each audit chain, kept in Redis by the router writing it (one hash per platform
 * prefix, field = chain id), so records cut from a chain's end, or a deleted chain folder, show
 * in `audit verify`. Heads only move forward (one script, atomic).
 */
export class AuditHeadStore {
  private readonly key: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.key = keys.auditHeads(prefix);
  }

  /** Every chain's head. An unreadable value counts as no head (verify reports it missing). */
  async all(): Promise<Map<string, AuditHead>> {
    const out = new Map<string, AuditHead>();
    for (const [chain, raw] of Object.entries(await this.redis.hgetall(this.key))) {
      const h = parse(raw);
      if (h) out.set(chain, h);
    }
    return out;
  }

  async get(chain: string): Promise<AuditHead | undefined> {
    const raw = await this.redis.hget(this.key, chain);
    return raw === null ? undefined : parse(raw);
  }

  /** Moves `chain`'s head forward to `head`; false when the stored one is further along or differs at that seq. */
  async advance(chain: string, head: AuditHead): Promise<boolean> {
    return (await this.redis.eval(ADVANCE, 1, this.key, chain, String(head.seq), head.hash, JSON.stringify(head))) === 1;
  }

  /** Sets `chain`'s head only if it has none. */
  async adopt(chain: string, head: AuditHead): Promise<boolean> {
    return (await this.redis.hsetnx(this.key, chain, JSON.stringify(head))) === 1;
  }
}
