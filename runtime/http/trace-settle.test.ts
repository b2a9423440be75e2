import { describe, expect, it } from 'vitest';
import { TRACE_SETTLE_MS, traceOnItsWay } from './trace-settle.ts';

const NOW = 1_000_000;
/** A store whose oldest kept recent trace was written at `oldest` (undefined: it keeps none). */
const store = (oldest: number | undefined) => ({ oldestKept: async () => oldest });

describe('traceOnItsWay', () => {
  it('a queued or running job: its trace may still come', async () => {
    expect(await traceOnItsWay(store(NOW), { traceId: 't', endedAt: null }, NOW)).toBe(true);
  });

  it('ended moments ago, nothing written since its end pushed out: still coming', async () => {
    expect(await traceOnItsWay(store(NOW - 10_000), { traceId: 't', endedAt: NOW - 1_000 }, NOW)).toBe(true);
    expect(await traceOnItsWay(store(undefined), { traceId: 't', endedAt: NOW - 1_000 }, NOW)).toBe(true);
  });

  it('ended moments ago, but traces written after its end were already trimmed: it was too', async () => {
    expect(await traceOnItsWay(store(NOW - 500), { traceId: 't', endedAt: NOW - 1_000 }, NOW)).toBe(false);
  });

  it('ended longer ago than the settle time, a tombstone, no trace id or no store: not coming', async () => {
    expect(await traceOnItsWay(store(undefined), { traceId: 't', endedAt: NOW - TRACE_SETTLE_MS }, NOW)).toBe(false);
    expect(await traceOnItsWay(store(undefined), { traceId: 't' }, NOW)).toBe(false);
    expect(await traceOnItsWay(store(undefined), { endedAt: null }, NOW)).toBe(false);
    expect(await traceOnItsWay(undefined, { traceId: 't', endedAt: null }, NOW)).toBe(false);
  });
});
