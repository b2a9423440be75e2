import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { redisForFile } from '../../test/harness/redis-for-file.ts';
import { eventually } from '../../test/harness/eventually.ts';
import { PayloadCipher, newKeyringSpec, parseKeyring } from '../cluster/index.ts';
import { keys } from '../keys.ts';
import { ChunkReader } from './chunk-reader.ts';
import { chunkWriter } from './chunk-writer.ts';

const r = redisForFile();
const ring = parseKeyring(newKeyringSpec('t'));
const cipher = new PayloadCipher(ring.ok ? ring.ring : (undefined as never));
let n = 0;

/** A reader on its own connection and prefix, as a router builds it. */
function reader() {
  const prefix = `cs${++n}`;
  const conn = new Redis(r.server.url);
  const chunks = new ChunkReader(conn, r.conn, { prefix, routerId: 'r1', cipher, blockMs: 10_000 });
  return { prefix, conn, chunks };
}

describe('chunk streams', () => {
  it('one connection follows many calls: each gets its own chunks, in order, as they are written', async () => {
    const { prefix, conn, chunks } = reader();
    const calls = Array.from({ length: 40 }, (_, i) => `fn.abcdefgh${String(i).padStart(2, '0')}`);
    const got = new Map(calls.map((id) => [id, [] as unknown[]]));
    const followed = calls.map((id) => chunks.follow(id, (v) => got.get(id)!.push(v)));
    const writers = calls.map((id) => chunkWriter(r.conn, prefix, cipher, id, 'team-a'));
    for (let k = 0; k < 3; k++) writers.forEach((w, i) => w.write(JSON.stringify({ call: i, k })));
    // Delivered by the blocking read, before any call's end: a new call woke it (the block is 10 s).
    await eventually(() => [...got.values()].every((g) => g.length === 3), 'every chunk delivered while the calls run', 5_000);
    calls.forEach((id, i) => expect(got.get(id)).toEqual([0, 1, 2].map((k) => ({ call: i, k }))));
    // Sealed in Redis, never in the clear.
    const entries = (await r.conn.xrange(keys.chunks(prefix, calls[0]!), '-', '+')) as [string, string[]][];
    expect(entries).toHaveLength(3);
    expect(entries[0]![1][1]).toContain('"$sealed"');
    expect(entries[0]![1][1]).not.toContain('"call"');
    // Forty calls, one blocked reader.
    const blocked = ((await r.conn.client('LIST')) as string).split('\n').filter((l) => /cmd=xread\b/.test(l));
    expect(blocked).toHaveLength(1);
    await Promise.all(followed.map((f) => f.end()));
    await chunks.close();
    conn.disconnect();
  });

  it('the last read delivers what the loop had not, nothing twice, and deletes the stream', async () => {
    const { prefix, conn, chunks } = reader();
    const id = 'fn.zzzzzzzz01';
    const got: unknown[] = [];
    const f = chunks.follow(id, (v) => got.push(v));
    const w = chunkWriter(r.conn, prefix, cipher, id, 'team-a');
    w.write('"a"');
    await eventually(() => got.length === 1, 'the first chunk');
    w.write('"b"');
    w.write('"c"');
    await w.settled();
    await f.end();
    expect(got).toEqual(['a', 'b', 'c']);
    expect(await r.conn.exists(keys.chunks(prefix, id))).toBe(0);
    await chunks.close();
    conn.disconnect();
  });

  it('a call its client abandoned: the writer hears it with its next chunk and writes no more', async () => {
    const { prefix, conn, chunks } = reader();
    const id = 'fn.zzzzzzzz02';
    const f = chunks.follow(id, () => undefined);
    let abandoned = 0;
    const w = chunkWriter(r.conn, prefix, cipher, id, 'team-a', () => abandoned++);
    w.write('"a"');
    await w.settled();
    expect(w.abandoned).toBe(false);
    f.stop(true);
    w.write('"b"');
    await w.settled();
    expect(w.abandoned).toBe(true);
    expect(abandoned).toBe(1);
    w.write('"c"');
    await w.settled();
    expect(await r.conn.exists(keys.chunks(prefix, id))).toBe(0);
    expect(abandoned).toBe(1);
    await chunks.close();
    conn.disconnect();
  });
});
