import { describe, expect, it } from 'vitest';
import { parseManifest } from '../../functions/sdk/index.ts';
import type { FunctionRecord } from '../../queue/cluster/index.ts';
import { UnsupportedSchemaError, ValidationError } from './errors.ts';
import { InputValidator } from './input-validator.ts';

function record(pattern: string, version = 'aaaaaaaaaaaa'): FunctionRecord {
  const m = parseManifest({ name: 'greet', input: { type: 'object', properties: { name: { type: 'string', pattern } } } });
  if (!m.ok) throw new Error(JSON.stringify(m.issues));
  return { name: 'greet', namespace: 'default', version, hash: version.repeat(6).slice(0, 64), manifest: m.manifest };
}

describe('InputValidator', () => {
  it('answers 10,000 characters against ^(a+)+$ with a 400 naming the field', () => {
    const v = new InputValidator();
    const rec = record('^(a+)+$');
    let err: unknown;
    try {
      v.check(rec, { name: `${'a'.repeat(10_000)}!` });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).status).toBe(400);
    expect((err as ValidationError).extra.field).toBe('input.name');
    expect(() => v.check(rec, { name: 'a'.repeat(10_000) })).not.toThrow();
  });

  it('names array elements in brackets, members after dots, from the root it is given', () => {
    const m = parseManifest({
      name: 'score',
      input: { type: 'object', properties: { rows: { type: 'array', items: { type: 'object', required: ['amount'], properties: { amount: { type: 'number' } } } }, byId: { type: 'object', additionalProperties: { type: 'number' } } } },
    });
    if (!m.ok) throw new Error(JSON.stringify(m.issues));
    const rec: FunctionRecord = { name: 'score', namespace: 'default', version: 'bbbbbbbbbbbb', hash: 'b'.repeat(64), manifest: m.manifest };
    const fieldOf = (input: unknown, root?: string) => {
      try {
        new InputValidator().check(rec, input, root);
      } catch (e) {
        return (e as ValidationError).extra.field;
      }
    };
    expect(fieldOf({ rows: [{ amount: 1 }, { amount: 'x' }] })).toBe('input.rows[1].amount');
    expect(fieldOf({ rows: [{}] }, 'inputs[2]')).toBe('inputs[2].rows[0].amount');
    // A member whose name is digits is still a member.
    expect(fieldOf({ byId: { '7': 'x' } })).toBe('input.byId.7');
  });

  it('a version recorded before patterns were checked fails its calls with a 500 saying why, every time', () => {
    const v = new InputValidator();
    const rec = record('(a)\\1');
    expect(new UnsupportedSchemaError('x')).toMatchObject({ status: 500, code: 'INPUT_SCHEMA_UNSUPPORTED', retryable: false });
    for (let i = 0; i < 2; i++) {
      const call = () => v.check(rec, { name: 'aa' });
      expect(call).toThrow(UnsupportedSchemaError);
      expect(call).toThrow(/greet@aaaaaaaaaaaa: its input schema does not compile.*RE2/);
    }
  });
});
