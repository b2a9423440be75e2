import type { Job } from 'bullmq';
import { functionOfJobId, itemId, splitItemId, type NamespaceLimiter } from '../cluster/index.ts';
import { callbackJobId } from './callback-policy.ts';
import { JobNotFoundError, JobNotRetryableError } from './errors.ts';
import type { JobData } from './job-data.ts';
import { CALLBACK_QUEUE } from './names.ts';
import type { QueueSet } from './queue-set.ts';

/** BullMQ's codes (reprocessJob) when the job was removed, or left the failed set, before the retry reached it. */
const GONE = -1;
const NOT_IN_STATE = -3;

/**
 * Runs a dead letter again as BullMQ's `job.retry()` does (what Bull Board's retry button does):
 * the same job, id, input and version, moved back to its queue in one script that first takes it
 * out of the failed set, so two retries at once run it once. The id staying the same keeps what
 * refers to it valid: the submitter's `Location`, an `Idempotency-Key` (a replay finds the job,
 * not a duplicate), its trace and logs. Attempts count afresh (the manifest's `retries` again),
 * a deadline (`timeoutMs`) gives the same time from now, and the job takes its namespace's
 * concurrency slots again. A callback is delivered again for the new outcome.
 */
export class JobRetrier {
  constructor(
    private readonly queues: QueueSet,
    private readonly limiter: Pick<NamespaceLimiter, 'admit' | 'release'>,
  ) {}

  /**
   * Retries failed job `id`.
   * @throws JobNotFoundError, JobNotRetryableError (not failed, or an item id), and the
   * limiter's refusals (RateLimitedError, QuotaExceededError).
   */
  async retry(id: string): Promise<void> {
    const item = splitItemId(id);
    if (item) throw new JobNotRetryableError(id, { partOf: item.jobId });
    const job = await this.find(id);
    const state = await job.getState();
    if (state !== 'failed') throw new JobNotRetryableError(id, { status: state === 'completed' ? 'succeeded' : state === 'active' ? 'running' : 'queued' });
    const data = job.data as JobData;
    const slots = data.items ? data.items.map((_, i) => itemId(id, i)) : [id];
    const budget = data.deadline === null ? undefined : Math.max(0, data.deadline - data.enqueuedAt);
    await this.limiter.admit(data.ns, slots, budget);
    try {
      await this.forgetDelivery(job);
      await job.updateData(afresh(data, Date.now()));
      await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    } catch (err) {
      void this.limiter.release(data.ns, slots).catch(() => undefined);
      const code = (err as { code?: unknown }).code;
      if (code === NOT_IN_STATE) throw new JobNotRetryableError(id, { status: 'no longer failed (retried at the same time)' });
      if (code === GONE) throw new JobNotFoundError(id);
      throw err;
    }
  }

  private async find(id: string): Promise<Job> {
    const fn = functionOfJobId(id);
    const job = fn ? await this.queues.get(fn).getJob(id) : undefined;
    if (!job) throw new JobNotFoundError(id);
    return job;
  }

  /**
   * The delivery of the failure is removed, so the worker's delivery of the new outcome, added
   * under the same id (`cb.<job id>`), is a new one rather than a no-op. One being posted right
   * now holds a lock and cannot be removed: the retry waits for it.
   */
  private async forgetDelivery(job: Job): Promise<void> {
    if (!(job.data as JobData).callbackUrl) return;
    const removed = await this.queues.named(CALLBACK_QUEUE).remove(callbackJobId(job.id!));
    if (removed === 0 && (await this.queues.named(CALLBACK_QUEUE).getJobState(callbackJobId(job.id!))) !== 'unknown') {
      throw new JobNotRetryableError(job.id!, { delivering: true });
    }
  }
}

/** The job's data for its next run: a deadline is as far from now as it was from its first queuing. */
function afresh(data: JobData, now: number): JobData {
  if (data.deadline === null) return { ...data, enqueuedAt: now };
  const shift = now - data.enqueuedAt;
  return {
    ...data,
    enqueuedAt: now,
    deadline: data.deadline + shift,
    ...(data.items ? { items: data.items.map((it) => (it.deadline === null ? it : { ...it, deadline: it.deadline + shift })) } : {}),
  };
}
