import { describe, expect, it } from 'vitest';
import { StoreFullError, isStoreFull, whenStored } from './store-full.ts';

// The replies as Redis 7 sends them (seen in test/integration/redis-full.test.ts): to a command,
// to a script's first write, and the transaction a refused command aborted (ioredis lists why).
const oom = () => new Error("OOM command not allowed when used memory > 'maxmemory'.");
const inScript = () => new Error("OOM command not allowed when used memory > 'maxmemory'. script: 8e3ee491e4f6, on @user_script:5.");
const execAbort = () => Object.assign(new Error('EXECABORT Transaction discarded because of previous errors.'), { previousErrors: [oom()] });

describe('isStoreFull', () => {
  it('knows an OOM reply to a command, to a script, in an aborted transaction, and behind a cause', () => {
    for (const err of [oom(), inScript(), execAbort(), new Error('submit failed', { cause: oom() }), new StoreFullError()]) expect(isStoreFull(err), err.message).toBe(true);
  });

  it('does not take other errors for it', () => {
    const others = [new Error('Connection is closed.'), new Error('NOSCRIPT No matching script'), Object.assign(new Error('EXECABORT Transaction discarded because of previous errors.'), { previousErrors: [new Error('WRONGTYPE')] }), 'OOM as a string', undefined];
    for (const err of others) expect(isStoreFull(err)).toBe(false);
  });

  it('ends on errors that refer to each other', () => {
    const a = Object.assign(new Error('EXECABORT Transaction discarded because of previous errors.'), { previousErrors: [] as Error[] });
    const b = new Error('Connection is closed.', { cause: a });
    a.previousErrors.push(a, b);
    expect(isStoreFull(b)).toBe(false);
    a.previousErrors.push(oom());
    expect(isStoreFull(b)).toBe(true);
  });
});

describe('whenStored', () => {
  it('runs the write again while Redis refuses it for want of memory, telling once, until it goes through', async () => {
    let calls = 0;
    const told: unknown[] = [];
    const value = await whenStored(async () => {
      if (++calls < 3) throw oom();
      return 'stored';
    }, (err) => told.push(err));
    expect(value).toBe('stored');
    expect(calls).toBe(3);
    expect(told).toHaveLength(1);
  });

  it('rejects at once with any other error', async () => {
    let calls = 0;
    const gone = new Error('Connection is closed.');
    await expect(whenStored(async () => (++calls, Promise.reject(gone)))).rejects.toBe(gone);
    expect(calls).toBe(1);
  });
});
