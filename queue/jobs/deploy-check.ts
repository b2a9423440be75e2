import { randomBytes } from 'node:crypto';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { toErrorRecord, type ErrorRecord } from '../../functions/sdk/index.ts';
import type { FunctionRecord } from '../cluster/index.ts';
import { decodeFailure, failureError, type DoneMessage } from './job-data.ts';
import { keys } from '../keys.ts';
import { FunctionLoadError } from './errors.ts';
import { checkQueue, workerQueue } from './names.ts';
import type { ResultBus } from './result-bus.ts';

/** What a worker reports after loading a candidate version. */
export interface CheckReport {
  workerId: string;
  device: string;
  loadMs: number;
}

/** The outcome of a deploy check. */
export type CheckOutcome = { ok: true; report: CheckReport } | { ok: false; error: ErrorRecord } | { ok: false; timedOut: true };

/**
 * Router side: asks one pool worker to load a candidate version (import its code, run `load`)
 * before the version is recorded, so a handler that throws in `load` is refused at deploy time
 * instead of failing every call.
 */
export class DeployChecker {
  private readonly queues = new Map<string, Queue>();

  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
    private readonly results: ResultBus,
    private readonly routerId: string,
  ) {
    for (const need of ['cpu', 'gpu', 'any'] as const) {
      const q = new Queue(checkQueue(need), { connection, prefix });
      q.on('error', () => undefined);
      this.queues.set(need, q);
    }
  }

  /** Has a worker load `rec`: any that can serve its device need, or the worker `on` names. */
  async check(rec: FunctionRecord, timeoutMs: number, on?: string): Promise<CheckOutcome> {
    const id = `check.${rec.version}.${randomBytes(4).toString('hex')}`;
    const waiting = this.results.wait(id, Date.now() + timeoutMs);
    const queue = on ? this.workerQueue(on) : this.queues.get(rec.manifest.device ?? 'any')!;
    let msg: DoneMessage | undefined;
    try {
      await queue.add('check', { rec, replyTo: this.routerId }, { jobId: id, attempts: 1, removeOnComplete: { age: 3600 }, removeOnFail: { age: 3600 } });
      msg = await waiting;
      if (!msg) await queue.remove(id).catch(() => undefined);
    } finally {
      if (on) await queue.close();
    }
    if (!msg) return { ok: false, timedOut: true };
    if (msg.ok) return { ok: true, report: msg.result as unknown as CheckReport };
    return { ok: false, error: msg.error ?? toErrorRecord(new FunctionLoadError('the version failed to load')) };
  }

  /**
   * A queue of one worker, for this check only. The shared queues got their error listener once,
   * when made: adding one per check leaked a listener with every deploy (Node warned at the 11th).
   */
  private workerQueue(id: string): Queue {
    const q = new Queue(workerQueue(id), { connection: this.connection, prefix: this.prefix });
    q.on('error', () => undefined);
    return q;
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}

/** Pool side: loads candidate versions on request and reports back. */
export class DeployCheckConsumer {
  private readonly workers: Worker[];

  /**
   * Answers the checks sent to worker `workerId`, and when it runs every namespace (`shared`),
   * those of functions a `kind` device can serve.
   */
  constructor(connection: Redis, publisher: Redis, prefix: string, who: { workerId: string; kind: 'cpu' | 'gpu'; shared: boolean }, load: (rec: FunctionRecord) => Promise<CheckReport>) {
    const announce = (id: string, replyTo: string, msg: DoneMessage) => publisher.publish(keys.doneChannel(prefix, replyTo), JSON.stringify(msg)).catch(() => undefined);
    const check = async (job: Job) => {
      const { rec } = job.data as { rec: FunctionRecord };
      try {
        return await load(rec);
      } catch (err) {
        const e = toErrorRecord(err);
        throw failureError((m) => new UnrecoverableError(m), { ...e, ...toErrorRecord(new FunctionLoadError(`loading ${rec.name}@${rec.version} failed: ${e.message}`)) });
      }
    };
    const queues = [workerQueue(who.workerId), ...(who.shared ? [checkQueue(who.kind), checkQueue('any')] : [])];
    this.workers = queues.map((name) => {
      const worker = new Worker(name, check, { connection, prefix, concurrency: 1 });
      worker.on('completed', (job, report: CheckReport) => void announce(job.id!, job.data.replyTo, { id: job.id!, ok: true, result: report as never }));
      worker.on('failed', (job, err) => {
        if (job) void announce(job.id!, job.data.replyTo, { id: job.id!, ok: false, error: decodeFailure(err.message) });
      });
      worker.on('error', () => undefined);
      return worker;
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
  }
}
