/**
 * Bounds on a JSON body's shape that `JSON.parse` does not set: how deeply it nests, and numbers
 * too large for a double. `JSON.parse` takes a value nested 100,000 levels deep (200 KB) without
 * complaint, but everything after it recurses: V8's structured clone (the hand-off to the
 * inference thread) overflows its stack between 1,000 and 2,000 levels, `JSON.stringify` and our
 * canonical JSON (idempotency keys) a few thousand further. `1e400` parses to `Infinity`, which
 * JSON cannot carry on: it would reach the function as `null`, or fail a canonical hash (500).
 */
import { ValidationError } from './errors.ts';
import { endOfString } from './json-member.ts';

const QUOTE = 0x22;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const LOWER_E = 0x65;
const UPPER_E = 0x45;

/** A number of more digits than this, even without an exponent, may exceed a double (1e308). */
const PLAIN_DIGITS = 300;

/** Segments of a field path shown before the rest is elided, and characters of each: enough to find the place. */
const PATH_SHOWN = 8;
const SEGMENT_SHOWN = 64;

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const inNumber = (c: number): boolean => isDigit(c) || c === MINUS || c === PLUS || c === DOT || c === LOWER_E || c === UPPER_E;

/**
 * Checks the body `parsed` was parsed from (`body`, valid JSON): containers nest at most
 * `maxDepth` levels (the body's own object is level 1) and every number is finite. The bytes are
 * scanned, which costs the usual body next to nothing; only a refused body is walked, to name
 * the field.
 * @throws ValidationError (`INVALID_REQUEST`, 400) naming the first offending field.
 */
export function checkJsonShape(body: Uint8Array, parsed: unknown, maxDepth: number): void {
  if (!exceeds(body, maxDepth)) return;
  const found = locate(parsed, maxDepth, 1, []);
  // The scan and the walk agree on valid JSON; should they not, the body is refused all the same.
  const field = found ? fieldName(found.path) : 'body';
  throw new ValidationError(field, found?.number ? 'is a number too large to represent (it overflows to Infinity)' : `is nested deeper than ${maxDepth} levels`);
}

/** Whether `b` nests deeper than `maxDepth` or holds a number that overflows. */
function exceeds(b: Uint8Array, maxDepth: number): boolean {
  let depth = 0;
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c === QUOTE) i = endOfString(b, i) - 1;
    else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > maxDepth) return true;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) depth--;
    else if (isDigit(c) || c === MINUS) {
      // Outside strings, only numbers hold digits; `true` and `false` hold an `e` but no digit.
      let j = i;
      let exponent = false;
      for (; j < b.length && inNumber(b[j]!); j++) if (b[j] === LOWER_E || b[j] === UPPER_E) exponent = true;
      if ((exponent || j - i > PLAIN_DIGITS) && !Number.isFinite(Number(Buffer.from(b.buffer, b.byteOffset + i, j - i).toString('latin1')))) return true;
      i = j - 1;
    }
  }
  return false;
}

type Segment = string | number;

/** The path to the first container past `maxDepth` or non-finite number; recursion stops at `maxDepth`. */
function locate(v: unknown, maxDepth: number, depth: number, path: Segment[]): { path: Segment[]; number: boolean } | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? undefined : { path, number: true };
  if (v === null || typeof v !== 'object') return undefined;
  if (depth > maxDepth) return { path, number: false };
  const entries: [Segment, unknown][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
  for (const [k, x] of entries) {
    path.push(k);
    const found = locate(x, maxDepth, depth + 1, path);
    if (found) return found;
    path.pop();
  }
  return undefined;
}

/** `input.context.a[2]`, elided past {@link PATH_SHOWN} segments (`input.a.a.a…`, 64 levels deep). */
function fieldName(path: Segment[]): string {
  const shown = path.slice(0, PATH_SHOWN).map((s, i) => (typeof s === 'number' ? `[${s}]` : (i === 0 ? '' : '.') + (s.length > SEGMENT_SHOWN ? `${s.slice(0, SEGMENT_SHOWN)}…` : s)));
  return (shown.join('') || 'body') + (path.length > PATH_SHOWN ? '…' : '');
}
