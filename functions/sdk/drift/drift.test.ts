import { describe, expect, it } from 'vitest';
import { Rng } from '../rng.ts';
import { baselineProblem, binOf, buildBaseline, driftStatus, psi } from './index.ts';

describe('binOf', () => {
  it('puts a value on an edge in the bin below it, and values past the ends in the end bins', () => {
    const edges = [1, 2, 5];
    expect([-10, 1, 1.5, 2, 3, 5, 5.01, 1e9].map((v) => binOf(edges, v))).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
    expect(binOf([], 42)).toBe(0);
  });
});

describe('buildBaseline', () => {
  it('splits a continuous feature into deciles of equal share, and a flag into one bin per value', () => {
    const rng = new Rng(7);
    const amounts = Array.from({ length: 10_000 }, () => rng.next() * 100);
    const flags = Array.from({ length: 1_000 }, (_, i) => (i % 4 === 0 ? 1 : 0));
    const b = buildBaseline({ amount: amounts, flag: flags });
    expect(b.features.amount!.edges).toHaveLength(9);
    for (const s of b.features.amount!.shares) expect(s).toBeCloseTo(0.1, 2);
    expect(b.features.flag).toEqual({ edges: [0], shares: [0.75, 0.25] });
    expect(baselineProblem(b)).toBeUndefined();
  });

  it('refuses a feature without finite values', () => {
    expect(() => buildBaseline({ x: [NaN, Infinity] })).toThrow('feature x: no finite values');
  });
});

describe('psi', () => {
  const rng = new Rng(11);
  const train = Array.from({ length: 20_000 }, () => rng.next() * 100);
  const { features } = buildBaseline({ amount: train });
  const f = features.amount!;
  const countsOf = (values: number[]) => {
    const c = new Array<number>(f.shares.length).fill(0);
    for (const v of values) c[binOf(f.edges, v)]!++;
    return c;
  };

  it('is near 0 for a sample of the same population, over 0.2 for a shifted one, and grows with the shift', () => {
    const same = psi(f.shares, countsOf(Array.from({ length: 5_000 }, () => rng.next() * 100)));
    const shifted = psi(f.shares, countsOf(Array.from({ length: 5_000 }, () => rng.next() * 100 + 30)));
    const far = psi(f.shares, countsOf(Array.from({ length: 5_000 }, () => rng.next() * 100 * 20)));
    expect(same).toBeLessThan(0.01);
    expect(shifted).toBeGreaterThan(0.2);
    expect(far).toBeGreaterThan(shifted);
  });

  it('matches the textbook sum on a small case, an empty bin floored rather than infinite', () => {
    const expected = [0.5, 0.5];
    expect(psi(expected, [70, 30])).toBeCloseTo(0.2 * Math.log(0.7 / 0.5) + -0.2 * Math.log(0.3 / 0.5), 10);
    expect(Number.isFinite(psi(expected, [100, 0]))).toBe(true);
    expect(psi(expected, [0, 0])).toBe(0);
  });
});

describe('driftStatus', () => {
  it('gives no verdict before minCount values, then ok, warn and drift at the thresholds', () => {
    expect(driftStatus(0.5, 499)).toBe('insufficient');
    expect(driftStatus(0.05, 500)).toBe('ok');
    expect(driftStatus(0.1, 500)).toBe('warn');
    expect(driftStatus(0.2, 500)).toBe('drift');
    expect(driftStatus(0.15, 10, { warn: 0.05, drift: 0.15, minCount: 10 })).toBe('drift');
  });
});

describe('baselineProblem', () => {
  it('names what is wrong', () => {
    expect(baselineProblem({})).toMatch(/expected/);
    expect(baselineProblem({ features: { a: { edges: [2, 1], shares: [0.3, 0.3, 0.4] } } })).toMatch(/a: edges must be finite and strictly ascending/);
    expect(baselineProblem({ features: { a: { edges: [1], shares: [1] } } })).toMatch(/a: 1 edges make 2 bins, but 1 shares/);
    expect(baselineProblem({ features: { a: { edges: [1], shares: [0.3, 0.3] } } })).toMatch(/sum to 0.6/);
  });
});
