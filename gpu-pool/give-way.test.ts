import { afterEach, describe, expect, it, vi } from 'vitest';
import { GiveWay } from './give-way.ts';

afterEach(() => vi.useRealTimers());

/** Whether `p` has settled, after the microtasks queued so far. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  await Promise.resolve();
  await Promise.resolve();
  return done;
}

describe('GiveWay', () => {
  it('lets a step go at once while the worker serves nothing', async () => {
    expect(await settled(new GiveWay().wait())).toBe(true);
  });

  it('holds steps while the worker serves calls, and lets them go when it stops', async () => {
    vi.useFakeTimers();
    const g = new GiveWay(100);
    g.set(true);
    const a = g.wait();
    const b = g.wait();
    await vi.advanceTimersByTimeAsync(99);
    expect(await settled(a)).toBe(false);
    g.set(false);
    expect(await settled(a)).toBe(true);
    expect(await settled(b)).toBe(true);
  });

  it('lets a step go after the longest wait under steady load, so a training still moves', async () => {
    vi.useFakeTimers();
    const g = new GiveWay(100);
    g.set(true);
    const a = g.wait();
    await vi.advanceTimersByTimeAsync(100);
    expect(await settled(a)).toBe(true);
    // Still busy: the next step waits again.
    const b = g.wait();
    expect(await settled(b)).toBe(false);
    await vi.advanceTimersByTimeAsync(100);
    expect(await settled(b)).toBe(true);
  });
});
