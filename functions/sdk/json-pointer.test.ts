import { describe, expect, it } from 'vitest';
import { parseJsonPointer, resolveJsonPointer } from './json-pointer.ts';

describe('JSON Pointer (RFC 6901)', () => {
  const doc = { foo: ['bar', 'baz'], '': 0, 'a/b': 1, 'm~n': 8, nested: { intent: 'refund_request' } };

  it('resolves the RFC examples', () => {
    expect(resolveJsonPointer(doc, '')).toBe(doc);
    expect(resolveJsonPointer(doc, '/foo')).toEqual(['bar', 'baz']);
    expect(resolveJsonPointer(doc, '/foo/0')).toBe('bar');
    expect(resolveJsonPointer(doc, '/')).toBe(0);
    expect(resolveJsonPointer(doc, '/a~1b')).toBe(1);
    expect(resolveJsonPointer(doc, '/m~0n')).toBe(8);
    expect(resolveJsonPointer(doc, '/nested/intent')).toBe('refund_request');
  });

  it('names nothing for a missing member, a bad index or a step into a scalar', () => {
    expect(resolveJsonPointer(doc, '/missing')).toBeUndefined();
    expect(resolveJsonPointer(doc, '/foo/2')).toBeUndefined();
    expect(resolveJsonPointer(doc, '/foo/01')).toBeUndefined();
    expect(resolveJsonPointer(doc, '/nested/intent/x')).toBeUndefined();
    expect(resolveJsonPointer(doc, '/toString')).toBeUndefined();
  });

  it('refuses what is not a pointer', () => {
    expect(parseJsonPointer('intent')).toBeUndefined();
    expect(parseJsonPointer('/a~2')).toBeUndefined();
    expect(parseJsonPointer('/a~')).toBeUndefined();
    expect(parseJsonPointer('/a/~1~0')).toEqual(['a', '/~']);
  });
});
