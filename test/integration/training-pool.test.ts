/**
 * Trainings on a real pool: a worker takes a training from `train.cpu`, runs the function's
 * `train` in a niced process of its own (never the worker), streams the dataset to it, stores the
 * files it wrote and queues the recording step, which the platform's router turns into a version;
 * a cancel stops it and frees the slot; a training past its manifest's timeout fails; a worker
 * that stops or dies hands its training on. The trainings are made as a router would (dataset
 * chunks, the record, the job) through `TrainingStore` and `TrainingJobs`.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FunctionCatalog, PayloadCipher, TrainingStore, newKeyringSpec, parseKeyring, type TrainingView } from '../../queue/cluster/index.ts';
import { QueueSet, TRAINING_FINISH_QUEUE, TrainingJobs } from '../../queue/jobs/index.ts';
import { eventually, type TestPlatform } from '../harness/platform.ts';
import { QUICK_DEATH, functionSet, poolSuite, workers } from './pool-helpers.ts';
import { existsSync, writeFileSync } from 'node:fs';

const suite = poolSuite('training');
const KEYS = newKeyringSpec('test');
const ring = parseKeyring(KEYS);
if (!ring.ok) throw new Error(ring.error);
const cipher = new PayloadCipher(ring.ring);

/** y = 3x (+ a little, the same every run): a least-squares slope of about 3. */
const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ x: i + 1, y: 3 * (i + 1) + ((i % 5) - 2) * 0.01 }));

/** Creates a training of `fn`'s stable version over `records` (in `chunks` chunks) and queues it, as a router does. */
async function train(p: TestPlatform, fn: string, records: object[], chunks = 2): Promise<string> {
  const store = new TrainingStore(p.redis, p.prefix, cipher);
  const state = await new FunctionCatalog(p.redis, p.prefix).get(fn);
  const version = Object.keys(state!.versions)[0]!;
  const id = randomUUID();
  const per = Math.ceil(records.length / chunks);
  for (let n = 0; n < chunks; n++) await store.putChunk(id, state!.namespace, n, Buffer.from(records.slice(n * per, (n + 1) * per).map((r) => `${JSON.stringify(r)}\n`).join('')));
  await store.create({
    id,
    function: fn,
    namespace: state!.namespace,
    version,
    hash: state!.versions[version]!.hash,
    then: 'none',
    primaryMetric: 'mse',
    device: 'cpu',
    dataset: { hash: 'test', records: records.length, bytes: 0, chunks, source: 'upload', heldOut: 0.25 },
    createdAt: Date.now(),
    createdBy: 'tester',
  });
  await new TrainingJobs(new QueueSet(p.redis, p.prefix)).add(id, 'cpu', 1);
  return id;
}

const view = (p: TestPlatform, id: string) => new TrainingStore(p.redis, p.prefix, cipher).get(id) as Promise<TrainingView>;
/** Waits for training `id`'s record to satisfy `ok`; the error shows the record as it last was. */
async function until(p: TestPlatform, id: string, ok: (v: TrainingView) => boolean, what: string, ms = 60_000): Promise<TrainingView> {
  let last: TrainingView | undefined;
  return eventually(
    async () => {
      last = await view(p, id);
      return ok(last) && last;
    },
    what,
    ms,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; the training: ${JSON.stringify(last)}`);
  });
}

/** The platform's `training.end` audit records, once there are at least `n` (the router writes them after the status). */
async function trainingEnds(p: TestPlatform, n = 1) {
  return eventually(async () => {
    const items = (await p.call('GET', '/v1/audit?action=training.end&limit=1000')).json.items as { outcome: string; code?: string; detail: { training: string; status: string } }[];
    return items.length >= n && items;
  }, `${n} training ends to be audited`);
}

/**
 * Processes running the training entry (`runtime/train.js`) below process `ancestor` (the worker):
 * what the kernel sees, whatever the isolation level (inside bubblewrap a training has pids of its own).
 */
function trainingProcesses(ancestor: number): number[] {
  const parentOf = (pid: number) => {
    try {
      // Fields after the command's closing parenthesis: state, ppid, ...
      return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
    } catch {
      return 0;
    }
  };
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((pid) => {
      try {
        if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('runtime/train.js')) return false;
      } catch {
        return false;
      }
      for (let p = parentOf(pid); p > 1; p = parentOf(p)) if (p === ancestor) return true;
      return false;
    });
}

/** A process's scheduling policy and nice value, from `/proc/<pid>/stat` (fields 41 and 19). */
function schedulingOf(pid: number): { policy: number; nice: number } {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return { policy: Number(f[38]), nice: Number(f[16]) };
}

describe.each(['sandbox', 'process', 'thread'] as const)('a training on a pool worker at isolation %s', (level) => {
  it('learns from the streamed dataset in a niced process of its own, and its files become a version; a cancel stops it and frees the slot', async () => {
    const p = await suite.start({ env: { AUTOGLM_FUNCTIONS_DIR: functionSet('training'), AUTOGLM_ISOLATION: level, AUTOGLM_ENCRYPTION_KEYS: KEYS } });
    const [worker] = await workers(p);
    const store = new TrainingStore(p.redis, p.prefix, cipher);

    const id = await train(p, 'trainable', rows(200), 3);
    // The worker stores the files and queues the recording step; the router records the version.
    const done = await until(p, id, (v) => v.status === 'succeeded', 'the training to make a version');
    expect(done.worker).toBe(worker!.id);
    expect(done.progress).toMatchObject({ epoch: 1, epochs: 1 });
    const out = done.result!;
    expect(out).toMatchObject({ primaryMetric: 'mse', verdict: 'better', deployed: 'none' });
    expect(out.metrics.mse).toBeLessThan(out.baseline!.mse!);
    // Every record was read, split as the manifest's held-out share says.
    expect(out.details).toMatchObject({ seen: 200, counts: { train: expect.any(Number), heldOut: expect.any(Number) } });
    const counts = (out.details as { counts: { train: number; heldOut: number } }).counts;
    expect(counts.train + counts.heldOut).toBe(200);
    expect(counts.heldOut).toBeGreaterThan(20);
    // Not in the worker, and at the lowest CPU priority.
    if (level !== 'sandbox') expect((out.details as { pid: number }).pid).not.toBe(worker!.pid); // in bubblewrap, pids are the namespace's
    expect((out.details as { nice: number }).nice).toBe(19);
    // The new version runs the model `train` wrote (the old one's slope is 1).
    const call = await p.call('POST', `/v1/functions/trainable@${out.version}/invoke`, { input: { x: 2 } });
    expect(call.status).toBe(200);
    expect(call.json.output.y).toBeCloseTo(6, 2);
    // Its log lines are the function's, marked with the training.
    await eventually(async () => (await p.call('GET', '/v1/functions/trainable/logs')).json?.lines?.some((l: { msg: string; training?: string }) => l.msg === 'first epoch done' && l.training === id), 'the training\'s log line');
    const finish = await new QueueSet(p.redis, p.prefix).named(TRAINING_FINISH_QUEUE).getJob(id);
    expect(finish?.data).toEqual({ trainingId: id });
    expect(await trainingEnds(p)).toMatchObject([{ outcome: 'ok', detail: { training: id, status: 'succeeded' } }]);

    // A training that runs until stopped: cancelled mid-way, its process is gone and it is never retried.
    const spin = await train(p, 'trainable-patient', [{ x: 0, y: 0, mode: 'spin' }, ...rows(20)]);
    const running = await until(p, spin, (v) => v.status === 'running' && (v.progress?.epoch ?? 0) >= 2, 'the spinning training to report epochs');
    expect(trainingProcesses(worker!.pid)).not.toEqual([]);
    // Scheduled as the kernel's idle class (policy 5, SCHED_IDLE) at nice 19: serving threads preempt it at once.
    for (const pid of trainingProcesses(worker!.pid)) expect(schedulingOf(pid)).toEqual({ policy: 5, nice: 19 });
    expect(await store.requestCancel(spin, 'tester')).toBe(true);
    const cancelled = await until(p, spin, (v) => v.status === 'cancelled', 'the cancelled training to end');
    expect(cancelled.error).toMatchObject({ code: 'TRAINING_CANCELLED', message: 'cancelled by tester' });
    // Ended once its process was gone.
    expect(trainingProcesses(worker!.pid)).toEqual([]);
    expect(await store.trainedFiles(spin)).toBeUndefined();

    // The slot is free: the next training runs on the same worker.
    const next = await train(p, 'trainable', rows(40), 1);
    expect((await until(p, next, (v) => v.status === 'succeeded', 'the next training to finish')).worker).toBe(worker!.id);
  }, 120_000);
});

describe('a training that cannot make a version', () => {
  it('fails, not retried, naming why: past its timeout (TRAINING_TIMEOUT), no train, no primary metric, an error with a platform code (laundered); one that ignores its cancel is killed', async () => {
    const p = await suite.start({ env: { AUTOGLM_FUNCTIONS_DIR: functionSet('training'), AUTOGLM_ISOLATION: 'process', AUTOGLM_ENCRYPTION_KEYS: KEYS, AUTOGLM_TRAINING_CONCURRENCY: '2' } });
    const failed = (id: string) => until(p, id, (v) => v.status === 'failed', `training ${id} to fail`);
    const [worker] = await workers(p);

    const none = await failed(await train(p, 'untrainable', rows(10)));
    expect(none.error).toEqual({ code: 'NOT_TRAINABLE', message: 'function untrainable does not export train', retryable: false });
    const unmeasured = await failed(await train(p, 'trainable', [{ x: 0, y: 0, mode: 'unmeasured' }, ...rows(10)]));
    expect(unmeasured.error).toMatchObject({ code: 'TRAINING_METRIC_MISSING', retryable: false, extra: { field: 'metrics.mse' } });
    expect(unmeasured.error!.message).toContain('training.primaryMetric');
    const impostor = await failed(await train(p, 'trainable', [{ x: 0, y: 0, mode: 'impostor' }, ...rows(10)]));
    expect(impostor.error).toEqual({ code: 'FUNCTION_ERROR', message: 'not really', retryable: false, extra: { details: { status: 401, code: 'UNAUTHORIZED' } } });
    // Two at once (two training slots), so the stubborn one's grace and the other's time limit pass
    // together: one that ignores its signal is killed once its grace (10 s) is over, and only then
    // is it over; one that spins past the manifest's training.timeout (10 s) fails.
    const stubborn = await train(p, 'trainable-patient', [{ x: 0, y: 0, mode: 'stubborn' }, ...rows(10)]);
    const id = await train(p, 'trainable', [{ x: 0, y: 0, mode: 'spin' }, ...rows(20)]);
    await until(p, stubborn, (v) => (v.progress?.epoch ?? 0) >= 2, 'the stubborn training to run');
    await until(p, id, (v) => (v.progress?.epoch ?? 0) >= 2, 'the training to spin');
    expect(trainingProcesses(worker!.pid)).toHaveLength(2);
    await new TrainingStore(p.redis, p.prefix, cipher).requestCancel(stubborn, 'tester');
    const timedOut = await until(p, id, (v) => v.status === 'failed', 'the training to time out', 45_000);
    expect(timedOut.error).toMatchObject({ code: 'TRAINING_TIMEOUT', retryable: false });
    expect(timedOut.attempt).toBe(1);
    await until(p, stubborn, (v) => v.status === 'cancelled', 'the stubborn training to be killed', 30_000);
    expect(trainingProcesses(worker!.pid)).toEqual([]);

    // Ended on the worker, each end is still audited, once, by a router (the finish queue), with its outcome.
    const ends = await trainingEnds(p, 5);
    const byTraining = Object.fromEntries(ends.map((r) => [r.detail.training, `${r.detail.status} ${r.outcome} ${r.code}`]));
    expect(ends).toHaveLength(5);
    expect(byTraining).toEqual({
      [none.id]: 'failed error NOT_TRAINABLE',
      [unmeasured.id]: 'failed error TRAINING_METRIC_MISSING',
      [impostor.id]: 'failed error FUNCTION_ERROR',
      [id]: 'failed error TRAINING_TIMEOUT',
      [stubborn]: 'cancelled error TRAINING_CANCELLED',
    });
  }, 90_000);
});

describe('a training whose worker goes away', () => {
  /** Running, and at its barrier in this run: progress reported since the run started (an earlier run's stays on the record). */
  const waiting = (v: TrainingView) => v.status === 'running' && (v.progress?.epoch ?? 0) >= 2 && v.progress!.at > v.startedAt!;

  it('is handed back when its worker stops (no attempt spent), retaken after its worker is killed, and completes on the replacement; no training process outlives its worker', async () => {
    // The barrier is a file only the thread level lets function code read.
    const p = await suite.start({ env: { AUTOGLM_FUNCTIONS_DIR: functionSet('training'), AUTOGLM_ISOLATION: 'thread', AUTOGLM_ENCRYPTION_KEYS: KEYS, ...QUICK_DEATH } });
    const gate = suite.countFile();
    const id = await train(p, 'trainable-patient', [{ x: 0, y: 0, mode: 'wait', until: gate }, ...rows(40)]);
    const [first] = await workers(p);
    await until(p, id, (v) => v.worker === first!.id && waiting(v), 'the training to wait at its barrier');
    const firstTraining = trainingProcesses(first!.pid);
    expect(firstTraining).toHaveLength(1);

    // Stopped: its training process is killed and the training goes back to the queue at once.
    process.kill(first!.pid, 'SIGTERM');
    const second = await suite.replacement(first!.pid);
    const moved = await until(p, id, (v) => v.worker === second.id && waiting(v), 'the training to run on the replacement');
    expect(moved.attempt).toBe(1);
    expect(alive(firstTraining[0]!)).toBe(false);
    const secondTraining = trainingProcesses(second.pid);
    expect(secondTraining).toHaveLength(1);

    // Killed: its training process ends with it (its channel closes), and the stalled training is retaken.
    process.kill(second.pid, 'SIGKILL');
    await eventually(() => !alive(secondTraining[0]!), "the killed worker's training process to end");
    const third = await suite.replacement(second.pid);
    await until(p, id, (v) => v.worker === third.id && waiting(v), 'the stalled training to run again');
    expect(existsSync(gate)).toBe(false);
    writeFileSync(gate, '');
    const done = await until(p, id, (v) => v.status === 'succeeded', 'the training to finish on the last worker');
    expect(done).toMatchObject({ worker: third.id, attempt: 1 });
    expect((done.result!.details as { seen: number }).seen).toBe(41);
  }, 120_000);
});

/** Whether process `pid` exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
