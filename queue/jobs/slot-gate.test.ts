import { describe, expect, it } from 'vitest';
import { SlotGate } from './slot-gate.ts';

/** A few turns of the event loop: a slot given back is taken within them (promises), or not at all. */
const turns = async () => {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
};

describe('SlotGate', () => {
  it('lets `size` in at once, the rest in arrival order as slots are given back (once each)', async () => {
    const gate = new SlotGate(2);
    const order: number[] = [];
    const leaves = await Promise.all([gate.enter(), gate.enter()]);
    const later = [3, 4].map((n) => gate.enter().then((leave) => (order.push(n), leave)));
    await turns();
    expect(order).toEqual([]); // both slots held
    leaves[0]!();
    leaves[0]!(); // a second release gives nothing back
    const leave3 = await later[0]!;
    await turns();
    expect(order).toEqual([3]);
    leave3();
    await later[1];
    expect(order).toEqual([3, 4]);
  });
});
