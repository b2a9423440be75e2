import { setMaxListeners } from 'node:events';
import { Backoffs, DelayedError, Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { toErrorRecord, type ErrorRecord, type InvocationResult, type Logger } from '../../functions/sdk/index.ts';
import { CALLBACK_POLICY, callbackJobId } from './callback-policy.ts';
import { decodeFailure, failureError, sealItemErrors, type DoneMessage, type ItemResult, type ItemsResult, type JobData } from './job-data.ts';
import { CALLBACK_QUEUE, functionQueueName } from './names.ts';
import { keys } from '../keys.ts';
import { DeadlineExceededError, FunctionTimeoutError, InputMissingError, JobCancelledError, JobFailedError, PoisonInputError } from './errors.ts';
import { isSealed, isSealedApart, type PayloadCipher, type SpanCarrier, itemId, whenStored } from '../cluster/index.ts';
import { SlotGate } from './slot-gate.ts';
import { chunkWriter } from './chunk-writer.ts';
import { SoloGate } from './solo-gate.ts';
import { SentJson } from './sent-input.ts';

/** One attempt's outcome; `final` when no retry could help (the deadline passed). */
type Attempt = { ok: true; result: InvocationResult } | { ok: false; final: boolean; error: ErrorRecord; result?: InvocationResult };

/** Runs one invocation. Resolves with a result whose `error` is set for a failed item. */
export type Executor = (data: JobData, ctx: { jobId: string; attempt: number; signal: AbortSignal; onChunk?: (json: string) => void }) => Promise<InvocationResult>;

/** Options of a {@link FunctionConsumer}. */
export interface ConsumerOptions {
  prefix: string;
  /** Jobs run at once by this process for this function. */
  concurrency: number;
  /** How long a worker's claim on a job lasts without renewal, ms. Default 30,000 (BullMQ's). */
  lockDurationMs?: number;
  /** How often stalled jobs (their worker died) are looked for, ms. Default 30,000. */
  stalledIntervalMs?: number;
  /**
   * How many times a job may stall before BullMQ fails it. Default 2: a crash is retried. A job
   * that stalled runs alone next (see `solo`), and is dead-lettered as POISON_INPUT if its
   * worker dies again then: this is only the backstop.
   */
  maxStalledCount?: number;
  /**
   * Shared by the consumers of one worker process: a job its worker died running (BullMQ found
   * it stalled) runs alone on it the next time, so a second death names the job that caused it.
   * Default: one per consumer (alone among this function's jobs only).
   */
  solo?: SoloGate;
  /** Opens sealed inputs and seals outputs: payloads are never in Redis in plain text. */
  cipher: PayloadCipher;
  /**
   * Whether this worker's device can run a version. Versions of one function share its queue; a
   * job this worker cannot run goes back to the queue for a moment, for a worker that can,
   * without counting an attempt. Default: every version.
   */
  serves?: (fn: string, version: string) => boolean;
  /** Where a job held up by a full Redis is reported. Default: nowhere. */
  log?: Logger;
  /**
   * The worker's spans held for done messages (see `JobData.spansToRouter`): taken into a waiting
   * router's message, and written here when no router heard it. Default: none held.
   */
  spans?: Pick<SpanCarrier, 'take' | 'write'>;
}

/** How long a job this worker cannot run waits before it is offered again, ms. */
const HAND_BACK_MS = 50;

/** How long the mark of a job's run alone is kept, s: it is read when the job comes back, at once after a crash. */
const SOLO_MARK_SECONDS = 86_400;

/**
 * How many bulk jobs (many inputs, no waiting caller) one consumer runs at once; the others it
 * holds wait their turn before opening their input. One bulk job's window of items already
 * fills the batcher, and two keep it full while one ends. Each more only held its parsed inputs
 * for longer (with 64 jobs at once, megabytes of arrays the garbage collector kept walking, a
 * third of the worker's main-thread time) and finished later. Grouped synchronous calls never
 * wait here.
 */
const BULK_JOBS_AT_ONCE = 2;

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
  private readonly bulkTurns = new SlotGate(BULK_JOBS_AT_ONCE);
  private readonly solo: SoloGate;

  constructor(
    readonly fn: string,
    private readonly connection: Redis,
    private readonly publisher: Redis,
    private readonly execute: Executor,
    private readonly opts: ConsumerOptions,
  ) {
    this.solo = opts.solo ?? new SoloGate();
    this.callbacks = new Queue(CALLBACK_QUEUE, { connection: publisher, prefix: opts.prefix });
    this.callbacks.on('error', () => undefined);
    this.worker = new Worker(functionQueueName(fn), (job, token, signal) => this.track(this.process(job, token, signal)), {
      connection,
      prefix: opts.prefix,
      concurrency: opts.concurrency,
      lockDuration: opts.lockDurationMs ?? 30_000,
      stalledInterval: opts.stalledIntervalMs ?? 30_000,
      maxStalledCount: opts.maxStalledCount ?? 2,
      autorun: true,
    });
    // A router waiting for the answer heard of it already (see `succeeded`).
    this.worker.on('completed', (job, result: InvocationResult) => {
      this.dropInput(job);
      if (!(job.data as JobData).replyTo) this.announce(job, { id: job.id!, ok: true, result });
    });
    this.worker.on('failed', (job, err) => {
      // Only a final failure is announced; a retry leaves finishedOn unset.
      if (!job?.finishedOn) return;
      // A dead letter keeps its input stored apart (it expires with the failed-job retention):
      // a retry (`POST /v1/jobs/{id}/retry`) runs it again.
      this.announce(job, { id: job.id!, ok: false, error: decodeFailure(err.message, { cipher: this.opts.cipher, id: job.id!, ns: (job.data as JobData).ns }) });
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

  private async process(job: Job, token: string | undefined, bullSignal?: AbortSignal): Promise<InvocationResult | ItemsResult> {
    const data = job.data as JobData;
    if (this.opts.serves && !this.opts.serves(data.fn, data.version)) {
      await this.stored(job, () => job.moveToDelayed(Date.now() + HAND_BACK_MS, token));
      throw new DelayedError();
    }
    const leave = data.items && !data.replyTo ? await this.bulkTurns.enter() : undefined;
    try {
      if (job.stalledCounter === 0) return await this.together(job, data, bullSignal);
      return await this.alone(job, data, bullSignal);
    } finally {
      leave?.();
    }
  }

  private async together(job: Job, data: JobData, bullSignal?: AbortSignal): Promise<InvocationResult | ItemsResult> {
    const leave = await this.solo.enterTogether();
    try {
      return await this.run(job, data, bullSignal);
    } finally {
      leave();
    }
  }

  /**
   * A job that was running when its worker died (it stalled): the crash may be its doing, or a
   * job beside it, or nothing of the jobs'. It runs alone, marked in Redis while it runs; found
   * marked when it comes back, it brought its worker down while alone, and is dead-lettered
   * (POISON_INPUT) instead of crashing the next worker, and every job there with it.
   */
  private async alone(job: Job, data: JobData, bullSignal?: AbortSignal): Promise<InvocationResult | ItemsResult> {
    const mark = keys.soloRun(this.opts.prefix, job.id!);
    if (await this.connection.exists(mark)) return this.fail(job, data, toErrorRecord(new PoisonInputError(job.id!, job.stalledCounter)), true);
    const leave = await this.solo.enterAlone();
    try {
      await this.stored(job, () => this.connection.set(mark, String(job.stalledCounter), 'EX', SOLO_MARK_SECONDS));
      return await this.run(job, data, bullSignal);
    } finally {
      leave();
      // It ended with its worker alive (a retryable failure comes back, alone again): only a crash leaves the mark.
      await this.connection.del(mark).catch(() => undefined);
    }
  }

  private async run(job: Job, data: JobData, bullSignal?: AbortSignal): Promise<InvocationResult | ItemsResult> {
    const input = await this.openInput(job, data);
    if (!input.ok) return this.fail(job, data, toErrorRecord(input.error), true);
    if (data.items) {
      const opened = input.value;
      const inputs = opened instanceof SentJson ? data.items.map((_, i) => opened.input(i)) : (opened as unknown[]);
      const result = await this.processItems(job, data, inputs, bullSignal);
      // Stored with the items' errors sealed; the waiting router hears them as they are.
      return this.succeeded(job, sealItemErrors(result, this.opts.cipher, job.id!, data.ns), result);
    }
    const attempt = job.attemptsMade + 1;
    const maxAttempts = job.opts.attempts ?? 1;
    const run = await this.attempt({ ...data, input: input.value instanceof SentJson ? input.value.input() : input.value }, job.id!, attempt, bullSignal);
    if (!run.ok) return this.fail(job, data, run.error, run.final || attempt >= maxAttempts);
    if (data.callbackUrl) await this.enqueueCallback(job);
    // Stored as the job's return value and published to the waiting router: sealed in both.
    return this.succeeded(job, { ...run.result, output: this.opts.cipher.seal(run.result.output, job.id!, data.ns) });
  }

  /**
   * Announces a waiting router's success without waiting for BullMQ to record it first: once
   * the processor returns, BullMQ writes the completion on this same connection within the
   * current turn, and the announcement is written right behind it (a tick later). Redis runs a
   * connection's commands in order, so the job is recorded as completed before the router
   * hears of it, and the reply does not wait out the completion's round trip. Async jobs keep
   * the announcement in the 'completed' handler: their listeners re-read the job.
   */
  private succeeded<R extends InvocationResult | ItemsResult>(job: Job, result: R, announced: R = result): R {
    if ((job.data as JobData).replyTo) {
      process.nextTick(() => this.announce(job, { id: job.id!, ok: true, result: announced as InvocationResult }, this.connection));
    }
    return result;
  }

  /**
   * Runs a job's items, each like a job of its own: its own deadline, trace, retries (in place,
   * with the function's backoff) and outcome. The job itself succeeds once every item has an
   * outcome; a crash re-runs it whole, as it would a single job.
   */
  private async processItems(job: Job, data: JobData, inputs: unknown[], bullSignal?: AbortSignal): Promise<ItemsResult> {
    const items = data.items!;
    const maxAttempts = job.opts.attempts ?? 1;
    const backoff = job.opts.backoff === undefined ? undefined : Backoffs.normalize(job.opts.backoff);
    const results: ItemResult[] = new Array(items.length);
    const outputs: unknown[] = new Array(items.length);
    // Every item in flight listens to the job's signal; that many listeners is no leak.
    if (bullSignal) setMaxListeners(0, bullSignal);
    const runItem = async (i: number): Promise<void> => {
      const id = itemId(job.id!, i);
      const item = items[i]!;
      const plain: JobData = {
        ...data,
        items: undefined,
        input: inputs[i],
        deadline: item.deadline ?? data.deadline,
        stream: item.stream,
        ...(item.traceparent ? { traceparent: item.traceparent, tracestate: item.tracestate } : {}),
      };
      for (let attempt = 1; ; attempt++) {
        const run = await this.attempt(plain, id, attempt, bullSignal);
        if (run.ok) {
          const { output, ...rest } = run.result;
          outputs[i] = output;
          results[i] = { ...rest, attempts: attempt };
          return;
        }
        // The job's own retry policy, applied in place: BullMQ's strategies (built-in ones are synchronous).
        const wait = backoff ? Number(Backoffs.calculate(backoff, attempt, new Error(run.error.message), job)) || 0 : 0;
        const last = run.final || attempt >= maxAttempts || !run.error.retryable || (plain.deadline !== null && Date.now() + wait >= plain.deadline);
        if (last) {
          const { output: _none, ...rest } = run.result ?? this.noResult(data);
          results[i] = { ...rest, error: run.error, attempts: attempt };
          return;
        }
        await new Promise((r) => setTimeout(r, wait));
      }
    };
    // A window of items in flight keeps the function's batcher full without queueing a whole bulk
    // job inside the worker, where its later items would spend their timeout waiting.
    let next = 0;
    const lane = async () => {
      while (next < items.length) await runItem(next++);
    };
    await Promise.all(Array.from({ length: Math.min(items.length, Math.max(1, this.opts.concurrency)) }, lane));
    if (data.callbackUrl) await this.enqueueCallback(job);
    return { items: results, outputs: this.opts.cipher.seal(outputs, job.id!, data.ns) };
  }

  /**
   * One attempt at one invocation (`data.input` in the clear): enforces its deadline and the
   * function's timeout, and says whether a failure may be retried.
   */
  private async attempt(data: JobData, id: string, attempt: number, bullSignal?: AbortSignal): Promise<Attempt> {
    if (data.deadline !== null && Date.now() > data.deadline) {
      return { ok: false, final: true, error: toErrorRecord(new DeadlineExceededError('the deadline passed before the job started')) };
    }
    const ac = new AbortController();
    const onAbort = () => ac.abort();
    bullSignal?.addEventListener('abort', onAbort, { once: true });
    const limit = Math.min(data.timeoutMs, data.deadline === null ? Infinity : data.deadline - Date.now());
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), limit);
    });
    let result: InvocationResult | 'timeout' | 'abandoned';
    // A caller that streams gets the handler's chunks through Redis; one that does not pays nothing.
    // One that went away stops the call, as a deadline would (the handler's signal), at its next
    // chunk; a call that ends with chunks on their way waits for their answers (one round trip) first.
    let abandon: () => void = () => undefined;
    const abandoned = new Promise<'abandoned'>((resolve) => (abandon = () => resolve('abandoned')));
    const chunks = data.stream ? chunkWriter(this.connection, this.opts.prefix, this.opts.cipher, id, data.ns, () => (ac.abort(), abandon())) : undefined;
    try {
      result = await Promise.race([this.execute(data, { jobId: id, attempt, signal: ac.signal, ...(chunks ? { onChunk: chunks.write } : {}) }), timedOut, abandoned]);
      // A handler that ended right after its last chunk: that chunk's write may yet find the client gone.
      if (chunks && typeof result === 'object') {
        await chunks.settled();
        if (chunks.abandoned) result = 'abandoned';
      }
    } catch (err) {
      return { ok: false, final: false, error: toErrorRecord(err) };
    } finally {
      chunks?.close();
      clearTimeout(timer);
      // Items of one job share the job's signal: leave no listener per attempt behind.
      bullSignal?.removeEventListener('abort', onAbort);
    }
    // Like a timeout, the handler is told (its signal) and not waited for: the worker's slot is free now.
    if (result === 'abandoned') return { ok: false, final: true, error: toErrorRecord(new JobCancelledError('the call was cancelled: its client went away while it ran')) };
    if (result === 'timeout') {
      ac.abort();
      const deadlinePassed = data.deadline !== null && Date.now() >= data.deadline;
      const error = toErrorRecord(deadlinePassed ? new DeadlineExceededError() : new FunctionTimeoutError(data.timeoutMs));
      return { ok: false, final: deadlinePassed, error };
    }
    if (result.error) return { ok: false, final: false, error: result.error, result };
    return { ok: true, result };
  }

  /**
   * The job's input in the clear, read first when it is stored apart (a large one): a sealed one
   * as its JSON text, unparsed (see {@link SentJson}). An input this worker holds no key for
   * (sealed before namespace keys, reaching a pool limited to namespaces) fails the job at once,
   * saying why: another attempt here would not have the key either.
   */
  private async openInput(job: Job, data: JobData): Promise<{ ok: true; value: unknown } | { ok: false; error: InputMissingError | JobFailedError }> {
    if (!isSealed(data.input)) return { ok: true, value: data.input };
    let ct: Buffer | undefined;
    if (isSealedApart(data.input)) {
      ct = (await this.connection.getBuffer(data.input.at)) ?? undefined;
      if (!ct) return { ok: false, error: new InputMissingError(job.id!) };
    }
    try {
      return { ok: true, value: new SentJson(this.opts.cipher.openBytes(data.input, job.id!, ct).toString('utf8')) };
    } catch (err) {
      return { ok: false, error: new JobFailedError(`its input cannot be opened here: ${(err as Error).message}`) };
    }
  }

  /** A succeeded job's input stored apart is not needed again (it would expire anyway). */
  private dropInput(job: Job): void {
    const input = (job.data as JobData).input;
    if (isSealedApart(input)) this.publisher.del(input.at).catch(() => undefined);
  }

  /** Result fields for an item that never reached a handler. */
  private noResult(data: JobData): InvocationResult {
    const now = Date.now();
    return { version: data.version, device: '', batchSize: 0, timings: { picked: now, started: now, finished: now } };
  }

  /** Throws so BullMQ records the failure: retried when retryable and attempts remain. */
  private async fail(job: Job, data: JobData, rec: ErrorRecord, lastAttempt: boolean): Promise<never> {
    const final = lastAttempt || !rec.retryable;
    // Enqueued before the failure is recorded, so a crash in between cannot lose the webhook;
    // the delivery waits until the job has really ended.
    if (final && data.callbackUrl) await this.enqueueCallback(job);
    // Sealed: BullMQ keeps the reason (and a stack) in the job record, in the clear.
    const seal = { cipher: this.opts.cipher, id: job.id!, ns: data.ns };
    throw final ? failureError((m) => new UnrecoverableError(m), rec, seal) : failureError((m) => new Error(m), rec, seal);
  }

  /**
   * A write this worker makes for a job it holds (its webhook delivery, its mark of a run alone).
   * While Redis is full it waits for room: failing would spend an attempt of a job that ran, or
   * end it. BullMQ's own record of the outcome goes through even then (its scripts free the
   * job's lock first, and Redis refuses only a script's first write); if the lock lapses while
   * this waits (Redis renews none while full), BullMQ finds the job stalled once memory frees
   * and it runs again: at least once, never lost.
   */
  private stored<T>(job: Job, write: () => Promise<T>): Promise<T> {
    return whenStored(write, () => this.opts.log?.warn('Redis is full (maxmemory): a job waits for room for what its worker must record', { function: this.fn, jobId: job.id }));
  }

  private async enqueueCallback(job: Job): Promise<void> {
    const jobId = job.id!;
    await this.stored(job, () => this.callbacks.add(
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
    ));
  }

  private announce(job: Job, msg: DoneMessage, via: Redis = this.publisher): void {
    const data = job.data as JobData;
    const channel = keys.doneChannel(this.opts.prefix, data.replyTo);
    // A job with items (grouped calls, a bulk job) took a quota slot per item; a router waits on
    // each item of grouped calls.
    const itemIds = data.items ? data.items.map((_, i) => itemId(job.id!, i)) : undefined;
    // Async jobs announce only their id: long-polls re-read the job, and results stay out of pub/sub.
    const payload: DoneMessage = !data.replyTo
      ? { id: msg.id, ok: msg.ok }
      : itemIds && data.replyTo
        ? { ...msg, result: undefined, items: itemMessages(itemIds, msg), outputs: (msg.result as unknown as ItemsResult | undefined)?.outputs }
        : msg;
    const spans = data.replyTo && data.spansToRouter ? this.opts.spans?.take(itemIds ?? [msg.id]) : undefined;
    if (spans?.length) payload.spans = spans;
    via
      .multi()
      .publish(channel, JSON.stringify(payload))
      // The job no longer counts against its namespace's concurrency quota (its id, or its items').
      .zrem(keys.inflight(this.opts.prefix, data.ns), msg.id, ...(itemIds ?? []))
      .exec()
      .then(
        // PUBLISH says how many subscribers got the message: none, and the spans are this worker's to write.
        (res) => {
          if (spans?.length && !((res?.[0]?.[1] as number | undefined) ?? 0)) this.opts.spans!.write(spans);
        },
        () => {
          /* The router's sweep finds the result in the job record; the quota entry expires. */
          if (spans?.length) this.opts.spans!.write(spans);
        },
      );
  }
}

/** Each item's own message: its result, or the job's failure when the job failed as a whole. */
function itemMessages(ids: string[], msg: DoneMessage): DoneMessage[] {
  const results = (msg.result as unknown as ItemsResult | undefined)?.items;
  return ids.map((id, i) => {
    const r = results?.[i];
    if (!r) return { id, ok: false, error: msg.error ?? toErrorRecord(new JobFailedError()) };
    return r.error ? { id, ok: false, error: r.error } : { id, ok: true, result: r };
  });
}
