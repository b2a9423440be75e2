import { describe, expect, it } from 'vitest';
import { percentProblem } from './traffic-panel.ts';

describe('percentProblem', () => {
  it('takes whole numbers only, canary 1–99 and shadow 1–100, and names the box', () => {
    for (const n of [1, 25, 99]) expect(percentProblem('canary', n)).toBe('');
    for (const n of [1, 50, 100]) expect(percentProblem('shadow', n)).toBe('');
    for (const n of [0, 100, 12.5, -3, Number.NaN]) expect(percentProblem('canary', n)).toBe('The canary percent must be a whole number from 1 to 99.');
    for (const n of [0, 101, 12.5, Number.NaN]) expect(percentProblem('shadow', n)).toBe('The shadow percent must be a whole number from 1 to 100.');
  });
});
