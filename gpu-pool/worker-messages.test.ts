import { describe, expect, it } from 'vitest';
import { beatEveryMs } from './worker-messages.ts';

describe('beatEveryMs', () => {
  it('beats at least four times within the shortest hang limit the config takes, so jitter is not a hang', () => {
    for (const limit of [1000, 1500, 2000, 3999]) expect(limit / beatEveryMs(limit)).toBeGreaterThanOrEqual(4);
  });

  it('beats once a second for the usual limits', () => {
    expect(beatEveryMs(60_000)).toBe(1000);
    expect(beatEveryMs(4000)).toBe(1000);
  });
});
