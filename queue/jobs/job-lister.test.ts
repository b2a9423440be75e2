import { describe, expect, it } from 'vitest';
import { newJobId, timeOfJobId } from '../cluster/index.ts';
import { decodeCursor, encodeCursor } from './job-lister.ts';

describe('job listing cursors', () => {
  it('come back as they went out, and nothing else reads as one', () => {
    const c = { at: 1_765_000_000_123, id: 'echo-b.mxc21aca260ab2e4c6bd' };
    expect(decodeCursor(encodeCursor(c))).toEqual(c);
    for (const bad of ['', 'not-a-cursor', Buffer.from('12:ECHO.x').toString('base64url'), Buffer.from('x:echo.abc').toString('base64url')]) {
      expect(decodeCursor(bad)).toBeUndefined();
    }
  });

  it('order unfinished jobs by the time their id carries', () => {
    const before = Date.now();
    const t = timeOfJobId(newJobId('echo'))!;
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(Date.now());
    expect(timeOfJobId('not an id')).toBeUndefined();
  });
});
