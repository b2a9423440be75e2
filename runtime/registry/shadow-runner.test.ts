import { describe, expect, it } from 'vitest';
import { sameAnswer, sameOutput } from './shadow-runner.ts';

describe('sameOutput: when a shadow agrees with the serving version', () => {
  it('takes numbers within the tolerance as equal, and no further', () => {
    expect(sameOutput(0.123456, 0.123456)).toBe(true);
    // Two builds of one model: the last bits differ.
    expect(sameOutput(0.7310585786300049, 0.7310585786300052)).toBe(true);
    expect(sameOutput(1234.5, 1234.5 * (1 + 4e-6))).toBe(true);
    expect(sameOutput(-2.5e-9, -2.5e-9 * (1 - 4e-6))).toBe(true);
    // A difference of 1e-14 is within tolerance wherever it falls, also across a rounding step of
    // the sixth digit (0.1234565 rounds up, its neighbour just below it down).
    expect(sameOutput(0.12345649999999, 0.12345650000001)).toBe(true);
    expect(sameOutput(99999.49999999, 99999.50000001)).toBe(true);
    // A different answer is not.
    expect(sameOutput(0.123456, 0.123466)).toBe(false);
    expect(sameOutput(1234.5, 1234.5 * (1 + 2e-5))).toBe(false);
    expect(sameOutput(0.5, -0.5)).toBe(false);
    expect(sameOutput(0, 1e-3)).toBe(false);
    expect(sameOutput(0, 0)).toBe(true);
    expect(sameOutput(0, -0)).toBe(true);
  });

  it('compares numbers as numbers only: a number and its text differ', () => {
    expect(sameOutput(1, '1')).toBe(false);
    expect(sameOutput({ n: 1 }, { n: '1' })).toBe(false);
    expect(sameOutput(1, true)).toBe(false);
    expect(sameOutput(0, null)).toBe(false);
  });

  it('compares strings, booleans and null exactly', () => {
    expect(sameOutput('refund', 'refund')).toBe(true);
    expect(sameOutput('refund', 'Refund')).toBe(false);
    expect(sameOutput('0.1234561', '0.1234562')).toBe(false);
    expect(sameOutput(true, true)).toBe(true);
    expect(sameOutput(true, false)).toBe(false);
    expect(sameOutput(null, null)).toBe(true);
    expect(sameOutput(null, 'null')).toBe(false);
  });

  it('compares objects by their members, in any order, at any depth', () => {
    const serving = { level: 'high', score: 0.9998765432, factors: [{ code: 'rapid_succession', contribution: 0.744 }], meta: { model: { version: 3 } } };
    const candidate = { meta: { model: { version: 3 } }, factors: [{ contribution: 0.744000001, code: 'rapid_succession' }], score: 0.9998765431, level: 'high' };
    expect(sameOutput(serving, candidate)).toBe(true);
    expect(sameOutput(serving, { ...candidate, meta: { model: { version: 4 } } })).toBe(false);
    expect(sameOutput(serving, { ...candidate, level: 'medium' })).toBe(false);
    // A member more or less is a different output.
    expect(sameOutput(serving, { ...candidate, extra: true })).toBe(false);
    const { meta: _meta, ...fewer } = candidate;
    expect(sameOutput(serving, fewer)).toBe(false);
    expect(sameOutput({ a: 1 }, { b: 1 })).toBe(false);
    expect(sameOutput({}, [])).toBe(false);
  });

  it('compares arrays item by item, in order', () => {
    expect(sameOutput([0.1, 0.2, 0.7], [0.1000000001, 0.2, 0.6999999999])).toBe(true);
    expect(sameOutput([0.1, 0.2, 0.7], [0.2, 0.1, 0.7])).toBe(false);
    expect(sameOutput([1, 2], [1, 2, 3])).toBe(false);
    expect(sameOutput([[1, 'a'], [2, 'b']], [[1, 'a'], [2, 'b']])).toBe(true);
    expect(sameOutput([[1, 'a']], [[1, 'b']])).toBe(false);
    expect(sameOutput([], [])).toBe(true);
  });
});

describe('sameAnswer: agreement on the part a manifest names as the answer', () => {
  it('compares the part at feedback.label when the manifest names one, else the whole output', () => {
    const risk = { feedback: { label: '/level' } };
    expect(sameAnswer(risk, { score: 0.91, level: 'high' }, { score: 0.87, level: 'high' })).toBe(true);
    expect(sameAnswer(risk, { score: 0.91, level: 'high' }, { score: 0.91, level: 'medium' })).toBe(false);
    expect(sameAnswer({}, { score: 0.91, level: 'high' }, { score: 0.87, level: 'high' })).toBe(false);
    expect(sameAnswer({}, { y: 2 }, { y: 2 })).toBe(true);
  });
});
