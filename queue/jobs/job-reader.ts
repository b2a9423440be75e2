import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { toErrorRecord, type ErrorRecord, type InvocationResult } from '../../functions/sdk/index.ts';
import { ItemNotCancellableError, JobCancelledError, JobNotCancellableError, JobNotFoundError } from './errors.ts';
import { decodeFailure, jobOwner, openItemErrors, ownerFrom, type DoneMessage, type ItemResult, type ItemView, type ItemsResult, type JobData, type JobStatus, type JobView } from './job-data.ts';
import { callbackJobId, refusalOf } from './callback-policy.ts';
import { CALLBACK_QUEUE } from './names.ts';
import { keys } from '../keys.ts';
import { isSealedApart, type PayloadCipher, functionOfJobId, itemId, splitItemId } from '../cluster/index.ts';
import type { QueueSet } from './queue-set.ts';

const STATE_TO_STATUS: Record<string, JobStatus> = {
  waiting: 'queued',
  wait: 'queued',
  delayed: 'queued',
  prioritized: 'queued',
  paused: 'queued',
  'waiting-children': 'queued',
  active: 'running',
  completed: 'succeeded',
  failed: 'failed',
};

/** What a cancelled job leaves behind: BullMQ forgets removed jobs, the API must not. */
interface Tombstone {
  fn: string;
  version: string;
  ns: string;
  by: string;
  queuedAt: number;
  cancelledAt: number;
  /** The attempts and priority it was queued with (absent in tombstones older than them). */
  maxAttempts?: number;
  priority?: number;
}

/** A job's view with a successful result's fields filled in. */
function applyResult(v: JobView, r: InvocationResult | null): void {
  if (!r) return;
  v.output = r.output;
  v.version = r.version;
  v.device = r.device;
  if (r.backend) v.backend = r.backend;
  v.batchSize = r.batchSize;
  if (r.knowledge) v.knowledge = r.knowledge;
  if (r.timings?.started) v.timings.started = iso(r.timings.started)!;
}

function itemOf(id: string, r: ItemResult, output: unknown, by: string | undefined): ItemView {
  const caller = by === undefined ? {} : { submittedBy: by };
  if (r.error) return { id, status: 'failed', error: errorView(r.error), attempts: r.attempts, ...caller };
  return { id, status: 'succeeded', output, attempts: r.attempts, ...caller };
}

function errorView(e: ErrorRecord): NonNullable<JobView['error']> {
  // Extras never stand in for the record's own fields.
  return { ...(e.extra ?? {}), code: e.code, message: e.message, retryable: e.retryable };
}

/** W3C `traceparent`: version, trace id, parent id, flags. */
const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

const iso = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : undefined);

/** Reads, lists and cancels jobs, turning BullMQ's records into the API's {@link JobView}. */
export class JobReader {
  constructor(
    private readonly redis: Redis,
    private readonly queues: QueueSet,
    private readonly prefix: string,
    private readonly cipher: PayloadCipher,
    private readonly cancelledTtlSeconds = 86_400,
  ) {}

  /**
   * A job, or one item of a job with many inputs (`<job id>.<index>`).
   * @throws JobNotFoundError
   */
  async get(id: string): Promise<JobView> {
    const item = splitItemId(id);
    const { job, state } = await this.read(item?.jobId ?? id);
    if (job && !item) return this.view(job, state);
    if (job && item) return this.itemView(job, state, item.index, id);
    const tomb = await this.redis.get(keys.cancelled(this.prefix, item?.jobId ?? id));
    if (tomb) return { ...this.cancelledView(id, JSON.parse(tomb) as Tombstone), ...(item ? { partOf: item.jobId } : {}) };
    throw new JobNotFoundError(id);
  }

  /** The final message of a finished job (or item), or undefined while it is queued or running. */
  async check(id: string): Promise<DoneMessage | undefined> {
    const item = splitItemId(id);
    const jobId = item?.jobId ?? id;
    // The sweep asks this of every long wait each second: a running job costs one state read.
    const state = await this.stateOf(jobId);
    if (state !== 'completed' && state !== 'failed') {
      if (state !== 'unknown') return undefined;
      const tomb = await this.redis.exists(keys.cancelled(this.prefix, jobId));
      return tomb ? { id, ok: false, error: toErrorRecord(new JobCancelledError()) } : undefined;
    }
    const job = await this.find(jobId);
    if (!job) return undefined; // removed by retention in between
    if (state === 'failed') return { id, ok: false, error: this.failure(job) };
    if (!item) return { id, ok: true, result: this.openResult(id, job.returnvalue as InvocationResult) };
    const all = job.returnvalue as ItemsResult | null;
    const r = all?.items?.[item.index];
    if (!r) return undefined;
    const error = openItemErrors(all!, this.cipher, item.jobId)[item.index];
    return error ? { id, ok: false, error } : { id, ok: true, result: { ...r, output: this.openOutputs(item.jobId, all!.outputs)[item.index] } };
  }

  /**
   * Whether job `id` (or an item's job) is not in Redis at all, and was not cancelled: after a
   * failover, a job the old master took but had not replicated.
   */
  async missing(id: string): Promise<boolean> {
    const jobId = splitItemId(id)?.jobId ?? id;
    if ((await this.stateOf(jobId)) !== 'unknown') return false;
    return (await this.redis.exists(keys.cancelled(this.prefix, jobId))) === 0;
  }

  /**
   * State first, record second: a job read before it completes and a state read after would say
   * "succeeded" without an output.
   */
  private async read(id: string): Promise<{ job: Job | undefined; state: string }> {
    const state = await this.stateOf(id);
    const job = state === 'unknown' ? undefined : await this.find(id);
    return { job, state };
  }

  private async stateOf(id: string): Promise<string> {
    const fn = functionOfJobId(id);
    return fn ? this.queues.get(fn).getJobState(id) : 'unknown';
  }

  /**
   * Cancels a job that has not started. The tombstone is written first so that a reader never
   * sees the job vanish; BullMQ refuses to remove a job that holds a worker's lock.
   * @throws JobNotFoundError, JobNotCancellableError
   */
  async cancel(id: string): Promise<JobView> {
    const item = splitItemId(id);
    if (item) throw new ItemNotCancellableError(id, item.jobId);
    const job = await this.find(id);
    if (!job) {
      if (await this.redis.exists(keys.cancelled(this.prefix, id))) throw new JobNotCancellableError(id, 'cancelled');
      throw new JobNotFoundError(id);
    }
    const status = STATE_TO_STATUS[await job.getState()] ?? 'queued';
    if (status !== 'queued') throw new JobNotCancellableError(id, status);
    const data = job.data as JobData;
    const tomb: Tombstone = {
      fn: data.fn,
      version: data.version,
      ns: data.ns,
      by: data.by,
      queuedAt: job.timestamp,
      cancelledAt: Date.now(),
      maxAttempts: job.opts.attempts ?? 1,
      ...(job.opts.priority ? { priority: job.opts.priority } : {}),
    };
    const key = keys.cancelled(this.prefix, id);
    await this.redis.set(key, JSON.stringify(tomb), 'EX', this.cancelledTtlSeconds);
    try {
      await job.remove();
    } catch {
      // A worker took it between our read and the remove: it is running, not cancelled.
      await this.redis.del(key);
      throw new JobNotCancellableError(id, 'running');
    }
    // Its concurrency slots: the job's, or a bulk job's one per item.
    await this.redis.zrem(keys.inflight(this.prefix, data.ns), id, ...(data.items ?? []).map((_, i) => itemId(id, i)));
    if (isSealedApart(data.input)) await this.redis.del(data.input.at);
    await this.redis.publish(keys.doneChannel(this.prefix), JSON.stringify({ id, ok: false, error: toErrorRecord(new JobCancelledError()) } satisfies DoneMessage));
    return this.cancelledView(id, tomb);
  }

  /** Lists a function's jobs in one status, newest first. */
  async list(fn: string, status: JobStatus, limit: number): Promise<JobView[]> {
    const types: Record<JobStatus, string[]> = {
      queued: ['waiting', 'delayed', 'prioritized'],
      running: ['active'],
      succeeded: ['completed'],
      failed: ['failed'],
      cancelled: [],
    };
    const jobs = await this.queues.get(fn).getJobs(types[status] as never, 0, limit - 1, false);
    return Promise.all(jobs.filter(Boolean).map(async (j) => this.view(j, await j.getState())));
  }

  /** The job's namespace and submitter, for access checks, without building a whole view. */
  async ownerOf(id: string): Promise<{ namespace: string; owner: string | null } | undefined> {
    const item = splitItemId(id);
    const jobId = item?.jobId ?? id;
    const job = await this.find(jobId);
    if (job) return { namespace: (job.data as JobData).ns, owner: jobOwner(job.data as JobData, item?.index) };
    const tomb = await this.redis.get(keys.cancelled(this.prefix, jobId));
    if (!tomb) return undefined;
    const t = JSON.parse(tomb) as Tombstone;
    return { namespace: t.ns, owner: ownerFrom(t.by) };
  }

  /**
   * Who owns a job (or an item: `<job id>.<index>`) and the id of the trace that submitted it (an
   * item of grouped calls has its caller's own). Undefined when no such job is kept; no `traceId`
   * for a cancelled job (only its tombstone is left) or one submitted without trace context.
   * `endedAt`: when the job ended (epoch ms), null while it is queued or running, absent for a tombstone.
   */
  async traceOf(id: string): Promise<{ namespace: string; owner: string | null; traceId?: string; endedAt?: number | null } | undefined> {
    const item = splitItemId(id);
    const job = await this.find(item?.jobId ?? id);
    if (!job) return this.ownerOf(id);
    const data = job.data as JobData;
    if (item && !data.items?.[item.index]) return undefined;
    const traceId = TRACEPARENT.exec((item ? data.items![item.index]!.traceparent : undefined) ?? data.traceparent ?? '')?.[1];
    return { namespace: data.ns, owner: jobOwner(data, item?.index), ...(traceId ? { traceId } : {}), endedAt: job.finishedOn ?? null };
  }

  /**
   * The input of a job (or of item `<job id>.<index>`), opened; `{}` when it is no longer stored
   * (a large input, kept apart, is dropped once its job succeeds) or the job is gone.
   */
  async inputOf(id: string): Promise<{ input?: unknown }> {
    const item = splitItemId(id);
    const jobId = item?.jobId ?? id;
    const job = await this.find(jobId);
    const sealed = (job?.data as JobData | undefined)?.input;
    if (sealed === undefined) return {};
    let apart: Buffer | undefined;
    if (isSealedApart(sealed)) {
      apart = (await this.redis.getBuffer(sealed.at)) ?? undefined;
      if (!apart) return {};
    }
    const value = this.cipher.open(sealed, jobId, apart);
    if (!item) return { input: value };
    const one = Array.isArray(value) ? value[item.index] : undefined;
    return one === undefined ? {} : { input: one };
  }

  /** A result with its output opened. */
  openResult(id: string, r: InvocationResult): InvocationResult {
    return r && { ...r, output: this.cipher.open(r.output, id) };
  }

  /** A published message with its output(s) opened: one result, or a grouped job's items. */
  openMessage(msg: DoneMessage): DoneMessage {
    if (msg.items) {
      const outputs = this.openOutputs(msg.id, msg.outputs);
      return { ...msg, outputs: undefined, items: msg.items.map((m, i) => (m.result ? { ...m, result: { ...m.result, output: outputs[i] } } : m)) };
    }
    return msg.result ? { ...msg, result: this.openResult(msg.id, msg.result) } : msg;
  }

  /** The outputs of a job with items, opened (undefined where an item failed). */
  /** A failed job's error record, opened (see `encodeFailure`). */
  private failure(job: Job): ErrorRecord {
    return decodeFailure(job.failedReason, { cipher: this.cipher, id: job.id!, ns: (job.data as JobData).ns });
  }

  private openOutputs(jobId: string, sealed: unknown): unknown[] {
    return (this.cipher.open(sealed, jobId) as unknown[] | undefined) ?? [];
  }

  private async find(id: string): Promise<Job | undefined> {
    const fn = functionOfJobId(id);
    if (!fn) return undefined;
    return (await this.queues.get(fn).getJob(id)) ?? undefined;
  }

  private async view(job: Job, state: string): Promise<JobView> {
    const data = job.data as JobData;
    const v = this.baseView(job, state);
    if (v.status === 'succeeded' && data.items) {
      const all = job.returnvalue as ItemsResult | null;
      const results = all?.items ?? [];
      const outputs = all ? this.openOutputs(job.id!, all.outputs) : [];
      const errors = all ? openItemErrors(all, this.cipher, job.id!) : [];
      v.items = results.map((r, i) => itemOf(itemId(job.id!, i), { ...r, error: errors[i] }, outputs[i], data.items![i]?.by));
      v.itemsFailed = v.items.filter((it) => it.status === 'failed').length;
      const first = results[0];
      if (first) Object.assign(v, { version: first.version, device: first.device, ...(first.backend ? { backend: first.backend } : {}) });
    } else if (v.status === 'succeeded') {
      applyResult(v, this.openResult(job.id!, job.returnvalue as InvocationResult));
    } else if (v.status === 'failed') {
      v.error = errorView(this.failure(job));
    }
    if (data.items) v.itemCount = data.items.length;
    if (data.callbackUrl) v.callback = await this.callbackState(job.id!, data.callbackUrl);
    return v;
  }

  /** One item's view: its job's record, with the item's own outcome once the job has ended. */
  private itemView(job: Job, state: string, index: number, id: string): JobView {
    const data = job.data as JobData;
    if (!data.items || index >= data.items.length) throw new JobNotFoundError(id);
    const v: JobView = { ...this.baseView(job, state), id, partOf: job.id!, submittedBy: jobOwner(data, index) };
    if (v.status === 'failed') v.error = errorView(this.failure(job));
    const all = job.returnvalue as ItemsResult | null;
    const r = all?.items?.[index];
    if (v.status !== 'succeeded' || !r) return v;
    v.attempts = r.attempts;
    v.timings.finished = iso(r.timings.finished)!;
    const error = openItemErrors(all!, this.cipher, job.id!)[index];
    if (!error) applyResult(v, { ...r, output: this.openOutputs(job.id!, all!.outputs)[index] });
    else Object.assign(v, { status: 'failed', error: errorView(error) });
    return v;
  }

  /** What every view has: identity, status, attempts and timings. */
  private baseView(job: Job, state: string): JobView {
    const data = job.data as JobData;
    const status = STATE_TO_STATUS[state] ?? 'queued';
    const v: JobView = {
      id: job.id!,
      function: data.fn,
      version: data.version,
      namespace: data.ns,
      submittedBy: jobOwner(data),
      status,
      attempts: Math.max(job.attemptsStarted ?? 0, job.attemptsMade),
      maxAttempts: job.opts.attempts ?? 1,
      ...(job.opts.priority ? { priority: job.opts.priority } : {}),
      timings: { queued: iso(job.timestamp)! },
    };
    const started = iso(job.processedOn);
    if (started && status !== 'queued') v.timings.started = started;
    if (status === 'succeeded' || status === 'failed') {
      const finished = iso(job.finishedOn);
      if (finished) v.timings.finished = finished;
    }
    return v;
  }

  private async callbackState(id: string, url: string): Promise<NonNullable<JobView['callback']>> {
    // State first, then the record: BullMQ moves a job to failed or completed and writes its
    // attempts and reason in one script, so a record read after a final state is complete. Read
    // the other way round, a delivery that ends in between shows as failed with nothing recorded.
    const queue = this.queues.named(CALLBACK_QUEUE);
    const state = await queue.getJobState(callbackJobId(id));
    const cb = await queue.getJob(callbackJobId(id));
    if (!cb) return { url, status: 'pending', attempts: 0 };
    const status = state === 'completed' ? 'delivered' : state === 'failed' ? 'failed' : 'pending';
    const refused = status === 'failed' ? refusalOf(cb.failedReason) : undefined;
    return { url, status, attempts: cb.attemptsMade, ...(refused ? { refused } : {}) };
  }

  private cancelledView(id: string, t: Tombstone): JobView {
    return {
      id,
      function: t.fn,
      version: t.version,
      namespace: t.ns,
      submittedBy: ownerFrom(t.by),
      status: 'cancelled',
      attempts: 0,
      maxAttempts: t.maxAttempts ?? 1,
      ...(t.priority ? { priority: t.priority } : {}),
      timings: { queued: iso(t.queuedAt)!, finished: iso(t.cancelledAt)! },
    };
  }
}
