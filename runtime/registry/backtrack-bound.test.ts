import { describe, expect, it } from 'vitest';
import { backtrackBound, runsBoundedOnV8 } from './backtrack-bound.ts';

describe('backtrackBound', () => {
  it('counts the ways of bounded repeats and alternations', () => {
    expect(backtrackBound('^[A-Z]{2}$')).toBe(1);
    expect(backtrackBound('ab?')).toBe(2);
    expect(backtrackBound('(a|b|c)')).toBe(3);
    expect(backtrackBound('(a|b){1,3}')).toBe(2 + 4 + 8);
    expect(backtrackBound('\\d{1,9}')).toBe(9);
    expect(backtrackBound('(?:x|y)??z{0,2}?')).toBe(3 * 3);
    // risk-scoring's timestamp: 1 + (1 + 9) for the optional seconds and fraction, 1 + 2 for the zone (`:?`).
    expect(backtrackBound('^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:?\\d{2})$')).toBe(11 * 3);
  });

  it('reads classes, escapes and named groups as one way each', () => {
    expect(backtrackBound('[a-z*+(|]')).toBe(1);
    expect(backtrackBound('[\\]x]')).toBe(1);
    expect(backtrackBound('\\*\\+\\(\\|')).toBe(1);
    expect(backtrackBound('^\\p{L}\\u{1F600}\\x41\\u0041$')).toBe(1);
    expect(backtrackBound('^(?<year>\\d{4})$')).toBe(1);
    expect(backtrackBound('a{,3}')).toBe(1); // not a repeat in JavaScript: literal text
  });

  it('has no bound for unbounded repeats', () => {
    for (const p of ['^(a+)+$', 'a*', 'x{2,}', '(a|b)+?', '^\\S+@\\S+$']) expect([p, backtrackBound(p)]).toEqual([p, undefined]);
  });

  it('has no bound for what it does not follow: backreferences, lookaround, broken syntax', () => {
    for (const p of ['(a)\\1', '(?<x>a)\\k<x>', '(?=a)', '(?!a)', '(?<=a)b', '(?<!a)b', '(a', 'a)', '[a', '*a']) expect([p, backtrackBound(p)]).toEqual([p, undefined]);
  });

  it('grows past the cap as Infinity: nested bounded repeats multiply', () => {
    expect(backtrackBound('(a{1,9}){1,9}')).toBe(Infinity);
    expect(backtrackBound('(a|b){1,40}')).toBe(Infinity);
    expect(backtrackBound('a{1,1000000000}')).toBe(Infinity);
  });
});

describe('runsBoundedOnV8', () => {
  it('takes patterns anchored at their start, within the ways allowed', () => {
    expect(runsBoundedOnV8('^[A-Z]{2}$', 256)).toBe(true);
    expect(runsBoundedOnV8('^(a|b){1,3}$', 14)).toBe(true);
    expect(runsBoundedOnV8('^(a|b){1,3}$', 13)).toBe(false);
    expect(runsBoundedOnV8('^(x|y)|(z)', 256)).toBe(false); // the anchor holds for one branch
    expect(runsBoundedOnV8('^[a|b]\\|c', 256)).toBe(true); // a `|` in a class or escaped is no alternation
  });

  it('refuses what is tried at every position of the input, or has no bound', () => {
    for (const p of ['[A-Z]{2}$', '\\S', 'a^', '^a+', '^(a|b)*']) expect([p, runsBoundedOnV8(p, 256)]).toEqual([p, false]);
  });
});
