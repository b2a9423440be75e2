import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AutoglmError, type TrainingProgress } from '../../functions/sdk/index.ts';
import { startTestRedis, type TestRedis } from '../../test/harness/redis.ts';
import { eventually } from '../../test/harness/eventually.ts';
import { PayloadCipher, TrainingStore, newKeyringSpec, parseKeyring, type TrainedFiles } from '../cluster/index.ts';
import { TRAINING_FINISH_QUEUE, trainingQueue } from './names.ts';
import { QueueSet } from './queue-set.ts';
import { TrainingConsumer, type TrainingRunner } from './training-consumer.ts';
import { TrainingJobs } from './training-jobs.ts';

const ring = parseKeyring(newKeyringSpec('t'));
if (!ring.ok) throw new Error(ring.error);
const cipher = new PayloadCipher(ring.ring);

let server: TestRedis;
let conn: Redis;
let sub: Redis;
let seq = 0;
const open: TrainingConsumer[] = [];

beforeAll(async () => {
  server = await startTestRedis();
  conn = new Redis(server.url, { maxRetriesPerRequest: null });
  sub = new Redis(server.url, { maxRetriesPerRequest: null });
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  conn?.disconnect();
  sub?.disconnect();
  await server?.destroy();
});

const FILES: TrainedFiles = { files: [{ path: 'artifacts/model.json', data: Buffer.from('{"slope":3}') }], metrics: { mse: 0.1 }, baseline: { mse: 1 } };

/** A fresh prefix with its store, jobs and a consumer running `run`; `add` queues a training with `attempts`. */
async function setup(run: TrainingRunner, serves?: (v: { namespace: string }) => boolean) {
  const prefix = `tc${++seq}`;
  const store = new TrainingStore(conn, prefix, cipher);
  const queues = new QueueSet(conn, prefix);
  const jobs = new TrainingJobs(queues);
  const start = async () => {
    const c = await TrainingConsumer.open({ kind: 'cpu', connection: conn, subscriber: sub, prefix, store, jobs, workerId: 'w1', run, progressEveryMs: 200, ...(serves ? { serves } : {}) });
    open.push(c);
    return c;
  };
  const add = async (attempts = 1, id = `t${++seq}`) => {
    await store.create({ id, function: 'f', namespace: 'default', version: 'v1', hash: 'h', then: 'none', primaryMetric: 'mse', device: 'cpu', dataset: { hash: 'd', records: 1, bytes: 2, chunks: 1, source: 'upload', heldOut: 0.2 }, createdAt: Date.now(), createdBy: 'me' });
    await jobs.add(id, 'cpu', attempts);
    return id;
  };
  const status = (id: string, want: string) =>
    eventually(async () => {
      const v = await store.get(id);
      return v?.status === want && v;
    }, `training ${id} to be ${want}`);
  const job = (id: string) => queues.named(trainingQueue('cpu')).getJob(id);
  /** The data of training `id`'s job on the finish queue (the router's recording step), if queued. */
  const finishJob = async (id: string) => (await queues.named(TRAINING_FINISH_QUEUE).getJob(id))?.data;
  /** Waits for BullMQ's state of training `id`'s job (it moves after the record is written). */
  const state = (id: string, want: RegExp) =>
    eventually(async () => {
      const j = await job(id);
      return want.test(await j!.getState()) && j!;
    }, `the job of training ${id} to be ${want}`);
  return { prefix, store, queues, start, add, status, job, state, finishJob };
}

/** A runner that waits for its signal, then rejects with its reason; `started` resolves per start. */
function stopping(): { run: TrainingRunner; runs: number[]; started: Promise<void> } {
  let began!: () => void;
  const out = { runs: [] as number[], started: new Promise<void>((r) => (began = r)) };
  const run: TrainingRunner = (_view, attempt, signal) => {
    out.runs.push(attempt);
    began();
    return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
  };
  return { ...out, run };
}

describe('TrainingConsumer', () => {
  it('marks a training running, writes its last progress, stores its files and queues the recording step', async () => {
    const seen: string[] = [];
    let s!: Awaited<ReturnType<typeof setup>>;
    s = await setup(async (view, attempt, _signal, progress) => {
      seen.push(`${(await s.store.get(view.id))!.status}@${attempt}`);
      for (let step = 1; step <= 50; step++) progress({ step, steps: 50 } satisfies TrainingProgress);
      return FILES;
    });
    await s.start();
    const id = await s.add();
    const v = await s.status(id, 'finishing');
    expect(seen).toEqual(['running@1']);
    expect(v.worker).toBe('w1');
    // Throttled, but the last report is the one that stays.
    expect(v.progress).toMatchObject({ step: 50, steps: 50 });
    expect((await s.job(id))?.progress).toEqual({ step: 50, steps: 50 });
    expect(await s.store.trainedFiles(id)).toEqual(FILES);
    expect(await s.finishJob(id)).toEqual({ trainingId: id });
  });

  it('retries a retryable error while attempts remain, and ends a training failed at once on one that is not', async () => {
    const runs: string[] = [];
    const s = await setup(async (view, attempt) => {
      runs.push(`${view.id}#${attempt}`);
      if (view.id.endsWith('busy') && attempt === 1) throw new AutoglmError('BUSY', 'try later', { retryable: true });
      if (view.id.endsWith('bug')) throw new AutoglmError('TRAINING_METRIC_MISSING', 'no mse', { extra: { field: 'metrics.mse' } });
      return FILES;
    });
    await s.start();
    const bug = await s.add(3, `${s.prefix}-bug`);
    const failed = await s.status(bug, 'failed');
    expect(failed.error).toEqual({ code: 'TRAINING_METRIC_MISSING', message: 'no mse', retryable: false, extra: { field: 'metrics.mse' } });
    expect(runs).toEqual([`${bug}#1`]);
    // Its end goes to a router too, to be recorded (audited) there; queued before the job fails.
    await s.state(bug, /^failed$/);
    expect(await s.finishJob(bug)).toEqual({ trainingId: bug });
    const busy = await s.add(2, `${s.prefix}-busy`);
    // BullMQ's backoff (5 s) before the second attempt.
    await s.status(busy, 'finishing');
    expect(runs.filter((r) => r.startsWith(busy))).toEqual([`${busy}#1`, `${busy}#2`]);
  }, 20_000);

  it('ends the last attempt of a retryable error failed, with its record', async () => {
    const s = await setup(async () => {
      throw new AutoglmError('TRAINING_PROCESS_LOST', 'killed', { retryable: true });
    });
    await s.start();
    const id = await s.add(1);
    expect((await s.status(id, 'failed')).error).toMatchObject({ code: 'TRAINING_PROCESS_LOST', retryable: true });
    await s.state(id, /^failed$/);
    expect(await s.finishJob(id)).toEqual({ trainingId: id });
  });

  it('stops a running training on a cancel and ends it cancelled, without a retry', async () => {
    const r = stopping();
    const s = await setup(r.run);
    await s.start();
    const id = await s.add(3);
    await r.started;
    expect(await s.store.requestCancel(id, 'me')).toBe(true);
    const v = await s.status(id, 'cancelled');
    expect(v.error).toEqual({ code: 'TRAINING_CANCELLED', message: 'cancelled by me', retryable: false });
    await s.state(id, /^failed$/);
    expect(await s.finishJob(id)).toEqual({ trainingId: id });
    expect(r.runs).toEqual([1]);
  });

  it('skips a training cancelled or ended before it was taken', async () => {
    const runs: string[] = [];
    const s = await setup(async (view) => {
      runs.push(view.id);
      return FILES;
    });
    const cancelled = await s.add();
    await s.store.requestCancel(cancelled, 'me');
    const ended = await s.add();
    await s.store.end(ended, 'failed', { error: { code: 'X', message: 'gone', retryable: false }, keepS: 60 });
    const fine = await s.add();
    await s.start();
    await s.status(fine, 'finishing');
    expect(runs).toEqual([fine]);
    expect((await s.store.get(cancelled))!.status).toBe('cancelled');
    expect((await s.store.get(ended))!.error?.message).toBe('gone');
    // The cancel it ended is queued for a router to record; the one ended elsewhere is not queued again.
    await s.state(cancelled, /^failed$/);
    expect(await s.finishJob(cancelled)).toEqual({ trainingId: cancelled });
    expect(await s.finishJob(ended)).toBeUndefined();
  });

  it('hands a running training back to the queue on close, without spending an attempt', async () => {
    const r = stopping();
    const s = await setup(r.run);
    const first = await s.start();
    const id = await s.add(1);
    await r.started;
    await first.close();
    const job = await s.job(id);
    // Closed means handed back: no waiting for it.
    expect(await job!.getState()).toMatch(/^(waiting|delayed)$/);
    expect(job!.attemptsMade).toBe(0);
    expect((await s.store.get(id))!.status).toBe('running');
  });

  it('leaves a training of a namespace its pool does not serve to another worker, without spending an attempt', async () => {
    const runs: string[] = [];
    const s = await setup(
      async (view) => {
        runs.push(view.id);
        return FILES;
      },
      (v) => v.namespace !== 'default',
    );
    await s.start();
    const id = await s.add(1);
    const job = await s.state(id, /^delayed$/);
    expect(runs).toEqual([]);
    expect(job.attemptsMade).toBe(0);
    expect((await s.store.get(id))!.status).toBe('queued');
  });
});
