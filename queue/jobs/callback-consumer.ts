import { DelayedError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { CALLBACK_POLICY } from './callback-policy.ts';
import type { JobView } from './job-data.ts';
import type { JobReader } from './job-reader.ts';
import { CALLBACK_QUEUE } from './names.ts';

/** Sends one webhook; throws when the receiver did not take it (the queue retries with backoff). */
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
        await deliver(view, url, job.attemptsMade + 1);
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
