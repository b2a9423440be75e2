import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  DeadlineExceededError,
  FunctionTimeoutError,
  toErrorRecord,
  type ErrorRecord,
  type InvocationResult,
} from '../functions/sdk/index.ts';
import { CALLBACK_POLICY, callbackJobId } from './callback-policy.ts';
import { decodeFailure, encodeFailure, type DoneMessage, type JobData } from './job-data.ts';
import { CALLBACK_QUEUE, functionQueueName, keys } from './names.ts';
import { inflightKey } from './namespace-limiter.ts';
import type { PayloadCipher } from './payload-cipher.ts';

/** Runs one invocation. Resolves with a result whose `error` is set for a failed item. */
export type Executor = (data: JobData, ctx: { jobId: string; attempt: number; signal: AbortSignal }) => Promise<InvocationResult>;

/** Options of a {@link FunctionConsumer}. */
export interface ConsumerOptions {
  prefix: string;
  /** Jobs run at once by this process for this function. */
  concurrency: number;
  /** How long a worker's claim on a job lasts without renewal, ms. Default 30,000 (BullMQ's). */
  lockDurationMs?: number;
  /** How often stalled jobs (their worker died) are looked for, ms. Default 30,000. */
  stalledIntervalMs?: number;
  /** How many times a job may stall before it fails. Default 2: a crash is retried. */
  maxStalledCount?: number;
  /** Opens sealed inputs and seals outputs: payloads are never in Redis in plain text. */
  cipher: PayloadCipher;
}

/**
 * Consumes one function's queue: enforces deadline and timeout, runs the executor, retries
 * what is retryable, records the outcome, announces it to the waiting router, and enqueues the
 * webhook delivery when the job asked for one. The executor owns the function code; this class
 * owns everything BullMQ.
 */
export class FunctionConsumer {
  private readonly worker: Worker;
  private readonly callbacks: Queue;
  private closing: Promise<void> | undefined;
  private active = 0;

  constructor(
    readonly fn: string,
    private readonly connection: Redis,
    private readonly publisher: Redis,
    private readonly execute: Executor,
    private readonly opts: ConsumerOptions,
  ) {
    this.callbacks = new Queue(CALLBACK_QUEUE, { connection: publisher, prefix: opts.prefix });
    this.callbacks.on('error', () => undefined);
    this.worker = new Worker(functionQueueName(fn), (job, _token, signal) => this.track(this.process(job, signal)), {
      connection,
      prefix: opts.prefix,
      concurrency: opts.concurrency,
      lockDuration: opts.lockDurationMs ?? 30_000,
      stalledInterval: opts.stalledIntervalMs ?? 30_000,
      maxStalledCount: opts.maxStalledCount ?? 2,
      autorun: true,
    });
    this.worker.on('completed', (job, result: InvocationResult) => this.announce(job, { id: job.id!, ok: true, result }));
    this.worker.on('failed', (job, err) => {
      // Only a final failure is announced; a retry leaves finishedOn unset.
      if (job?.finishedOn) this.announce(job, { id: job.id!, ok: false, error: decodeFailure(err.message) });
    });
    // Connection trouble is retried by ioredis; the emitter must not crash the worker process.
    this.worker.on('error', () => undefined);
  }

  /** Jobs running now. */
  get running(): number {
    return this.active;
  }

  /** Stops taking jobs and waits for running ones to finish. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.worker.close();
      await this.callbacks.close();
    })();
    return this.closing;
  }

  private async track<T>(p: Promise<T>): Promise<T> {
    this.active++;
    try {
      return await p;
    } finally {
      this.active--;
    }
  }

  private async process(job: Job, bullSignal?: AbortSignal): Promise<InvocationResult> {
    const data = job.data as JobData;
    const attempt = job.attemptsMade + 1;
    const maxAttempts = job.opts.attempts ?? 1;
    if (data.deadline !== null && Date.now() > data.deadline) {
      return this.fail(job, data, toErrorRecord(new DeadlineExceededError('the deadline passed before the job started')), true);
    }
    const ac = new AbortController();
    bullSignal?.addEventListener('abort', () => ac.abort(), { once: true });
    const limit = Math.min(data.timeoutMs, data.deadline === null ? Infinity : data.deadline - Date.now());
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), limit);
    });
    let result: InvocationResult | 'timeout';
    try {
      const plain: JobData = { ...data, input: this.opts.cipher.open(data.input, job.id!) };
      result = await Promise.race([this.execute(plain, { jobId: job.id!, attempt, signal: ac.signal }), timedOut]);
    } catch (err) {
      return this.fail(job, data, toErrorRecord(err), attempt >= maxAttempts);
    } finally {
      clearTimeout(timer);
    }
    if (result === 'timeout') {
      ac.abort();
      const deadlinePassed = data.deadline !== null && Date.now() >= data.deadline;
      const rec = toErrorRecord(deadlinePassed ? new DeadlineExceededError() : new FunctionTimeoutError(data.timeoutMs));
      return this.fail(job, data, rec, deadlinePassed || attempt >= maxAttempts);
    }
    if (result.error) return this.fail(job, data, result.error, attempt >= maxAttempts);
    if (data.callbackUrl) await this.enqueueCallback(job.id!);
    // Stored as the job's return value and published to the waiting router: sealed in both.
    return { ...result, output: this.opts.cipher.seal(result.output, job.id!) };
  }

  /** Throws so BullMQ records the failure: retried when retryable and attempts remain. */
  private async fail(job: Job, data: JobData, rec: ErrorRecord, lastAttempt: boolean): Promise<never> {
    const final = lastAttempt || !rec.retryable;
    // Enqueued before the failure is recorded, so a crash in between cannot lose the webhook;
    // the delivery waits until the job has really ended.
    if (final && data.callbackUrl) await this.enqueueCallback(job.id!);
    throw final ? new UnrecoverableError(encodeFailure(rec)) : new Error(encodeFailure(rec));
  }

  private async enqueueCallback(jobId: string): Promise<void> {
    await this.callbacks.add(
      'deliver',
      { jobId },
      {
        jobId: callbackJobId(jobId),
        delay: CALLBACK_POLICY.firstDelayMs,
        attempts: CALLBACK_POLICY.attempts,
        backoff: { type: 'exponential', delay: CALLBACK_POLICY.backoffMs },
        removeOnComplete: { age: CALLBACK_POLICY.keepSeconds },
        removeOnFail: { age: CALLBACK_POLICY.keepSeconds },
      },
    );
  }

  private announce(job: Job, msg: DoneMessage): void {
    const data = job.data as JobData;
    const channel = keys.doneChannel(this.opts.prefix, data.replyTo);
    // Async jobs announce only their id: long-polls re-read the job, and results stay out of pub/sub.
    const payload = data.replyTo ? msg : { id: msg.id, ok: msg.ok };
    this.publisher
      .multi()
      .publish(channel, JSON.stringify(payload))
      // The job no longer counts against its namespace's concurrency quota.
      .zrem(inflightKey(this.opts.prefix, data.ns), msg.id)
      .exec()
      .catch(() => {
        /* The router's sweep finds the result in the job record; the quota entry expires. */
      });
  }
}
