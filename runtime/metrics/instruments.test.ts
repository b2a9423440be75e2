import { describe, expect, it } from 'vitest';
import { parseExposition, sampleValue } from '../../test/harness/exposition.ts';
import { formatExposition } from './exposition.ts';
import { Counter, Histogram } from './instruments.ts';

describe('Counter', () => {
  it('keeps one series per label values, in label-name order', () => {
    const c = new Counter('calls_total', 'Calls.', ['fn', 'status']);
    c.inc({ status: '200', fn: 'echo' });
    c.inc({ fn: 'echo', status: '200' }, 2);
    c.inc({ fn: 'echo', status: '500' });
    expect(c.collect().samples).toEqual([
      { labels: { fn: 'echo', status: '200' }, value: 3 },
      { labels: { fn: 'echo', status: '500' }, value: 1 },
    ]);
    expect(formatExposition([c.collect()])).toContain('calls_total{fn="echo",status="200"} 3\n');
  });

  it('never goes down', () => {
    const c = new Counter('n_total', 'N.', []);
    expect(() => c.inc({}, -1)).toThrow(RangeError);
    expect(() => c.inc({}, NaN)).toThrow(RangeError);
    expect(c.collect().samples).toEqual([]);
  });

  it('refuses bad names when it is built', () => {
    expect(() => new Counter('bad name', 'h', [])).toThrow(TypeError);
    expect(() => new Counter('ok', 'h', ['bad-label'])).toThrow(TypeError);
  });
});

describe('Histogram', () => {
  it('writes cumulative buckets, +Inf equal to _count, and _sum', () => {
    const h = new Histogram('d_seconds', 'D.', ['route'], [0.1, 1, 10]);
    for (const v of [0.05, 0.1, 0.5, 2, 20, 30]) h.observe({ route: '/a' }, v);
    h.observe({ route: '/b' }, 0.2);
    const p = parseExposition(formatExposition([h.collect()]));
    expect(p.types.get('d_seconds')).toBe('histogram');
    const bucket = (route: string, le: string) => sampleValue(p, 'd_seconds_bucket', { route, le });
    // 0.1 falls in le="0.1": a bound is inclusive.
    expect(['0.1', '1', '10', '+Inf'].map((le) => bucket('/a', le))).toEqual([2, 3, 4, 6]);
    expect(sampleValue(p, 'd_seconds_count', { route: '/a' })).toBe(6);
    expect(bucket('/a', '+Inf')).toBe(sampleValue(p, 'd_seconds_count', { route: '/a' }));
    expect(sampleValue(p, 'd_seconds_sum', { route: '/a' })).toBeCloseTo(52.65, 10);
    expect(['0.1', '1', '10', '+Inf'].map((le) => bucket('/b', le))).toEqual([0, 1, 1, 1]);
    // Every series' buckets never decrease.
    for (const route of ['/a', '/b']) {
      const values = ['0.1', '1', '10', '+Inf'].map((le) => bucket(route, le));
      expect(values).toEqual([...values].sort((x, y) => x - y));
    }
  });

  it('refuses unsorted or infinite buckets and a label named le', () => {
    expect(() => new Histogram('h', 'h', [], [1, 0.5])).toThrow(/increasing/);
    expect(() => new Histogram('h', 'h', [], [1, 1])).toThrow(/increasing/);
    expect(() => new Histogram('h', 'h', [], [1, Infinity])).toThrow(/finite/);
    expect(() => new Histogram('h', 'h', ['le'])).toThrow(/reserved/);
  });
});
