import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { DepthGauge } from './depth-gauge.ts';
import { IdempotencyConflictError, QueueFullError, queueError } from './errors.ts';
import { type FunctionRecord, randomPooled, type PayloadCipher, ReplicaWait, ReplicaWaitFailedError, ReplicasBehindError, type Sealed, newJobId } from '../cluster/index.ts';
import type { ItemData, JobData } from './job-data.ts';
import { keys } from '../keys.ts';

import type { QueueSet } from './queue-set.ts';

/**
 * Inputs of at least this many bytes of JSON are stored apart from the job record. Inline, an
 * input travels as base64 inside BullMQ's JSON job data, which every hop copies, measures and
 * converts, and Redis keeps with the finished job. Apart, it costs one more key to write, read
 * and delete. Measured with groups of synchronous calls (docs/gpu-pool.md): inline was cheaper
 * at ~3 KB a job and even near 8 KB; at ~100 KB (a group of LSTM inputs) apart took ~7% less
 * machine CPU per call, and a quarter less of Redis's. A lone call of a usual size stays
 * inline, and pays no extra round trip.
 */
const APART_BYTES = 16 * 1024;

/** Options of a {@link JobSubmitter}; every field has a production default. */
export interface SubmitterOptions {
  /** Redis key prefix. */
  prefix: string;
  /** Waiting jobs per function queue before submissions get 503. Default 10,000. */
  maxQueueDepth?: number;
  /** How long finished results are kept, seconds. Default 86,400 (1 day). */
  resultTtlSeconds?: number;
  /** How long failed jobs (dead letters) are kept, seconds. Default 604,800 (7 days). */
  failedTtlSeconds?: number;
  /** Seals inputs before they reach Redis. */
  cipher: PayloadCipher;
  /**
   * Replicas that must hold an async job before `submit` returns (`AUTOGLM_REDIS_MIN_REPLICAS`).
   * Default none. Sync calls do not wait: their caller waits for the result itself, and a job
   * lost in a failover ends in a 503 or a timeout, never in a result.
   */
  replicaWait?: ReplicaWait;
}

/** One invocation to enqueue: one input, or many as `items`; the job data it carries as {@link JobData} describes it. */
export interface SubmitRequest extends Pick<JobData, 'ns' | 'by' | 'deadline' | 'traceparent' | 'tracestate' | 'replyTo' | 'spansToRouter' | 'callbackUrl' | 'shadow' | 'stream' | 'solo'> {
  rec: FunctionRecord;
  input: unknown;
  /** Many inputs in one job: their inputs (in the clear; sealed here, together) and what each carries. */
  items?: (ItemData & { input: unknown })[];
  /**
   * `input`, or the items' inputs as an array, as JSON text the way the client sent it: sealed
   * as it is. Without it the parsed value is serialized again, which for a bulk job costs the
   * router more than everything else it does.
   */
  inputJson?: Uint8Array;
  /** With `bodyHash`: makes the submission safe to retry; a key is the caller's (`by`) own. */
  idempotencyKey?: string;
  bodyHash?: string;
  /**
   * Its place among the queued async jobs ({@link MIN_PRIORITY} first). Default: {@link DEFAULT_PRIORITY}
   * for an async job, none (ahead of them all) for a sync call; a shadow copy of an async job has its job's.
   */
  priority?: number;
}

/**
 * Priorities of async jobs, lowest first (BullMQ's order). Sync calls have none: BullMQ takes
 * those before any prioritized job, so a caller waiting on the line never queues behind async work.
 */
export const MIN_PRIORITY = 1;
export const MAX_PRIORITY = 10;
export const DEFAULT_PRIORITY = 5;

/**
 * Puts invocations on their function's queue: backpressure by queue depth, idempotency keys,
 * per-function retry policy and retention. Owns nothing but gauges; it works on the queues'
 * connection, which is the caller's.
 */
export class JobSubmitter {
  private readonly gauges = new Map<string, DepthGauge>();
  private readonly maxDepth: number;
  private readonly resultTtl: number;
  private readonly failedTtl: number;

  /** Redis commands go on the queues' connection, so they run in order with the jobs' (see `add`). */
  private readonly redis: Redis;

  constructor(
    private readonly queues: QueueSet,
    private readonly opts: SubmitterOptions,
  ) {
    this.redis = queues.connection;
    this.maxDepth = opts.maxQueueDepth ?? 10_000;
    this.resultTtl = opts.resultTtlSeconds ?? 86_400;
    this.failedTtl = opts.failedTtlSeconds ?? 604_800;
  }

  /**
   * Enqueues `req`. Returns the job id and whether a new job was made (false when an idempotent
   * retry found the earlier one). Pass `newId` to know the id before the job exists (a
   * synchronous caller registers its result waiter first, so no fast result can be missed).
   * @throws QueueFullError when the queue is at its depth limit.
   * @throws IdempotencyConflictError when the key was used with another body.
   * @throws StoreFullError when Redis is at its maxmemory; QueueUnavailableError when it cannot be reached.
   */
  async submit(req: SubmitRequest, newId: string = newJobId(req.rec.name)): Promise<{ id: string; created: boolean }> {
    try {
      const marks = await this.markReplicated(req);
      let id = newId;
      let created = true;
      const claim = req.idempotencyKey === undefined ? undefined : await this.claimKey(req, id);
      if (claim && claim.id !== id) {
        id = claim.id;
        created = false;
      }
      if (created) await this.checkDepth(req.rec.name);
      // A replay adds the job only if the first attempt died before adding it (adding an
      // existing id would be a no-op, but a large input would still be stored again, unused).
      // A job added and since removed (a failed job kept for AUTOGLM_FAILED_TTL, shorter than
      // the key's AUTOGLM_RESULT_TTL) is not run again: the key still names it, and it is gone.
      else if (claim!.added || (await this.redis.exists(keys.cancelled(this.opts.prefix, id), this.queues.get(req.rec.name).toKey(id)))) return { id, created };
      await this.add(req, id);
      // Best effort: the job is accepted either way; an unmarked key only lets a replay after
      // the job's removal run it again.
      if (claim) await this.redis.set(claim.key, `${claim.value} added`, 'KEEPTTL').catch(() => undefined);
      if (marks) await this.confirmReplicated(marks);
      return { id, created };
    } catch (err) {
      if (err instanceof QueueFullError || err instanceof IdempotencyConflictError || err instanceof ReplicasBehindError || err instanceof ReplicaWaitFailedError) throw err;
      throw queueError(err);
    }
  }

  /**
   * The connections an async submission writes on, marked before it writes (see
   * `ReplicaWait.mark`); undefined when nothing is to be confirmed (a sync call, a shadow copy,
   * no replica required). WAIT counts only its own connection's writes: it goes on the client
   * BullMQ adds the job with, and on ours if that is another.
   */
  private async markReplicated(req: SubmitRequest): Promise<Map<Redis, number> | undefined> {
    const wait = this.opts.replicaWait ?? ReplicaWait.none;
    if (wait.replicas === 0 || req.replyTo || req.shadow) return undefined;
    // BullMQ types its client as an interface; it is the ioredis connection it was given or opened.
    const client = (await this.queues.get(req.rec.name).getBackend().client) as unknown as Redis;
    return new Map([client, this.redis].map((c) => [c, wait.mark(c)]));
  }

  /** Waits until enough replicas hold what this submission wrote (a replay too: the earlier attempt's 503 may have been for want of them). */
  private async confirmReplicated(marks: Map<Redis, number>): Promise<void> {
    for (const [conn, mark] of marks) await this.opts.replicaWait!.confirm(conn, mark);
  }

  private async checkDepth(fn: string): Promise<void> {
    const gauge = this.gauge(fn);
    if (gauge.estimate() < this.maxDepth) return;
    // The estimate may be stale; refuse only on a fresh count.
    const depth = await gauge.refresh();
    if (depth >= this.maxDepth) throw new QueueFullError(fn, depth);
  }

  /**
   * Claims the idempotency key for `id`, or finds the job id that already holds it. The key's
   * value is `<job id> <body hash>`, then ` added` once the job was added: a replay re-adds only
   * a job whose first submission died before adding it, never one that was added and removed.
   */
  private async claimKey(req: SubmitRequest, id: string): Promise<{ id: string; added: boolean; key: string; value: string }> {
    // Scoped to the caller (the token's subject), as payment APIs scope keys to an account: two
    // callers choosing the same key get a job each, and neither learns the other's job id.
    const keyHash = createHash('sha256').update(`${req.by}\n${req.idempotencyKey!}`).digest('hex').slice(0, 32);
    const key = keys.idempotency(this.opts.prefix, req.ns, req.rec.name, keyHash);
    const value = `${id} ${req.bodyHash ?? ''}`;
    const ok = await this.redis.set(key, value, 'EX', this.resultTtl, 'NX');
    if (ok === 'OK') return { id, added: false, key, value };
    const existing = (await this.redis.get(key)) ?? value;
    const [existingId, existingHash, mark] = existing.split(' ');
    if (existingHash !== (req.bodyHash ?? '')) throw new IdempotencyConflictError(existingId!);
    return { id: existingId!, added: mark === 'added', key, value: existing };
  }

  private async add(req: SubmitRequest, id: string): Promise<void> {
    const m = req.rec.manifest;
    const { sealed, stored } = this.sealInput(req, id);
    const data: JobData = {
      fn: req.rec.name,
      version: req.rec.version,
      input: sealed,
      ...(req.items ? { items: req.items.map(({ input: _input, ...it }) => it) } : {}),
      ns: req.ns,
      by: req.by,
      deadline: req.deadline,
      timeoutMs: m.timeout,
      enqueuedAt: Date.now(),
      ...(req.traceparent ? { traceparent: req.traceparent } : {}),
      ...(req.tracestate ? { tracestate: req.tracestate } : {}),
      ...(req.replyTo ? { replyTo: req.replyTo } : {}),
      ...(req.replyTo && req.spansToRouter ? { spansToRouter: true } : {}),
      ...(req.callbackUrl ? { callbackUrl: req.callbackUrl } : {}),
      ...(req.shadow ? { shadow: true } : {}),
      ...(req.stream ? { stream: true } : {}),
      ...(req.solo ? { solo: true } : {}),
    };
    // A caller waiting on the line goes ahead of queued async work (see MIN_PRIORITY).
    const priority = req.priority ?? (req.replyTo ? undefined : DEFAULT_PRIORITY);
    // Adding with an existing jobId is a no-op in BullMQ, which makes idempotent retries safe
    // even when an earlier attempt claimed the key but died before adding the job.
    const added = this.queues.get(req.rec.name).add('invoke', data, {
      jobId: id,
      ...(priority === undefined ? {} : { priority }),
      attempts: m.retries + 1,
      backoff: { type: 'exponential', delay: m.retryBackoff },
      removeOnComplete: { age: this.resultTtl },
      removeOnFail: { age: this.failedTtl },
    });
    // The job is sent right behind its input's SET, without waiting for that reply (a round
    // trip, ~3 ms of a loaded router's latency): both go on the queues' connection in the order
    // issued, and Redis runs a connection's commands in order, so no worker can see the job
    // before its input exists. Both must succeed for the submission to count.
    await Promise.all([stored, added]);
    this.gauge(req.rec.name).added();
  }

  /**
   * Seals the job's input (from the bytes the client sent, when given). A large one is stored
   * apart, under its own key, written (`stored`) on the queues' connection ahead of the job that
   * names it; the worker that ends the job deletes it, and it expires with the failed-job
   * retention at the latest.
   */
  private sealInput(req: SubmitRequest, id: string): { sealed: Sealed | undefined; stored?: Promise<unknown> } {
    const value = req.items ? req.items.map((it) => it.input) : req.input;
    const json = req.inputJson ?? (value === undefined ? undefined : Buffer.from(JSON.stringify(value), 'utf8'));
    if (json === undefined) return { sealed: undefined };
    if (json.length < APART_BYTES) return { sealed: this.opts.cipher.sealJson(json, id, req.ns) };
    // A key per submission: an idempotent replay (whose add is a no-op when the job exists) must
    // not overwrite the ciphertext the existing job's envelope was sealed with.
    const { sealed, ct } = this.opts.cipher.sealApart(json, id, req.ns, keys.input(this.opts.prefix, id, randomPooled(6).toString('hex')));
    return { sealed, stored: this.redis.set(sealed.at, ct, 'EX', this.failedTtl) };
  }

  private gauge(fn: string): DepthGauge {
    let g = this.gauges.get(fn);
    if (!g) this.gauges.set(fn, (g = new DepthGauge(this.queues.get(fn))));
    return g;
  }
}
