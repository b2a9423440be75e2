import { readdirSync, readFileSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FunctionError, InvalidInputError, toErrorRecord } from '../functions/sdk/index.ts';
import { PlatformError } from './platform-error.ts';
import { PROBLEM_CODES, isProblemCode, problemStatus } from './problem-codes.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Where the platform's code lives: the router, control and CLI, the queue, the pool, and the SDK. */
const SCANNED = ['runtime', 'queue', 'gpu-pool', 'functions/sdk'];

/** Screaming-case literals on a line that is about a code but name no problem the platform answers. */
const NOT_PROBLEMS: Record<string, string> = {
  AUDIT_VERIFY_FAILED: "an audit record's outcome: the verify route answers 200 with the report",
  UNREACHABLE: 'the API client, when no answer came at all (status 0); never on the wire',
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const path = join(dir, d.name);
    if (d.isDirectory()) return d.name === 'node_modules' ? [] : sources(path);
    return d.name.endsWith('.ts') && !d.name.endsWith('.test.ts') ? [path] : [];
  });
}

const LITERAL = /['"`]([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*)['"`]/g;
// Codes handed to an error's constructor, whether or not the line says "code".
const ERROR_ARG = /(?:super|Error|problemType|problemStatus)\(\s*['"`]([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)['"`]/g;
// Node's error codes (ENOENT, ERR_MODULE_NOT_FOUND…) are compared on `err.code`; they are not ours.
const ERRNO = /^(E[A-Z]+|ERR_[A-Z0-9_]+)$/;

/** Every code the code base can emit: constructor arguments, and screaming-case literals after a `code` on a line. */
function emittedCodes(): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of SCANNED.flatMap((d) => sources(join(ROOT, d)))) {
    const text = readFileSync(file, 'utf8');
    const at = (index: number) => `${relative(ROOT, file)}:${text.slice(0, index).split('\n').length}`;
    for (const m of text.matchAll(ERROR_ARG)) found.set(m[1]!, at(m.index));
    let offset = 0;
    for (const line of text.split('\n')) {
      // Literals after a `code` on a line of code (not a comment): `code: 'X'`, `code ?? 'X'`, `c.code : 'X'`.
      const after = /^\s*(\*|\/\/|\/\*)/.test(line) ? -1 : line.search(/\bcode\b/);
      if (after >= 0) {
        for (const m of line.slice(after).matchAll(LITERAL)) {
          const code = m[1]!;
          if (code.length >= 4 && !ERRNO.test(code) && !found.has(code)) found.set(code, at(offset + after + m.index));
        }
      }
      offset += line.length + 1;
    }
  }
  return found;
}

describe('the error catalogue', () => {
  it('lists every code the code base can emit', () => {
    const emitted = emittedCodes();
    // The scan must see the codes it is meant to see, or an empty scan would pass.
    for (const known of ['FUNCTION_NOT_FOUND', 'JOB_CANCELLED', 'QUEUE_FULL', 'INVALID_INPUT', 'INTERNAL', 'UNAUTHORIZED']) expect(emitted.has(known), known).toBe(true);
    const missing = [...emitted].filter(([code]) => !isProblemCode(code) && !(code in NOT_PROBLEMS)).map(([code, where]) => `${code} (${where})`);
    expect(missing).toEqual([]);
  });

  it('gives every code a valid HTTP error status, a title and a meaning', () => {
    for (const [code, e] of Object.entries(PROBLEM_CODES)) {
      expect(e.status >= 400 && e.status <= 599 && STATUS_CODES[e.status] !== undefined, `${code}: ${e.status}`).toBe(true);
      expect(e.title.length, code).toBeGreaterThan(0);
      expect(e.meaning.length, code).toBeGreaterThan(0);
      expect(code, code).toMatch(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/);
    }
  });

  it("takes a platform error's status and retryability from the catalogue", () => {
    const queueFull = new PlatformError('QUEUE_FULL', 'full');
    expect([queueFull.status, queueFull.retryable]).toEqual([503, true]);
    const notFound = new PlatformError('JOB_NOT_FOUND', 'gone');
    expect([notFound.status, notFound.retryable]).toEqual([404, false]);
  });

  it("maps the SDK's codes through the catalogue, and a function's own code to 500", () => {
    expect(problemStatus(new InvalidInputError('input.x', 'bad').code)).toBe(400);
    expect(problemStatus(new FunctionError('failed').code)).toBe(500);
    expect(problemStatus(new FunctionError('failed', { code: 'ECHO_FAILED' }).code)).toBe(500);
    // A record carries no status: the router derives it from the code.
    expect(toErrorRecord(new PlatformError('RATE_LIMITED', 'slow down'))).toEqual({ code: 'RATE_LIMITED', message: 'slow down', retryable: true });
  });
});
