import { describe, expect, it } from 'vitest';
import { appendKept, logQuery, type LogLine } from './log-follow.ts';

const line = (n: number): LogLine => ({ id: `${n}-0`, t: n, level: 'info', msg: `line ${n}`, version: 'abc' });

describe('following logs', () => {
  it('reads the newest lines first, then after the cursor, with the filters', () => {
    expect(logQuery({ level: '', version: '' }, null, 100)).toBe('limit=100');
    expect(logQuery({ level: 'warn', version: '0123456789ab' }, '17-3', 500)).toBe('limit=500&after=17-3&level=warn&version=0123456789ab');
  });

  it('appends new lines once each and keeps only the newest', () => {
    const kept = [line(1), line(2)];
    expect(appendKept(kept, [line(2), line(3)]).map((l) => l.id)).toEqual(['1-0', '2-0', '3-0']);
    const many = Array.from({ length: 10 }, (_, i) => line(i + 3));
    const out = appendKept(kept, many, 5);
    expect(out.map((l) => l.t)).toEqual([8, 9, 10, 11, 12]);
  });
});
