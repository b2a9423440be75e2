import type { QueueSet } from './queue-set.ts';
import { TRAINING_FINISH_QUEUE, trainingQueue } from './names.ts';

/** What a training job carries: only its id; the request, dataset and status are in the TrainingStore. */
export interface TrainingJobData {
  trainingId: string;
}

/** What a finish job carries: the training whose files are stored, or which ended. */
export interface TrainingFinishData {
  trainingId: string;
}

/** How long finished training jobs stay in BullMQ's sets (the TrainingStore keeps what people read). */
const KEEP = { age: 86_400, count: 1_000 };

/**
 * The BullMQ side of trainings: queued on `train.<kind>` (job id = training id, so a replay
 * adds nothing), removed while still waiting when cancelled, and, once a worker stored the new
 * files or the training ended, queued on `training-finish` for a router to record the version or
 * the end.
 */
export class TrainingJobs {
  constructor(private readonly queues: QueueSet) {}

  /** Queues training `id` on its device kind's queue; `attempts` = 1 + the manifest's `training.retries`. */
  async add(id: string, kind: 'cpu' | 'gpu', attempts: number): Promise<void> {
    await this.queues.named(trainingQueue(kind)).add('train', { trainingId: id } satisfies TrainingJobData, {
      jobId: id,
      attempts,
      backoff: { type: 'exponential', delay: 5_000 },
      removeOnComplete: KEEP,
      removeOnFail: KEEP,
    });
  }

  /**
   * Removes training `id` if it is still waiting (no worker took it): true when removed. A job a
   * worker holds is locked, and BullMQ refuses to remove it; that worker stops it on the cancel.
   */
  async removeWaiting(id: string, kind: 'cpu' | 'gpu'): Promise<boolean> {
    const job = await this.queues.named(trainingQueue(kind)).getJob(id);
    if (!job) return false;
    const state = await job.getState();
    if (state !== 'waiting' && state !== 'delayed' && state !== 'prioritized') return false;
    try {
      await job.remove();
      return true;
    } catch {
      return false; // taken in between
    }
  }

  /**
   * Asks a router to record training `id`'s stored files as a version, or, once it ended
   * elsewhere (failed or cancelled), to record its end (once: job id = training id).
   */
  async finish(id: string): Promise<void> {
    await this.queues.named(TRAINING_FINISH_QUEUE).add('finish', { trainingId: id } satisfies TrainingFinishData, {
      jobId: id,
      attempts: 5,
      backoff: { type: 'exponential', delay: 2_000 },
      removeOnComplete: KEEP,
      removeOnFail: KEEP,
    });
  }
}
