import { Ajv, type CodeOptions } from 'ajv';
import { RE2JS } from 're2js';
import type { Manifest } from '../../functions/sdk/index.ts';
import { runsBoundedOnV8 } from './backtrack-bound.ts';

// What `\s` means in JavaScript (RE2's is ASCII only: `customer-reply`'s `\S` must refuse a message
// of ideographic spaces, U+3000), and the line terminators JavaScript's `.` does not match (RE2's
// `.` matches all but `\n`).
const JS_SPACE = '\\t\\n\\x0B\\f\\r \\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}';
const JS_DOT = '[^\\n\\r\\x{2028}\\x{2029}]';

/** Rewrites `\s`, `\S` and `.` to match what they match in JavaScript (`\S` in a class stays RE2's). */
function withJsClasses(source: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i]!;
    if (ch === '\\' && i + 1 < source.length) {
      const next = source[++i]!;
      if (next === 's') out += inClass ? JS_SPACE : `[${JS_SPACE}]`;
      else if (next === 'S' && !inClass) out += `[^${JS_SPACE}]`;
      else out += ch + next;
    } else {
      if (ch === '[') inClass = true;
      else if (ch === ']') inClass = false;
      out += ch === '.' && !inClass ? JS_DOT : ch;
    }
  }
  return out;
}

/**
 * Patterns anchored at their start with at most this many ways to backtrack run on V8's own
 * `RegExp` (see {@link runsBoundedOnV8}): risk-scoring's timestamp pattern has 33. At 256 a
 * match is at worst a few thousand steps, whatever the input, and V8 runs these patterns ~17×
 * faster than re2js (`test/bench/schema-patterns-bench.ts`).
 */
const NATIVE_WAYS = 256;

/** `source` compiled by RE2, matching what JavaScript matches for the syntax both have; throws what RE2 refuses. */
export const re2Pattern = (source: string): RE2JS => RE2JS.compile(RE2JS.translateRegExp(withJsClasses(source)));

/**
 * Ajv's `code.regExp` for manifests' schemas: patterns match in time linear in the input. A
 * deployer's `pattern` runs in the router on every call, and V8's backtracking `RegExp` took
 * 2.7 s on 27 characters for `^(a+)+$` (doubling per character) while every team waited.
 *
 * Every pattern must compile with RE2 (re2js, pure JS): what RE2 cannot run in linear time
 * (backreferences, lookahead, lookbehind) throws, whatever the engine chosen below. A pattern
 * anchored at its start, with no unbounded repeat and few ways to backtrack, then runs on V8's
 * `RegExp` (the reference for JSON Schema's `pattern`, and much faster); any other runs on RE2. re2js rather than the
 * native `re2`: no C++ build at install (docs/benchmarks.md has the choice and the cost).
 * JavaScript-only syntax (`\u0041`, `(?<name>…)`, `[^]`, `\cJ`) is translated for RE2 first, and
 * `\s`, `.` keep their JavaScript meaning there.
 *
 * Either object is returned as it is: Ajv calls its `test` (a search, as JSON Schema's
 * `pattern` means), and keys its compiled patterns by `toString()`, the pattern as compiled.
 */
export const re2RegExp: NonNullable<CodeOptions['regExp']> = Object.assign(
  (source: string, flags: string) => {
    const re2 = re2Pattern(source);
    if (!runsBoundedOnV8(source, NATIVE_WAYS)) return re2;
    try {
      return new RegExp(source, flags);
    } catch {
      return re2; // valid for RE2's reading, not for JavaScript's (with the `u` flag)
    }
  },
  {
    // Only read by Ajv's standalone code generation, which the platform does not use.
    code: 'RE2JS.compile',
  },
);

/** An Ajv for manifests' schemas: all errors, unknown keywords ignored, patterns by {@link re2RegExp}. */
export const schemaAjv = (): Ajv => new Ajv({ allErrors: true, strict: false, code: { regExp: re2RegExp } });

/** One problem with a manifest's schema, naming the field (`input.properties.name.pattern`). */
export interface SchemaIssue {
  field: string;
  message: string;
}

// Keywords whose value is a schema, a list of schemas, or a map of schemas (drafts 07 to 2020-12).
// Values of the others (`enum`, `const`, `default`, `examples`, unknown keywords) are data.
const ONE = new Set(['items', 'additionalItems', 'additionalProperties', 'unevaluatedItems', 'unevaluatedProperties', 'contains', 'propertyNames', 'not', 'if', 'then', 'else']);
const LIST = new Set(['items', 'prefixItems', 'allOf', 'anyOf', 'oneOf']);
const MAP = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas', 'dependencies']);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function refusal(source: string): string | undefined {
  try {
    re2RegExp(source, 'u');
    return undefined;
  } catch (err) {
    return `the platform cannot run this pattern in linear time (${(err as Error).message}); patterns use RE2 syntax: no backreferences, lookahead or lookbehind`;
  }
}

/** Every pattern (`pattern`, `patternProperties` keys) in `schema` RE2 refuses, by path. */
function patternIssues(schema: unknown, field: string, out: SchemaIssue[]): void {
  if (!isObject(schema)) return;
  for (const [k, v] of Object.entries(schema)) {
    const at = `${field}.${k}`;
    if (k === 'pattern' && typeof v === 'string') {
      const why = refusal(v);
      if (why) out.push({ field: at, message: why });
    } else if (MAP.has(k) && isObject(v)) {
      for (const [name, sub] of Object.entries(v)) {
        const why = k === 'patternProperties' ? refusal(name) : undefined;
        if (why) out.push({ field: `${at}.${name}`, message: why });
        patternIssues(sub, `${at}.${name}`, out);
      }
    } else if (LIST.has(k) && Array.isArray(v)) {
      v.forEach((sub, i) => patternIssues(sub, `${at}.${i}`, out));
    } else if (ONE.has(k)) {
      patternIssues(v, at, out);
    }
  }
}

/**
 * Checks a manifest's `input` and `output` schemas as the router will compile them: every pattern
 * must compile with RE2 (named by its path), and the whole schema with Ajv. Run at deploy, so a
 * version the router could not validate calls for is never recorded.
 * @returns the problems, none when the schemas are fine
 */
export function manifestSchemaIssues(m: Pick<Manifest, 'input' | 'output'>): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  for (const field of ['input', 'output'] as const) {
    const before = issues.length;
    patternIssues(m[field], field, issues);
    if (issues.length > before) continue;
    try {
      schemaAjv().compile(m[field]);
    } catch (err) {
      issues.push({ field, message: `not a valid JSON Schema: ${(err as Error).message}` });
    }
  }
  return issues;
}
