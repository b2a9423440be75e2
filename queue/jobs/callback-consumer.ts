import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { CALLBACK_POLICY, refusedReason } from './callback-policy.ts';
import type { JobView } from './job-data.ts';
import type { JobReader } from './job-reader.ts';
import { CALLBACK_QUEUE } from './names.ts';

/**
 * Sends one webhook; throws when the receiver did not take it (the queue retries with backoff),
 * or with an error whose `retryable` is false when it must not be sent at all (a refused
 * address): that fails the delivery at once, recorded as refused with the error's message.
 */
export type Deliver = (view: JobView, url: string, attempt: number) => Promise<void>;

/**
 * Consumes the webhook delivery queue. Runs in routers, which hold the signing key; workers
 * only enqueue deliveries. A delivery that arrives before its job has ended waits for it.
 */
export class CallbackConsumer {
  private readonly worker: Worker;
  private closing: Promise<void> | undefined;

  constructor(connection: Redis, prefix: string, reader: JobReader, deliver: Deliver, concurrency = 16) {
    this.worker = new Worker(
      CALLBACK_QUEUE,
      async (job: Job<{ jobId: string }>, token) => {
        const view = await reader.get(job.data.jobId);
        if (view.status === 'queued' || view.status === 'running') {
          await job.moveToDelayed(Date.now() + CALLBACK_POLICY.recheckMs, token);
          throw new DelayedError();
        }
        const url = view.callback?.url;
        if (!url) return;
        try {
          await deliver(view, url, job.attemptsMade + 1);
        } catch (err) {
          if ((err as { retryable?: unknown }).retryable === false) throw new UnrecoverableError(refusedReason((err as Error).message));
          throw err;
        }
      },
      { connection, prefix, concurrency },
    );
    this.worker.on('error', () => undefined);
  }

  close(): Promise<void> {
    this.closing ??= this.worker.close();
    return this.closing;
  }
}
