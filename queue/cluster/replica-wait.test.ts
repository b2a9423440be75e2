import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../test/harness/eventually.ts';
import { startTestRedis, type TestRedis } from '../../test/harness/redis.ts';
import { ReplicaWait, ReplicaWaitFailedError, ReplicasBehindError } from './replica-wait.ts';

let master: TestRedis;
let replica: TestRedis;
let conn: Redis;
beforeAll(async () => {
  [master, replica] = await Promise.all([startTestRedis(), startTestRedis()]);
  conn = new Redis(master.url);
});
afterAll(async () => {
  conn?.disconnect();
  // SIGKILL first: a SIGTERMed master or replica may wait for its peer on the way out.
  await replica?.kill();
  await master?.kill();
  await replica?.destroy();
  await master?.destroy();
});

describe('ReplicaWait (real master and replica)', () => {
  it('refuses a write no replica holds, naming how many acknowledged', async () => {
    await conn.set('k', '1');
    const err = await new ReplicaWait(1, 50).confirm(conn).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReplicasBehindError);
    expect(err).toMatchObject({ code: 'QUEUE_UNAVAILABLE', status: 503, extra: { replicasWanted: 1, replicasAcknowledged: 0 } });
    expect((err as Error).message).toMatch(/only 0 of 1 Redis replica/);
  });

  it('confirms writes once a replica holds them, concurrent ones sharing WAITs', async () => {
    const r = new Redis(replica.url);
    try {
      // A full sync at once, not after the default 5 s wait for more replicas.
      await conn.config('SET', 'repl-diskless-sync-delay', '0');
      await r.replicaof('127.0.0.1', String(master.port));
      await eventually(async () => (await r.info('replication')).includes('master_link_status:up'), 'the replica to sync');
      const wait = new ReplicaWait(1, 5000);
      const writes = Array.from({ length: 50 }, async (_, i) => {
        await conn.set(`k${i}`, String(i));
        await wait.confirm(conn);
        // Confirmed: the replica has it now, not eventually.
        return r.get(`k${i}`);
      });
      expect(await Promise.all(writes)).toEqual(Array.from({ length: 50 }, (_, i) => String(i)));
      // With no replica required it sends nothing.
      await ReplicaWait.none.confirm(conn);

      // A WAIT on a connection re-established since the write confirms nothing of it (after a
      // failover it would answer at once, from the new master): refused, replica or not.
      const mark = wait.mark(conn);
      await conn.set('after', 'x');
      const reconnected = new Promise((res) => conn.once('ready', res));
      conn.disconnect(true);
      await reconnected;
      await expect(wait.confirm(conn, mark)).rejects.toBeInstanceOf(ReplicaWaitFailedError);
      await wait.confirm(conn, wait.mark(conn));
    } finally {
      r.disconnect();
    }
  });
});
