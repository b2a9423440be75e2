import { createHmac, hash } from 'node:crypto';
import { InvalidAuditEventError } from './audit-errors.ts';
import type { AuditKeyring } from './audit-keys.ts';

/** How an audited action ended. */
export type AuditOutcome = 'ok' | 'error' | 'denied';

/** What was done. The named ones are what the platform records; others must look like `noun.verb`. */
export type AuditAction =
  | 'function.deploy'
  | 'function.remove'
  | 'traffic.change'
  | 'traffic.rollback'
  | 'token.create'
  | 'secret.set'
  | 'secret.remove'
  | 'knowledge.put'
  | 'knowledge.remove'
  | 'knowledge.read'
  | 'invoke'
  | 'job.submit'
  | 'job.cancel'
  | 'job.retry'
  | 'access.denied'
  | 'audit.read'
  | 'audit.verify'
  | 'audit.prune'
  | 'webhook.key.read'
  | 'console.link'
  | 'console.login'
  | (string & {});

/**
 * One thing to audit. Only these fields are ever stored: anything else on the object (an input,
 * an output, a token) is dropped, so a payload cannot reach the log by accident.
 */
export interface AuditEvent {
  /** Who: the token's `sub`; `anonymous` when no token was verified; `system` for the platform itself. */
  actor: string;
  roles?: readonly string[];
  action: AuditAction;
  namespace?: string;
  function?: string;
  version?: string;
  jobId?: string;
  outcome: AuditOutcome;
  /** The error code when `outcome` is `error` or `denied` (`FORBIDDEN`, `DEADLINE_EXCEEDED`). */
  code?: string;
  durationMs?: number;
  requestId?: string;
  /** The peer address of the connection (not `X-Forwarded-For`, which the caller controls). */
  remote?: string;
  /** What a denied request tried (`POST /v1/functions/echo/invoke`), or a prune's anchor. */
  target?: string;
  /**
   * Small, non-payload facts (roles granted, traffic weights). Only strings, numbers, booleans and
   * short lists of them are kept (16 keys, 32 items); nested objects are dropped, and a detail
   * longer than 2 KiB becomes `{"truncated": true}`.
   */
  detail?: Record<string, unknown>;
}

/** A stored record: the event, stamped with its place in the chain (read back from files, `action` is any string). */
export interface AuditRecord extends Omit<AuditEvent, 'roles' | 'action'> {
  /** 1, 2, 3 … within the chain, never reused. */
  seq: number;
  /** ISO 8601, UTC, when the log accepted the event. */
  time: string;
  roles: string[];
  action: string;
  /**
   * The audit key that sealed the record. Absent in records written before the chain was keyed
   * (unkeyed legacy: their `hash` is a plain sha256, which anyone can recompute).
   */
  kid?: string;
  /** `hash` of the previous record; {@link GENESIS} for the first. */
  prev: string;
  /** HMAC-SHA256 with key `kid` of (prev + canonical JSON of this record without `hash`), hex; sha256 for a legacy record. */
  hash: string;
}

/** `prev` of a chain's first record. */
export const GENESIS = '0'.repeat(64);

export const ACTION_RE = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*$/;
const HEX64 = /^[0-9a-f]{64}$/;
const OUTCOMES: ReadonlySet<string> = new Set(['ok', 'error', 'denied']);
const OPTIONAL = ['namespace', 'function', 'version', 'jobId', 'code', 'requestId', 'remote', 'target'] as const;
/** Longest kept string field; longer values are cut (a name or id is never this long). */
const MAX_FIELD = 256;

const cut = (s: string): string => (s.length > MAX_FIELD ? s.slice(0, MAX_FIELD) : s);

const scalar = (v: unknown): string | number | boolean | undefined =>
  typeof v === 'string' ? cut(v) : typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)) ? v : undefined;

/** Keeps a detail small and flat: no nested object can smuggle a payload in. */
function cleanDetail(d: unknown): Record<string, unknown> | undefined {
  if (!d || typeof d !== 'object' || Array.isArray(d)) return undefined;
  const out: Record<string, unknown> = {};
  let n = 0;
  for (const [k, v] of Object.entries(d)) {
    if (n === 16) break;
    const kept = Array.isArray(v) ? v.slice(0, 32).map(scalar).filter((x) => x !== undefined) : scalar(v);
    if (kept === undefined) continue;
    out[cut(k)] = kept;
    n++;
  }
  if (n === 0) return undefined;
  return JSON.stringify(out).length > 2048 ? { truncated: true } : out;
}

/**
 * JSON with object keys sorted at every level and no whitespace: the same record always gives the
 * same bytes, whatever order its fields were written or parsed in.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('canonical JSON has no non-finite numbers');
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i ? ',' : '') + (value[i] === undefined ? 'null' : canonicalJson(value[i]));
    return out + ']';
  }
  // Plain loops, no intermediate arrays: this runs for every record appended and verified.
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  let out = '{';
  for (const k of keys) {
    const v = obj[k];
    if (v === undefined) continue;
    out += (out.length > 1 ? ',' : '') + JSON.stringify(k) + ':' + canonicalJson(v);
  }
  return out + '}';
}

/**
 * The hash a record must carry: HMAC-SHA256 with `key` of (prev + canonical JSON of the record
 * without `hash`); without a key, the sha256 of the same bytes (an unkeyed legacy record).
 */
export function recordHash(record: Omit<AuditRecord, 'hash'> & { hash?: string }, key?: Buffer): string {
  const body = record.hash === undefined ? record : { ...record, hash: undefined };
  const data = record.prev + canonicalJson(body);
  return key ? createHmac('sha256', key).update(data).digest('hex') : hash('sha256', data, 'hex');
}

/**
 * Why `record`'s hash is not the one its content and key give, or undefined when it is. A keyed
 * record needs its key in `keys`; a legacy record (no `kid`) is checked with plain sha256.
 */
export function sealProblem(record: AuditRecord, keys: AuditKeyring | undefined): string | undefined {
  if (record.kid === undefined) return recordHash(record) === record.hash ? undefined : 'hash mismatch: the record was altered';
  const key = keys?.keys.get(record.kid);
  if (!key) return `sealed with audit key '${record.kid}', which this verification does not have: the record cannot be authenticated`;
  return recordHash(record, key) === record.hash ? undefined : 'hash mismatch: the record was altered, or sealed without the audit key';
}

/**
 * Builds the record for `event` at position `seq` after `prev`, sealed with the active key of
 * `keys`. Copies only the known fields, cuts long strings, rounds the duration.
 * @throws InvalidAuditEventError when actor, action or outcome is missing or malformed (a platform bug).
 */
export function sealRecord(event: AuditEvent, seq: number, prev: string, time: string, keys: AuditKeyring): AuditRecord {
  if (typeof event.actor !== 'string' || event.actor === '') throw new InvalidAuditEventError('actor', 'must be a non-empty string');
  if (typeof event.action !== 'string' || !ACTION_RE.test(event.action)) throw new InvalidAuditEventError('action', `must look like noun.verb, got ${JSON.stringify(event.action)}`);
  if (!OUTCOMES.has(event.outcome)) throw new InvalidAuditEventError('outcome', `must be ok, error or denied, got ${JSON.stringify(event.outcome)}`);
  // Field order here is the order a person reads in the file; the hash does not depend on it.
  const rec: Record<string, unknown> = {
    seq,
    time,
    actor: cut(event.actor),
    roles: Array.isArray(event.roles) ? event.roles.filter((r) => typeof r === 'string').map(cut) : [],
    action: event.action,
  };
  for (const k of OPTIONAL) {
    const v = event[k];
    if (typeof v === 'string' && v !== '') rec[k] = cut(v);
  }
  if (typeof event.durationMs === 'number' && Number.isFinite(event.durationMs)) rec.durationMs = Math.max(0, Math.round(event.durationMs));
  const detail = cleanDetail(event.detail);
  if (detail) rec.detail = detail;
  rec.outcome = event.outcome;
  rec.kid = keys.active;
  rec.prev = prev;
  const sealed = rec as unknown as AuditRecord;
  sealed.hash = recordHash(sealed, keys.keys.get(keys.active));
  return sealed;
}

/** Why `value` is not a well-formed record, or undefined when it is (the hash is checked separately). */
export function malformed(value: unknown): string | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object';
  const r = value as Record<string, unknown>;
  if (!Number.isSafeInteger(r.seq) || (r.seq as number) < 1) return 'seq is not a positive integer';
  if (typeof r.prev !== 'string' || !HEX64.test(r.prev)) return 'prev is not a sha256 hex digest';
  if (typeof r.hash !== 'string' || !HEX64.test(r.hash)) return 'hash is not a sha256 hex digest';
  if (typeof r.time !== 'string' || Number.isNaN(Date.parse(r.time))) return 'time is not an ISO 8601 time';
  if (r.kid !== undefined && typeof r.kid !== 'string') return 'kid is not a string';
  return undefined;
}
