import { describe, expect, it } from 'vitest';
import { RE2JS } from 're2js';
import { manifestSchemaIssues, re2Pattern, re2RegExp, schemaAjv } from './manifest-schemas.ts';

const issues = (input: unknown, output: unknown = {}) => manifestSchemaIssues({ input: input as Record<string, unknown>, output: output as Record<string, unknown> });
const withName = (pattern: string) => ({ type: 'object', properties: { name: { type: 'string', pattern } } });

describe('patterns run on RE2', () => {
  it('the exponential pattern of issue 20 answers for 10,000 characters (a backtracking engine would not finish)', () => {
    const validate = schemaAjv().compile(withName('^(a+)+$'));
    expect(validate({ name: `${'a'.repeat(10_000)}!` })).toBe(false);
    expect(validate.errors?.[0]).toMatchObject({ instancePath: '/name', keyword: 'pattern' });
    expect(validate({ name: 'a'.repeat(10_000) })).toBe(true);
  });

  it('Ajv compiles with RE2, not RegExp: a backreference does not compile', () => {
    expect(() => schemaAjv().compile(withName('(a)\\1'))).toThrow(/invalid escape sequence/);
    expect(() => new RegExp('(a)\\1', 'u')).not.toThrow();
  });

  it('each pattern of a schema is its own (Ajv keys compiled patterns by their text)', () => {
    const validate = schemaAjv().compile({ type: 'object', properties: { a: { type: 'string', pattern: '^x+$' }, b: { type: 'string', pattern: '^y+$' } } });
    expect(validate({ a: 'xx', b: 'yy' })).toBe(true);
    expect(validate({ a: 'xx', b: 'xx' })).toBe(false);
    expect(validate({ a: 'yy', b: 'yy' })).toBe(false);
  });

  it('runs a pattern anchored at its start with few ways to backtrack on V8, any other on RE2', () => {
    const timestamp = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:?\\d{2})$';
    for (const bounded of ['^[A-Z]{2}$', timestamp, '^(a|b)c', '^[|]x']) expect([bounded, re2RegExp(bounded, 'u')]).toEqual([bounded, expect.any(RegExp)]);
    // Unbounded repeats; too many ways; not anchored (tried at every position of the input: \d{20}x
    // took V8 75 ms on a megabyte of digits); anchored in one branch only.
    for (const other of ['^(a+)+$', '^x*$', '^(a{1,9}){1,9}$', '^a{2,}$', '\\S', '\\d{20}x', '[A-Z]{2}$', '^a|b']) expect([other, re2RegExp(other, 'u')]).toEqual([other, expect.any(RE2JS)]);
    // JavaScript refuses with the `u` flag what RE2 reads: RE2 runs it.
    expect(re2RegExp('^\\-$', 'u')).toBeInstanceOf(RE2JS);
  });

  it('a schema with a bounded pattern validates as with JavaScript\'s RegExp, and the exponential one is still linear', () => {
    const validate = schemaAjv().compile({ type: 'object', properties: { c: { type: 'string', pattern: '^[A-Z]{2}$' }, n: { type: 'string', pattern: '^(a+)+$' } } });
    expect(validate({ c: 'DE', n: 'aaa' })).toBe(true);
    expect(validate({ c: 'DEU', n: `${'a'.repeat(10_000)}!` })).toBe(false);
    expect(validate.errors?.map((e) => e.instancePath)).toEqual(['/c', '/n']);
  });

  it('matches what JavaScript matches, for the syntax both have', () => {
    const cases: [string, string[]][] = [
      ['\\S', ['', ' ', '\u3000\u3000', '\t\u00a0', 'x', ' \u3000x ']],
      ['^\\s*$', ['', ' \t', '\u3000', '\u2028', 'a', '\v']],
      ['^[\\s,]+$', [' ,', '\u3000,', 'a,']],
      ['^a.b$', ['axb', 'a\nb', 'a\rb', 'a\u2028b', 'a\u00e9b', 'a😀b']],
      ['^[.]$', ['.', 'x']],
      ['^\\.$', ['.', 'x']],
      ['^[A-Z]{2}$', ['DE', 'de', 'DEU']],
      ['^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$', ['zh-CN', 'en_GB', 'x', 'en-']],
      ['^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:?\\d{2})?)?$', ['2026-12-06', '2026-12-06T10:00:00.5Z', '2026-12-06T10', '٢٠٢٦-12-06']],
      ['\\u00e9', ['café', 'cafe']],
      ['^(?<year>\\d{4})$', ['2026', '26']],
      ['^[^]$', ['x', '\n', '']],
      ['^\\w+\\b', ['abc', 'é']],
      ['a\\\\s', ['a\\s', 'a ']],
      ['^\\p{L}+$', ['héllo', '你好', 'a1']],
      ['c$', ['abc', 'abc\n']],
    ];
    for (const [pattern, inputs] of cases) {
      const re2 = re2Pattern(pattern);
      const js = new RegExp(pattern, 'u');
      for (const s of inputs) expect([pattern, s, re2.test(s)]).toEqual([pattern, s, js.test(s)]);
    }
  });
});

describe('manifestSchemaIssues', () => {
  const REFUSED = /cannot run this pattern in linear time.*RE2 syntax/;

  it('accepts the patterns RE2 runs, including the one that froze the router', () => {
    expect(issues(withName('^(a+)+$'), { type: 'string', pattern: '^\\S' })).toEqual([]);
  });

  it('names the field of a backreference, a lookahead and a lookbehind', () => {
    expect(issues(withName('(a)\\1'))).toEqual([{ field: 'input.properties.name.pattern', message: expect.stringMatching(REFUSED) }]);
    expect(issues(withName('^(?=a)'))[0]?.field).toBe('input.properties.name.pattern');
    expect(issues({ type: 'string', pattern: '(?<!a)b' })[0]?.field).toBe('input.pattern');
  });

  it('finds patterns wherever a schema can hold one, in the input and the output', () => {
    const bad = '(x)\\1';
    const input = {
      type: 'object',
      properties: { list: { type: 'array', items: { type: 'string', pattern: bad } }, tuple: { items: [{}, { pattern: bad }] } },
      patternProperties: { [bad]: { type: 'string' }, '^ok_': { pattern: bad } },
      additionalProperties: { pattern: bad },
      allOf: [{}, { pattern: bad }],
      $defs: { id: { pattern: bad } },
      if: { properties: { k: { not: { pattern: bad } } } },
    };
    expect(issues(input, { properties: { reply: { pattern: '(?!x)' } } }).map((i) => i.field)).toEqual([
      'input.properties.list.items.pattern',
      'input.properties.tuple.items.1.pattern',
      `input.patternProperties.${bad}`,
      'input.patternProperties.^ok_.pattern',
      'input.additionalProperties.pattern',
      'input.allOf.1.pattern',
      'input.$defs.id.pattern',
      'input.if.properties.k.not.pattern',
      'output.properties.reply.pattern',
    ]);
  });

  it('leaves data alone: a property named pattern, const, enum, default and examples', () => {
    const bad = '(a)\\1';
    expect(issues({ type: 'object', properties: { pattern: { type: 'string', default: bad } }, const: { pattern: bad }, enum: [{ pattern: bad }], examples: [{ pattern: bad }] })).toEqual([]);
  });

  it('refuses a schema Ajv cannot compile, naming it', () => {
    expect(issues({ type: 'nope' })).toEqual([{ field: 'input', message: expect.stringMatching(/not a valid JSON Schema/) }]);
  });
});
