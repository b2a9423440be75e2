import { describe, expect, it } from 'vitest';
import { fieldPath, inputField, pointerSegments } from './field-path.ts';

describe('fieldPath', () => {
  it('puts members after dots and indices in brackets', () => {
    expect(fieldPath('input', ['transactions', 0, 'amount'])).toBe('input.transactions[0].amount');
    expect(fieldPath('inputs[3]', ['message'])).toBe('inputs[3].message');
    expect(fieldPath('', ['routes', 1, 'weight'])).toBe('routes[1].weight');
    expect(fieldPath('input', [1, 0])).toBe('input[1][0]');
    expect(fieldPath('body', [])).toBe('body');
  });
});

describe('pointerSegments', () => {
  it('reads a token as an index only where the document holds an array', () => {
    const doc = { transactions: [{ amount: 1 }], map: { '0': { x: 1 } } };
    expect(pointerSegments(doc, '/transactions/0/amount')).toEqual(['transactions', 0, 'amount']);
    expect(pointerSegments(doc, '/map/0/x')).toEqual(['map', '0', 'x']);
    expect(pointerSegments({ 'a/b': 1 }, '/a~1b')).toEqual(['a/b']);
    expect(pointerSegments(doc, '')).toEqual([]);
  });
});

describe('inputField', () => {
  it('roots a function’s relative field at input, leaving rooted ones alone', () => {
    expect(inputField('transactions[0].amount')).toBe('input.transactions[0].amount');
    expect(inputField('[2]')).toBe('input[2]');
    expect(inputField('input')).toBe('input');
    expect(inputField('input.text')).toBe('input.text');
    expect(inputField('input[1]')).toBe('input[1]');
    expect(inputField('inputs')).toBe('input.inputs');
  });
});
