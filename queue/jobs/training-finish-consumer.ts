import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { TRAINING_FINISH_QUEUE } from './names.ts';
import type { TrainingFinishData } from './training-jobs.ts';

/**
 * Consumes the finish queue in routers: each trained version, and each training's end, is
 * recorded by one router (BullMQ hands a job to one consumer), as `finish` does; a throw is
 * retried with backoff.
 */
export class TrainingFinishConsumer {
  private readonly worker: Worker;
  private closing: Promise<void> | undefined;

  constructor(connection: Redis, prefix: string, finish: (trainingId: string) => Promise<void>) {
    this.worker = new Worker(TRAINING_FINISH_QUEUE, (job: Job<TrainingFinishData>) => finish(job.data.trainingId), {
      connection,
      prefix,
      // A deploy check waits for a worker to load the version: a minute at most; the lock outlasts it.
      lockDuration: 120_000,
      concurrency: 2,
    });
    this.worker.on('error', () => undefined);
  }

  close(): Promise<void> {
    this.closing ??= this.worker.close();
    return this.closing;
  }
}
