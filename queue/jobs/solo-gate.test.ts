import { describe, expect, it } from 'vitest';
import { SoloGate } from './solo-gate.ts';

const tick = () => new Promise((r) => setImmediate(r));

describe('SoloGate', () => {
  it('runs jobs together, a job alone only once they are out, and keeps new ones out while it waits', async () => {
    const gate = new SoloGate();
    const a = await gate.enterTogether();
    const b = await gate.enterTogether();
    const order: string[] = [];
    const solo = gate.enterAlone().then((out) => (order.push('solo'), out));
    const late = gate.enterTogether().then((out) => (order.push('late'), out));
    await tick();
    expect(order).toEqual([]);
    a();
    a(); // idempotent: does not let the solo job in beside b
    await tick();
    expect(order).toEqual([]);
    b();
    await tick();
    expect(order).toEqual(['solo']);
    (await solo)();
    await tick();
    expect(order).toEqual(['solo', 'late']);
    // The late one runs together again: a second together job enters at once.
    const again = await gate.enterTogether();
    (await late)();
    again();
    const alone = await gate.enterAlone();
    alone();
  });

  it('runs two jobs that must be alone one after the other', async () => {
    const gate = new SoloGate();
    const first = await gate.enterAlone();
    let second = false;
    const next = gate.enterAlone().then((out) => ((second = true), out));
    await tick();
    expect(second).toBe(false);
    first();
    (await next)();
    expect(second).toBe(true);
  });
});
