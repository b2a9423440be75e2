/**
 * Whether V8's backtracking `RegExp` runs `source` in time bounded by the pattern alone, whatever
 * the input: anchored at its start (`^` first, no `|` outside a group), so only position 0 is
 * tried, and at most `maxWays` ways to try there ({@link backtrackBound}). An unanchored pattern
 * is tried at every position of the input: `\d{20}x` took V8 75 ms on a megabyte of digits
 * (RE2 0.1 ms), `(a|a){1,7}b` 1.2 s on a megabyte of "a"s; anchored, both take microseconds.
 */
export function runsBoundedOnV8(source: string, maxWays: number): boolean {
  if (source[0] !== '^') return false;
  const read = readPattern(source);
  // A `|` outside every group: `^` anchors the first branch only.
  return read !== undefined && read.topBranches === 1 && read.ways <= maxWays;
}

/**
 * How many ways a backtracking engine (V8's `RegExp`) can try to match a pattern from one start
 * position, when that number is finite: the product of the choices of a sequence, the sum over an
 * alternation's branches, and for a bounded repeat `x{n,m}` the sum of `ways(x)^k` for k in n..m.
 * A pattern with an unbounded repeat (`*`, `+`, `{n,}`) has no bound, nor has one using what this
 * reading does not follow (backreferences, lookaround): `undefined`. Such a bound caps a match's
 * work at (bound × pattern length) steps per start position, where `^(a+)+$` doubles per
 * character; for a pattern anchored at its start (see {@link runsBoundedOnV8}) that is the work
 * of the whole match.
 *
 * Conservative by construction: anything not understood yields `undefined`, and the caller then
 * keeps RE2. Counts above `cap` are reported as `Infinity`.
 */
export function backtrackBound(source: string, cap = 1e6): number | undefined {
  return readPattern(source, cap)?.ways;
}

/** The pattern's ways ({@link backtrackBound}) and its branches outside every group; undefined when it has no bound. */
function readPattern(source: string, cap = 1e6): { ways: number; topBranches: number } | undefined {
  const p = new BoundReader(source, cap);
  try {
    const ways = p.alternation();
    return p.atEnd() ? { ways, topBranches: p.topBranches } : undefined;
  } catch (err) {
    if (err === NO_BOUND) return undefined;
    throw err;
  }
}

const NO_BOUND = Symbol('no bound');

class BoundReader {
  private i = 0;
  /** Groups the reader is inside. */
  private depth = 0;
  /** Branches of the alternation outside every group. */
  topBranches = 0;

  constructor(
    private readonly s: string,
    private readonly cap: number,
  ) {}

  atEnd(): boolean {
    return this.i === this.s.length;
  }

  private limit(n: number): number {
    return n > this.cap ? Infinity : n;
  }

  alternation(): number {
    if (this.depth === 0) this.topBranches++;
    let ways = this.sequence();
    while (this.s[this.i] === '|') {
      this.i++;
      if (this.depth === 0) this.topBranches++;
      ways = this.limit(ways + this.sequence());
    }
    return ways;
  }

  private sequence(): number {
    let ways = 1;
    while (this.i < this.s.length && this.s[this.i] !== '|' && this.s[this.i] !== ')') ways = this.limit(ways * this.quantified(this.atom()));
    return ways;
  }

  private atom(): number {
    const ch = this.s[this.i]!;
    if (ch === '(') {
      this.i++;
      if (this.s[this.i] === '?') {
        // (?:…) and (?<name>…) group; lookaround (?= (?! (?<= (?<! is not followed.
        const rest = this.s.slice(this.i, this.i + 3);
        if (rest.startsWith('?:')) this.i += 2;
        else if (rest.startsWith('?<') && rest !== '?<=' && rest !== '?<!') this.i = this.s.indexOf('>', this.i) + 1 || fail();
        else fail();
      }
      this.depth++;
      const ways = this.alternation();
      this.depth--;
      if (this.s[this.i] !== ')') fail();
      this.i++;
      return ways;
    }
    if (ch === '[') {
      this.skipClass();
      return 1;
    }
    if (ch === '\\') {
      const next = this.s[this.i + 1];
      // Backreferences (\1…\9, \k<name>) are not followed.
      if (next === undefined || /[1-9k]/.test(next)) fail();
      this.i += 2;
      // \p{…}, \u{…}, \x41, \u0041: the rest of the escape is one atom still.
      if ((next === 'p' || next === 'P' || next === 'u') && this.s[this.i] === '{') this.i = this.s.indexOf('}', this.i) + 1 || fail();
      return 1;
    }
    if ('*+?'.includes(ch)) fail(); // a quantifier with nothing to repeat
    this.i++;
    return 1;
  }

  private skipClass(): void {
    this.i++;
    while (this.i < this.s.length && this.s[this.i] !== ']') this.i += this.s[this.i] === '\\' ? 2 : 1;
    if (this.s[this.i] !== ']') fail();
    this.i++;
  }

  private quantified(ways: number): number {
    const ch = this.s[this.i];
    let min: number;
    let max: number;
    if (ch === '*' || ch === '+') fail();
    if (ch === '?') {
      this.i++;
      [min, max] = [0, 1];
    } else if (ch === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.s.slice(this.i));
      if (!m) return ways; // a literal brace
      if (m[2] !== undefined && m[3] === '') fail(); // {n,}
      this.i += m[0].length;
      min = Number(m[1]);
      max = m[3] === undefined ? min : Number(m[3]);
      if (max - min > this.cap) return Infinity;
    } else return ways;
    if (this.s[this.i] === '?') this.i++; // lazy: the same ways, tried in another order
    let total = 0;
    for (let k = min; k <= max && total !== Infinity; k++) total = this.limit(total + this.limit(ways ** k));
    return total;
  }
}

function fail(): never {
  throw NO_BOUND;
}
