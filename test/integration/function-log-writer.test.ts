import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { FunctionLogWriter, PayloadCipher, newKeyringSpec, parseKeyring, readFunctionLogs, type FunctionLogLine } from '../../queue/cluster/index.ts';
import { redisForFile } from '../harness/redis-for-file.ts';

const redis = redisForFile();
const ring = parseKeyring(newKeyringSpec('t'));
const cipher = new PayloadCipher(ring.ok ? ring.ring : (undefined as never));

let n = 0;
/** A line of `fn` at `t` (default now). */
const line = (fn: string, msg: string, t = Date.now()): FunctionLogLine => ({ t, level: 'info', msg, fn, version: 'v1', device: 'cpu:0', source: 'log' });
const read = (prefix: string, fn: string, limit = 100) => readFunctionLogs(redis.conn, prefix, cipher, fn, { limit });

describe('function log writer', () => {
  it('writes lines sealed, in order, with the worker named; a reader pages forward from `next`', async () => {
    const prefix = `w${++n}`;
    const w = new FunctionLogWriter(redis.conn, prefix, cipher, { namespaceOf: () => 'default', worker: 'node-1' });
    for (let i = 0; i < 5; i++) expect(w.add(line('f', `line ${i}`))).toBe(true);
    await w.flush();
    const page = await read(prefix, 'f');
    expect(page.lines.map((l) => l.msg)).toEqual(['line 0', 'line 1', 'line 2', 'line 3', 'line 4']);
    expect(page.lines.every((l) => l.worker === 'node-1')).toBe(true);
    expect(JSON.stringify(await redis.conn.xrange(`${prefix}:logs:f`, '-', '+'))).not.toContain('line 0');
    w.add(line('f', 'line 5'));
    await w.flush();
    const next = await readFunctionLogs(redis.conn, prefix, cipher, 'f', { limit: 100, after: page.next! });
    expect(next.lines.map((l) => l.msg)).toEqual(['line 5']);
  });

  it('past the rate, lines of that second are dropped and counted in one line', async () => {
    const prefix = `w${++n}`;
    const w = new FunctionLogWriter(redis.conn, prefix, cipher, { namespaceOf: () => 'default', perSecond: 3 });
    const t = Math.floor(Date.now() / 1000) * 1000;
    const shipped = Array.from({ length: 10 }, (_, i) => w.add(line('f', `l${i}`, t + i)));
    expect(shipped).toEqual([true, true, true, false, false, false, false, false, false, false]);
    await w.flush();
    const { lines } = await read(prefix, 'f');
    expect(lines.map((l) => l.msg)).toEqual(['l0', 'l1', 'l2', '7 log lines dropped: 7 over 3 a second from this worker']);
    expect(lines[3]).toMatchObject({ source: 'platform', level: 'warn', fields: { dropped: 7 } });
  });

  it('while Redis has not taken the lines before, at most `backlog` wait: the rest are dropped and counted, and the worker keeps no more', async () => {
    const prefix = `w${++n}`;
    const w = new FunctionLogWriter(redis.conn, prefix, cipher, { namespaceOf: () => 'default', backlog: 5 });
    const admin = new Redis(redis.server.url);
    try {
      // Writes stall for a while, as in an outage or a stalled connection.
      await admin.call('CLIENT', 'PAUSE', '1500', 'WRITE');
      for (let i = 0; i < 5; i++) w.add(line('f', `before ${i}`));
      const stalled = w.flush();
      const later = Array.from({ length: 4 }, (_, i) => w.add(line('f', `during ${i}`)));
      expect(later).toEqual([false, false, false, false]);
      await stalled;
    } finally {
      admin.disconnect();
    }
    expect(w.add(line('f', 'after'))).toBe(true);
    await w.flush();
    const msgs = (await read(prefix, 'f')).lines.map((l) => l.msg);
    expect(msgs.filter((m) => m.startsWith('before'))).toHaveLength(5);
    expect(msgs.some((m) => m.startsWith('during'))).toBe(false);
    expect(msgs).toContain('after');
    expect(msgs.find((m) => m.includes('dropped'))).toMatch(/^4 log lines dropped: 4 while Redis had not taken the lines before them$/);
  });
});
