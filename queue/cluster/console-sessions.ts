import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { keys } from '../keys.ts';

/** Who a session is for, as the token that opened it said; the router checks it on every request. */
export interface ConsoleSession {
  sub: string;
  roles: string[];
  namespaces: string[];
  issuer: string;
  /** When it ends, ms since the epoch (Redis drops it then too). */
  expiresAt: number;
}

/** 32 random bytes, base64url: what the cookie holds. */
const ID_RE = /^[A-Za-z0-9_-]{43}$/;

/** Redis is handed the id's hash only: whoever reads Redis (a dump, a replica) cannot use a key as a cookie. */
const idHash = (id: string): string => createHash('sha256').update(id).digest('hex');

function parse(raw: string): ConsoleSession | undefined {
  try {
    const s = JSON.parse(raw) as ConsoleSession;
    const strings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string');
    if (typeof s.sub !== 'string' || typeof s.issuer !== 'string' || !strings(s.roles) || !strings(s.namespaces) || !Number.isSafeInteger(s.expiresAt)) return undefined;
    return s;
  } catch {
    return undefined;
  }
}

/**
 * Sessions of the console's server-rendered parts (BullMQ's board), in Redis so every router
 * reads them and a sign-out ends one everywhere at once: unlike a self-contained signed cookie,
 * a copied cookie is worth nothing once its session is deleted.
 */
export class ConsoleSessions {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  /** Opens a session lasting until `expiresAt` (ms since the epoch, in the future); resolves to its id, the cookie's value. */
  async open(who: Omit<ConsoleSession, 'expiresAt'>, expiresAt: number): Promise<string> {
    const id = randomBytes(32).toString('base64url');
    const ttl = Math.max(1, expiresAt - Date.now());
    const s: ConsoleSession = { sub: who.sub, roles: [...who.roles], namespaces: [...who.namespaces], issuer: who.issuer, expiresAt };
    await this.redis.set(keys.consoleSession(this.prefix, idHash(id)), JSON.stringify(s), 'PX', ttl);
    return id;
  }

  /** The live session `id` names, or undefined: not an id, unknown, ended, or past its time. */
  async read(id: string, now = Date.now()): Promise<ConsoleSession | undefined> {
    if (!ID_RE.test(id)) return undefined;
    const raw = await this.redis.get(keys.consoleSession(this.prefix, idHash(id)));
    const s = raw === null ? undefined : parse(raw);
    // Redis expires it too; the check here holds when its clock and ours differ.
    return s && s.expiresAt > now ? s : undefined;
  }

  /** Ends the session `id` names; resolves to whether there was one. */
  async close(id: string): Promise<boolean> {
    if (!ID_RE.test(id)) return false;
    return (await this.redis.del(keys.consoleSession(this.prefix, idHash(id)))) > 0;
  }
}
