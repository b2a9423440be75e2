import { describe, expect, it } from 'vitest';
import { parseExposition, sampleValue } from '../../test/harness/exposition.ts';
import { escapeLabelValue, formatExposition, formatValue } from './exposition.ts';

describe('escapeLabelValue', () => {
  it('escapes backslash, double quote and newline, and nothing else', () => {
    expect(escapeLabelValue('a\\b')).toBe('a\\\\b');
    expect(escapeLabelValue('say "hi"')).toBe('say \\"hi\\"');
    expect(escapeLabelValue('two\nlines')).toBe('two\\nlines');
    expect(escapeLabelValue("tab\t, 'single', {braces}=")).toBe("tab\t, 'single', {braces}=");
    // The backslash is escaped once, before the quote's own escape is added.
    expect(escapeLabelValue('\\"')).toBe('\\\\\\"');
  });
});

describe('formatValue', () => {
  it('writes infinities and NaN as Prometheus reads them', () => {
    expect([Infinity, -Infinity, NaN, 0, 1.5, 1e21].map(formatValue)).toEqual(['+Inf', '-Inf', 'NaN', '0', '1.5', '1e+21']);
  });
});

describe('formatExposition', () => {
  it('writes HELP and TYPE before the samples, labels in order, and ends with a newline', () => {
    const text = formatExposition([
      { name: 'jobs_total', help: 'Jobs.\nAll of them, C:\\ too.', type: 'counter', samples: [{ labels: { fn: 'echo', mode: 'sync' }, value: 3 }] },
      { name: 'up', help: 'Up.', type: 'gauge', samples: [{ labels: {}, value: 1 }] },
      { name: 'empty', help: 'No series yet.', type: 'gauge', samples: [] },
    ]);
    expect(text).toBe(
      [
        '# HELP jobs_total Jobs.\\nAll of them, C:\\\\ too.',
        '# TYPE jobs_total counter',
        'jobs_total{fn="echo",mode="sync"} 3',
        '# HELP up Up.',
        '# TYPE up gauge',
        'up 1',
        '# HELP empty No series yet.',
        '# TYPE empty gauge',
        '',
      ].join('\n'),
    );
  });

  it('round-trips awkward label values through a strict parser', () => {
    const nasty = 'C:\\path "quoted"\nnext line, a=b}';
    const text = formatExposition([{ name: 'x', help: 'x', type: 'gauge', samples: [{ labels: { v: nasty, w: '' }, value: -2 }] }]);
    const parsed = parseExposition(text);
    expect(parsed.samples).toEqual([{ name: 'x', labels: { v: nasty, w: '' }, value: -2 }]);
    expect(sampleValue(parsed, 'x', { v: nasty, w: '' })).toBe(-2);
  });

  it('refuses invalid metric and label names and a family written twice', () => {
    const g = (name: string, labels = {}) => ({ name, help: 'h', type: 'gauge' as const, samples: [{ labels, value: 1 }] });
    expect(() => formatExposition([g('2bad')])).toThrow(/metric name/);
    expect(() => formatExposition([g('ok', { 'bad-label': 'v' })])).toThrow(/label name/);
    expect(() => formatExposition([g('ok', { __reserved: 'v' })])).toThrow(/label name/);
    expect(() => formatExposition([g('ok'), g('ok')])).toThrow(/twice/);
  });
});

describe('the strict parser the tests check scrapes with', () => {
  it('rejects what Prometheus would refuse', () => {
    const typed = '# TYPE x gauge\n';
    expect(() => parseExposition(`${typed}x 1`)).toThrow(/newline/);
    expect(() => parseExposition('x 1\n')).toThrow(/no # TYPE/);
    expect(() => parseExposition(`${typed}x{a="1"} one\n`)).toThrow(/name\{labels\} value/);
    expect(() => parseExposition(`${typed}x{a="un"escaped"} 1\n`)).toThrow(/name\{labels\} value/);
    expect(() => parseExposition(`${typed}x{a=1} 1\n`)).toThrow(/name\{labels\} value/);
    expect(() => parseExposition(`${typed}x{a="1"} 1\nx{a="1"} 2\n`)).toThrow(/twice/);
    expect(() => parseExposition(`${typed}${typed}`)).toThrow(/second # TYPE/);
    expect(() => parseExposition('# TYPE h histogram\nh_total 1\n')).toThrow(/no # TYPE/);
    expect(parseExposition('# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 3.5\nh_count 2\n').samples).toHaveLength(3);
  });
});
