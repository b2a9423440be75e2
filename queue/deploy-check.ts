import { randomBytes } from 'node:crypto';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { toErrorRecord, type ErrorRecord } from '../functions/sdk/index.ts';
import type { FunctionRecord } from './function-catalog.ts';
import { decodeFailure, encodeFailure, type DoneMessage } from './job-data.ts';
import { keys } from './names.ts';
import type { ResultBus } from './result-bus.ts';

const QUEUE = 'deploy-checks';

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
  private readonly queue: Queue;

  constructor(
    connection: Redis,
    private readonly prefix: string,
    private readonly results: ResultBus,
    private readonly routerId: string,
  ) {
    this.queue = new Queue(QUEUE, { connection, prefix });
    this.queue.on('error', () => undefined);
  }

  async check(rec: FunctionRecord, timeoutMs: number): Promise<CheckOutcome> {
    const id = `check.${rec.version}.${randomBytes(4).toString('hex')}`;
    const waiting = this.results.wait(id, Date.now() + timeoutMs);
    await this.queue.add('check', { rec, replyTo: this.routerId }, { jobId: id, attempts: 1, removeOnComplete: { age: 3600 }, removeOnFail: { age: 3600 } });
    const msg = await waiting;
    if (!msg) {
      await this.queue.remove(id).catch(() => undefined);
      return { ok: false, timedOut: true };
    }
    if (msg.ok) return { ok: true, report: msg.result as unknown as CheckReport };
    return { ok: false, error: msg.error ?? { code: 'FUNCTION_LOAD_FAILED', message: 'the version failed to load', status: 422, retryable: false } };
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

/** Pool side: loads candidate versions on request and reports back. */
export class DeployCheckConsumer {
  private readonly worker: Worker;

  constructor(connection: Redis, publisher: Redis, prefix: string, load: (rec: FunctionRecord) => Promise<CheckReport>) {
    this.worker = new Worker(
      QUEUE,
      async (job) => {
        const { rec } = job.data as { rec: FunctionRecord };
        try {
          return await load(rec);
        } catch (err) {
          const e = toErrorRecord(err);
          throw new UnrecoverableError(encodeFailure({ ...e, code: 'FUNCTION_LOAD_FAILED', status: 422, message: `loading ${rec.name}@${rec.version} failed: ${e.message}` }));
        }
      },
      { connection, prefix, concurrency: 1 },
    );
    const announce = (id: string, replyTo: string, msg: DoneMessage) => publisher.publish(keys.doneChannel(prefix, replyTo), JSON.stringify(msg)).catch(() => undefined);
    this.worker.on('completed', (job, report) => void announce(job.id!, job.data.replyTo, { id: job.id!, ok: true, result: report }));
    this.worker.on('failed', (job, err) => {
      if (job) void announce(job.id!, job.data.replyTo, { id: job.id!, ok: false, error: decodeFailure(err.message) });
    });
    this.worker.on('error', () => undefined);
  }

  close(): Promise<void> {
    return this.worker.close();
  }
}
