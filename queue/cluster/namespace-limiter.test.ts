import { describe, expect, it } from 'vitest';
import { redisForFile } from '../../test/harness/redis-for-file.ts';
import { itemId } from './job-ids.ts';
import { keys } from '../keys.ts';
import { NamespaceLimiter, type NamespaceLimits } from './namespace-limiter.ts';

const r = redisForFile();

/** A limiter on its own prefix with a clock the test turns. */
function limiter(prefix: string, limits: NamespaceLimits) {
  const clock = { now: 1_000_000 };
  return { l: new NamespaceLimiter(r.conn, prefix, () => limits, 60_000, () => clock.now), clock };
}

const items = (job: string, n: number) => Array.from({ length: n }, (_, i) => itemId(job, i));

describe('NamespaceLimiter (real Redis): limits count inputs', () => {
  it('a bulk job larger than the rate admits at all is refused at once, naming inputs, and takes nothing', async () => {
    const { l } = limiter('big', { rate: 5, concurrency: 0 });
    await expect(l.admit('ns', items('fn.aaaaaaaa', 20))).rejects.toMatchObject({ code: 'INPUTS_OVER_LIMIT', status: 400, extra: { field: 'inputs', limit: 5 } });
    await l.admit('ns', items('fn.bbbbbbbb', 5)); // the whole bucket is still there
  });

  it('a bulk job takes one token per input, all or none; a refusal says when the tokens are back', async () => {
    const { l, clock } = limiter('bucket', { rate: 5, concurrency: 0 });
    await l.admit('ns', items('fn.aaaaaaaa', 4));
    // One token left: a job of 2 is refused whole (no half job), and one of 1 still fits.
    const refused = await l.admit('ns', items('fn.bbbbbbbb', 2)).then(() => undefined, (e: unknown) => e);
    expect(refused).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: 1 });
    await l.admit('ns', 'fn.cccccccc');
    await expect(l.admit('ns', 'fn.dddddddd')).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    // Tokens come back at the rate: 400 ms later, two; the bucket never holds more than `rate`.
    clock.now += 400;
    await l.admit('ns', items('fn.eeeeeeee', 2));
    clock.now += 60_000;
    await expect(l.admit('ns', items('fn.ffffffff', 6))).rejects.toMatchObject({ code: 'INPUTS_OVER_LIMIT' });
    await l.admit('ns', items('fn.gggggggg', 5));
    await expect(l.admit('ns', 'fn.hhhhhhhh')).rejects.toMatchObject({ code: 'RATE_LIMITED' });
  });

  it('burst sets the bucket: a larger bulk job fits, and waits its inputs out at the rate', async () => {
    const { l, clock } = limiter('burst', { rate: 1, burst: 10, concurrency: 0 });
    await l.admit('ns', items('fn.aaaaaaaa', 10));
    await expect(l.admit('ns', items('fn.bbbbbbbb', 3))).rejects.toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: 3 });
    clock.now += 3000;
    await l.admit('ns', items('fn.bbbbbbbb', 3));
  });

  it('grouped calls are admitted as far as the tokens go', async () => {
    const { l } = limiter('grouped', { rate: 3, concurrency: 0 });
    const { admitted, refusal } = await l.admitMany('ns', items('fn.aaaaaaaa', 5));
    expect(admitted).toBe(3);
    expect(refusal).toMatchObject({ code: 'RATE_LIMITED' });
  });

  it('a bulk job holds a concurrency slot per input until its items are released', async () => {
    const { l } = limiter('conc', { rate: 0, concurrency: 5 });
    await expect(l.admit('ns', items('fn.aaaaaaaa', 6))).rejects.toMatchObject({ code: 'INPUTS_OVER_LIMIT', extra: { field: 'inputs', limit: 5, limitOf: 'concurrency' } });
    await l.admit('ns', items('fn.bbbbbbbb', 4));
    expect(await r.conn.zcard(keys.inflight('conc', 'ns'))).toBe(4);
    await expect(l.admit('ns', items('fn.cccccccc', 2))).rejects.toMatchObject({ code: 'CONCURRENCY_QUOTA_EXCEEDED' });
    expect(await r.conn.zcard(keys.inflight('conc', 'ns'))).toBe(4); // the refused job took no slot
    await l.release('ns', items('fn.bbbbbbbb', 4));
    await l.admit('ns', items('fn.cccccccc', 2));
  });

  it('shadow copies take concurrency slots but no rate tokens', async () => {
    const { l } = limiter('shadow', { rate: 1, concurrency: 2 });
    expect(await l.admitMany('ns', ['fn.aaaaaaaa.0', 'fn.aaaaaaaa.1', 'fn.aaaaaaaa.2'], { rate: false })).toMatchObject({ admitted: 2, refusal: { code: 'CONCURRENCY_QUOTA_EXCEEDED' } });
    await expect(l.admit('ns', 'fn.bbbbbbbb')).rejects.toMatchObject({ code: 'CONCURRENCY_QUOTA_EXCEEDED' });
    await l.release('ns', ['fn.aaaaaaaa.0']);
    await l.admit('ns', 'fn.bbbbbbbb'); // its rate token was never taken by the copies
  });
});
