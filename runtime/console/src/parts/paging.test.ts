import { describe, expect, it } from 'vitest';
import { pageOf } from './paging.ts';

const names = Array.from({ length: 200 }, (_, i) => `fn-${String(i).padStart(3, '0')}`);
const all = () => true;

describe('pages of the Functions list', () => {
  it('cuts 200 items into pages of 25', () => {
    const first = pageOf(names, all, 0, 25);
    expect(first).toMatchObject({ page: 0, pages: 8, matching: 200 });
    expect(first.rows).toEqual(names.slice(0, 25));
    expect(pageOf(names, all, 7, 25).rows).toEqual(names.slice(175));
  });

  it('stays on a page that exists when the filter leaves fewer', () => {
    const p = pageOf(names, (n) => n.startsWith('fn-01'), 5, 25);
    expect(p).toMatchObject({ page: 0, pages: 1, matching: 10 });
    expect(pageOf(names, () => false, 3, 25)).toEqual({ rows: [], page: 0, pages: 1, matching: 0 });
  });
});
