import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PayloadCipher, TrainingStore, newKeyringSpec, parseKeyring, type TrainingView } from '../../queue/cluster/index.ts';
import { keys } from '../../queue/keys.ts';
import { startTestRedis, type TestRedis } from '../../test/harness/redis.ts';
import { TrainedVersions } from './trained-versions.ts';

const ring = parseKeyring(newKeyringSpec('t'));
if (!ring.ok) throw new Error(ring.error);
const cipher = new PayloadCipher(ring.ring);

let server: TestRedis;
let conn: Redis;
let seq = 0;

beforeAll(async () => {
  server = await startTestRedis();
  conn = new Redis(server.url, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  conn?.disconnect();
  await server?.destroy();
});

/** A fresh prefix with a store holding one queued training, and TrainedVersions telling `told` of ends; the registry and artifacts must not be reached. */
async function setup() {
  const prefix = `tv${++seq}`;
  const store = new TrainingStore(conn, prefix, cipher);
  const id = `t${seq}`;
  await store.create({ id, function: 'f', namespace: 'default', version: 'v1', hash: 'h', then: 'none', primaryMetric: 'mse', device: 'cpu', dataset: { hash: 'd', records: 1, bytes: 2, chunks: 1, source: 'upload', heldOut: 0.2 }, createdAt: Date.now(), createdBy: 'me' });
  const told: TrainingView[] = [];
  const unreachable = () => Promise.reject(new Error('not reached for a training that ended'));
  const versions = new TrainedVersions({ store, artifacts: { get: unreachable }, registry: { deploy: unreachable }, keepS: 60, onEnd: (v) => told.push(v) });
  return { prefix, store, id, told, versions };
}

describe('TrainedVersions: every end is told once', () => {
  it('tells of a training that failed on its worker, with its error, once however often its finish job runs', async () => {
    const s = await setup();
    await s.store.end(s.id, 'failed', { error: { code: 'TRAINING_TIMEOUT', message: 'past 10 s', retryable: false }, keepS: 60 });
    await s.versions.finish(s.id);
    await s.versions.finish(s.id);
    expect(s.told.map((v) => [v.id, v.status, v.error?.code])).toEqual([[s.id, 'failed', 'TRAINING_TIMEOUT']]);
  });

  it('tells of a training cancelled while queued or running', async () => {
    const s = await setup();
    await s.store.end(s.id, 'cancelled', { error: { code: 'TRAINING_CANCELLED', message: 'cancelled by me', retryable: false }, keepS: 60 });
    await s.versions.finish(s.id);
    expect(s.told.map((v) => [v.status, v.error?.code])).toEqual([['cancelled', 'TRAINING_CANCELLED']]);
  });

  it('ends a training cancelled while its files waited, and tells of it once', async () => {
    const s = await setup();
    await s.store.trained(s.id, 'default', { files: [], metrics: { mse: 0 } });
    await s.store.requestCancel(s.id, 'me');
    await s.versions.finish(s.id);
    await s.versions.finish(s.id);
    expect((await s.store.get(s.id))!.status).toBe('cancelled');
    expect(s.told.map((v) => [v.status, v.error?.message])).toEqual([['cancelled', 'cancelled by me']]);
  });

  it('tells nothing of a training still running, nor of one whose record is gone (and leaves no key for it)', async () => {
    const s = await setup();
    await s.store.running(s.id, 'w1', 1);
    await s.versions.finish(s.id);
    await s.versions.finish('gone');
    expect(s.told).toEqual([]);
    expect(await s.store.claimEndRecord('gone')).toBe(false);
    expect(await conn.exists(keys.training(s.prefix, 'gone'))).toBe(0);
  });
});
