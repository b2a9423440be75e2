import { describe, expect, it } from 'vitest';
import { chartColumns, pointsOf, recentFigures, type Minute } from './rollups.ts';
import { millis, perSecond, share, size } from './figures.ts';

const T0 = 1_700_000_040_000; // a whole minute
const minute = (i: number, m: Partial<Minute> = {}): Minute => ({ t: T0 + i * 60_000, calls: 0, clientErrors: 0, serverErrors: 0, inputs: 0, p50: null, p95: null, ...m });

describe('rollups for the console', () => {
  it('chart a past minute over 60 s and the current one over the seconds it has had', () => {
    const now = T0 + 60_000 + 15_000; // 15 s into the second minute
    const c = chartColumns([minute(0, { calls: 120, p50: 0.0123, p95: 0.05 }), minute(1, { calls: 30, serverErrors: 2, clientErrors: 1 })], now);
    expect(c.x).toEqual([T0 / 1000, T0 / 1000 + 60]);
    expect(c.perSecond).toEqual([2, 2]);
    expect(c.serverErrors).toEqual([0, 2]);
    expect(c.clientErrors).toEqual([0, 1]);
    // Milliseconds, and a gap (null) where no synchronous call was answered.
    expect(c.p50Ms).toEqual([12.3, null]);
    expect(c.p95Ms).toEqual([50, null]);
    expect(pointsOf(c.perSecond)).toBe(2);
    expect(pointsOf(c.p95Ms)).toBe(1);
    expect(pointsOf(c.serverErrors)).toBe(1);
  });

  it('sum a window into rate, 5xx share and the newest p95', () => {
    const now = T0 + 4 * 60_000 + 30_000; // 30 s into the fifth minute: 270 s in all
    const f = recentFigures([minute(0, { calls: 100, serverErrors: 5, clientErrors: 20, p95: 0.2 }), minute(1), minute(2, { calls: 35, p95: 0.08 }), minute(3), minute(4)], now);
    expect(f.calls).toBe(135);
    expect(f.perSecond).toBeCloseTo(135 / 270);
    expect(f.errorRate).toBeCloseTo(5 / 135);
    expect(f.p95).toBe(0.08);
  });

  it('say nothing of errors or latency without calls', () => {
    expect(recentFigures([minute(0), minute(1)], T0 + 120_000)).toEqual({ calls: 0, perSecond: 0, errorRate: null, p95: null });
    expect(recentFigures([], T0)).toEqual({ calls: 0, perSecond: 0, errorRate: null, p95: null });
  });

  it('write figures', () => {
    expect([perSecond(0), perSecond(0.001), perSecond(0.5), perSecond(12.4)]).toEqual(['0', '<0.01', '0.50', '12']);
    expect([share(null), share(0.0371)]).toEqual(['—', '3.7%']);
    expect([millis(null), millis(0.0456)]).toEqual(['—', '46 ms']);
    expect([size(2048), size(3 * 1048576)]).toEqual(['2.0 KiB', '3.0 MiB']);
  });
});
