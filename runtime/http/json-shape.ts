/**
 * Bounds on a JSON body's shape that `JSON.parse` does not set: how deeply it nests, and numbers
 * too large for a double. `JSON.parse` takes a value nested 100,000 levels deep (200 KB) without
 * complaint, but everything after it recurses: V8's structured clone overflows its stack
 * between 1,000 and 2,000 levels, `JSON.stringify` (the hand-off to function code) and our
 * canonical JSON (idempotency keys) a few thousand further. `1e400` parses to `Infinity`, which
 * JSON cannot carry on: it would reach the function as `null`, or fail a canonical hash (500).
 */
import { ValidationError } from './errors.ts';

/** Segments of a field path shown before the rest is elided, and characters of each: enough to find the place. */
const PATH_SHOWN = 8;
const SEGMENT_SHOWN = 64;

/**
 * Checks a parsed JSON body: containers nest at most `maxDepth` levels (the body's own object is
 * level 1) and every number is finite. The parse is walked without recursion, and no deeper than
 * `maxDepth`: ~2 µs for risk-scoring's 4 KB history, where scanning its bytes cost ~9 µs (the
 * router's invoke path, issue 26; `test/bench/json-shape-bench.ts`). Only a refused body is walked again, in order, to name the
 * first offending field.
 * @throws ValidationError (`INVALID_REQUEST`, 400) naming the first offending field.
 */
export function checkJsonShape(parsed: unknown, maxDepth: number): void {
  if (!exceeds(parsed, maxDepth)) return;
  const found = locate(parsed, maxDepth, 1, []);
  // The two walks agree; should they not, the body is refused all the same.
  const field = found ? fieldName(found.path) : 'body';
  throw new ValidationError(field, found?.number ? 'is a number too large to represent (it overflows to Infinity)' : `is nested deeper than ${maxDepth} levels`);
}

/** Whether `v` nests deeper than `maxDepth` or holds a number that is not finite; an explicit stack, so depth cannot overflow it. */
function exceeds(v: unknown, maxDepth: number): boolean {
  const values: unknown[] = [v];
  const depths: number[] = [1];
  const push = (y: unknown, depth: number) => {
    if (typeof y === 'number' || (typeof y === 'object' && y !== null)) {
      values.push(y);
      depths.push(depth);
    }
  };
  while (values.length > 0) {
    const x = values.pop();
    const depth = depths.pop()!;
    if (typeof x === 'number') {
      if (!Number.isFinite(x)) return true;
      continue;
    }
    if (x === null || typeof x !== 'object') continue;
    if (depth > maxDepth) return true;
    // JSON.parse makes plain objects and arrays: `for…in` lists an object's own keys.
    if (Array.isArray(x)) {
      for (let i = 0; i < x.length; i++) push(x[i], depth + 1);
    } else for (const k in x) push((x as Record<string, unknown>)[k], depth + 1);
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
