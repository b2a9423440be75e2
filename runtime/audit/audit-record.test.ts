import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GENESIS, canonicalJson, malformed, recordHash, sealRecord, type AuditEvent } from './audit-record.ts';

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

  it('hash = sha256(prev + canonical JSON without hash), whatever the key order', () => {
    const r = sealRecord(event, 1, GENESIS, '2024-05-01T00:00:00.000Z');
    const { hash, ...body } = r;
    expect(hash).toBe(createHash('sha256').update(GENESIS + canonicalJson(body)).digest('hex'));
    const reordered = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(r).reverse())));
    expect(recordHash(reordered)).toBe(hash);
    expect(recordHash({ ...r, actor: 'bob' })).not.toBe(hash);
  });

  it('keeps only audit fields, cuts long strings and rounds durations', () => {
    const r = sealRecord({ ...event, actor: 'x'.repeat(1000), input: 'secret', output: 'secret', authorization: 'Bearer x' } as AuditEvent, 7, GENESIS, '2024-05-01T00:00:00.000Z');
    expect(Object.keys(r)).toEqual(['seq', 'time', 'actor', 'roles', 'action', 'function', 'durationMs', 'outcome', 'prev', 'hash']);
    expect(r.actor).toHaveLength(256);
    expect(r.durationMs).toBe(3);
    expect(malformed(r)).toBeUndefined();
  });

  it('keeps details small and flat', () => {
    const r = sealRecord({ ...event, detail: { roles: ['admin', { x: 1 }], weights: [90, 10], note: 'n'.repeat(300), nested: { input: 'secret' }, ok: true } }, 1, GENESIS, '2024-05-01T00:00:00.000Z');
    expect(r.detail).toEqual({ roles: ['admin'], weights: [90, 10], note: 'n'.repeat(256), ok: true });
    const big = sealRecord({ ...event, detail: Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, 'v'.repeat(200)])) }, 1, GENESIS, '2024-05-01T00:00:00.000Z');
    expect(big.detail).toEqual({ truncated: true });
    expect(sealRecord({ ...event, detail: { nested: {} } }, 1, GENESIS, '2024-05-01T00:00:00.000Z').detail).toBeUndefined();
  });

  it('names what is malformed', () => {
    expect(malformed([])).toBe('not a JSON object');
    expect(malformed({ seq: 0 })).toMatch(/seq/);
    expect(malformed({ seq: 1, prev: 'x' })).toMatch(/prev/);
  });
});
