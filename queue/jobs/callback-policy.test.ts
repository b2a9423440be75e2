import { Backoffs, type MinimalJob } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { CALLBACK_POLICY } from './callback-policy.ts';

describe('CALLBACK_POLICY', () => {
  it('spreads its attempts over about 17 minutes (as the README promises), by BullMQ’s own backoff', async () => {
    const backoff = { type: 'exponential', delay: CALLBACK_POLICY.backoffMs };
    const gaps: number[] = [];
    // BullMQ computes the wait before attempt n + 1 from attemptsMade = n.
    for (let made = 1; made < CALLBACK_POLICY.attempts; made++) {
      gaps.push(Number(await Backoffs.calculate(backoff, made, new Error('500'), {} as MinimalJob)));
    }
    expect(gaps[0]).toBe(1000);
    const minutes = gaps.reduce((a, b) => a + b, 0) / 60_000;
    expect(minutes).toBeGreaterThan(15);
    expect(minutes).toBeLessThan(20);
  });
});
