import { describe, expect, it } from 'vitest';
import { spanTree, waterfallText, type TraceSpan } from './trace-waterfall.ts';

const span = (spanId: string, name: string, start: number, durationMs: number, parentId?: string, status = 'unset'): TraceSpan => ({
  spanId,
  ...(parentId ? { parentId } : {}),
  name,
  service: name.startsWith('invoke') ? 'autoglm-router' : 'autoglm-worker',
  start,
  durationMs,
  status,
});

// Out of order, as the store may give spans written by two processes; the caller's span 'c0' is not in the trace.
const spans = [
  span('h', 'handle echo', 1006, 2, 'w', 'error'),
  span('w', 'execute echo', 1004, 5, 'r'),
  span('q', 'queue wait', 1001, 3, 'r'),
  span('r', 'invoke echo', 1000, 10, 'c0'),
  span('b', 'batch', 1004, 2, 'w'),
];

describe('spanTree', () => {
  it('puts each span under its parent, children by start, and a span whose parent is missing at the root', () => {
    expect(spanTree(spans).map((r) => `${r.depth}:${r.span.name}`)).toEqual(['0:invoke echo', '1:queue wait', '1:execute echo', '2:batch', '2:handle echo']);
  });
});

describe('waterfallText', () => {
  it('indents by depth and places each bar at its offset, scaled to the trace', () => {
    const lines = waterfallText({ jobId: 'echo.x', traceId: 't1', spans }).split('\n');
    expect(lines[0]).toBe('trace t1  job echo.x  10.0 ms');
    const bar = (name: string) => /\|([ █]+)\|/.exec(lines.find((l) => l.trimStart().startsWith(name))!)![1]!;
    expect(bar('invoke echo')).toBe('█'.repeat(32));
    // 4 ms in of 10: 12 of 32 characters in; 5 ms long: 16 characters.
    expect(bar('execute echo')).toBe(' '.repeat(12) + '█'.repeat(16) + ' '.repeat(4));
    expect(lines.find((l) => l.includes('handle echo'))).toMatch(/^ {4}handle echo .* 6\.0 ms .*ERROR$/);
  });
});
