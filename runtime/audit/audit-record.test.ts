import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newAuditKeySpec, parseAuditKeys } from './audit-keys.ts';
import { GENESIS, canonicalJson, malformed, recordHash, sealProblem, sealRecord, type AuditEvent } from './audit-record.ts';

/** k1 active, `old` kept from before a rotation. */
const keys = parseAuditKeys(`${newAuditKeySpec('k1')},old:${'o'.repeat(32)}`);

describe('canonical JSON', () => {
  it('sorts keys at every level, drops undefined, adds no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: null }], c: 'x' }, u: undefined })).toBe('{"a":{"c":"x","d":[2,{"y":null,"z":1}]},"b":1}');
  });
  it('refuses non-finite numbers', () => {
    expect(() => canonicalJson({ n: Number.NaN })).toThrow();
  });
});

describe('records', () => {
  const event: AuditEvent = { actor: 'alice', roles: ['admin'], action: 'invoke', function: 'echo', outcome: 'ok', durationMs: 2.6 };

  it('hash = HMAC-SHA256(active key, prev + canonical JSON without hash), the key named, whatever the field order', () => {
    const r = sealRecord(event, 1, GENESIS, '2024-05-01T00:00:00.000Z', keys);
    const { hash, ...body } = r;
    expect(r.kid).toBe('k1');
    expect(hash).toBe(createHmac('sha256', keys.keys.get('k1')!).update(GENESIS + canonicalJson(body)).digest('hex'));
    const reordered = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(r).reverse())));
    expect(sealProblem(reordered, keys)).toBeUndefined();
    expect(sealProblem({ ...r, actor: 'bob' }, keys)).toMatch(/hash mismatch/);
    // Recomputed by someone without the key: plain sha256, or an HMAC with a guessed key.
    expect(sealProblem({ ...r, actor: 'bob', hash: recordHash({ ...r, actor: 'bob' }) }, keys)).toMatch(/hash mismatch/);
    expect(sealProblem({ ...r, actor: 'bob', hash: recordHash({ ...r, actor: 'bob' }, Buffer.from('x'.repeat(32))) }, keys)).toMatch(/hash mismatch/);
    // Claiming the other key of the ring does not help either: the kid is sealed too.
    expect(sealProblem({ ...r, kid: 'old' }, keys)).toMatch(/hash mismatch/);
  });

  it('a record of a rotated-out key verifies while its key is kept; without it, it cannot be authenticated', () => {
    const old = parseAuditKeys(`old:${'o'.repeat(32)}`);
    const r = sealRecord(event, 1, GENESIS, '2024-05-01T00:00:00.000Z', old);
    expect(sealProblem(r, keys)).toBeUndefined();
    expect(sealProblem(r, parseAuditKeys(newAuditKeySpec('k2')))).toMatch(/sealed with audit key 'old', which this verification does not have/);
    expect(sealProblem(r, undefined)).toMatch(/cannot be authenticated/);
  });

  it('an unkeyed legacy record is checked with plain sha256', () => {
    const { kid: _, hash: __, ...body } = sealRecord(event, 1, GENESIS, '2024-05-01T00:00:00.000Z', keys);
    const legacy = { ...body, hash: createHash('sha256').update(GENESIS + canonicalJson(body)).digest('hex') };
    expect(sealProblem(legacy, undefined)).toBeUndefined();
    expect(sealProblem({ ...legacy, actor: 'bob' }, undefined)).toMatch(/hash mismatch/);
  });

  it('keeps only audit fields, cuts long strings and rounds durations', () => {
    const r = sealRecord({ ...event, actor: 'x'.repeat(1000), input: 'secret', output: 'secret', authorization: 'Bearer x' } as AuditEvent, 7, GENESIS, '2024-05-01T00:00:00.000Z', keys);
    expect(Object.keys(r)).toEqual(['seq', 'time', 'actor', 'roles', 'action', 'function', 'durationMs', 'outcome', 'kid', 'prev', 'hash']);
    expect(r.actor).toHaveLength(256);
    expect(r.durationMs).toBe(3);
    expect(malformed(r)).toBeUndefined();
  });

  it('keeps details small and flat', () => {
    const r = sealRecord({ ...event, detail: { roles: ['admin', { x: 1 }], weights: [90, 10], note: 'n'.repeat(300), nested: { input: 'secret' }, ok: true } }, 1, GENESIS, '2024-05-01T00:00:00.000Z', keys);
    expect(r.detail).toEqual({ roles: ['admin'], weights: [90, 10], note: 'n'.repeat(256), ok: true });
    const big = sealRecord({ ...event, detail: Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, 'v'.repeat(200)])) }, 1, GENESIS, '2024-05-01T00:00:00.000Z', keys);
    expect(big.detail).toEqual({ truncated: true });
    expect(sealRecord({ ...event, detail: { nested: {} } }, 1, GENESIS, '2024-05-01T00:00:00.000Z', keys).detail).toBeUndefined();
  });

  it('names what is malformed', () => {
    expect(malformed([])).toBe('not a JSON object');
    expect(malformed({ seq: 0 })).toMatch(/seq/);
    expect(malformed({ seq: 1, prev: 'x' })).toMatch(/prev/);
  });
});
