import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { toErrorRecord, type ErrorRecord, type Logger, type TrainingProgress } from '../../functions/sdk/index.ts';
import { TRAINING_ENDS, type TrainedFiles, type TrainingStore, type TrainingView } from '../cluster/index.ts';
import { trainingQueue } from './names.ts';
import type { TrainingJobData, TrainingJobs } from './training-jobs.ts';

/**
 * Runs one training to its end and returns the files it wrote and its report. `signal` aborts it
 * (a cancel, the worker stopping): it then rejects, with the signal's reason, once nothing of the
 * training runs any more. An error whose `retryable` is true (an `ErrorRecord`'s) may be retried.
 * `progress` takes what the training reports, as often as it comes: the consumer throttles it.
 */
export type TrainingRunner = (view: TrainingView, attempt: number, signal: AbortSignal, progress: (p: TrainingProgress) => void) => Promise<TrainedFiles>;

/** Options of {@link TrainingConsumer.open}. */
export interface TrainingConsumerOptions {
  /** The queue consumed: `train.<kind>`, the kind of the worker's slot. */
  kind: 'cpu' | 'gpu';
  /** Trainings this worker runs at once [1]. */
  concurrency?: number;
  /** BullMQ's connection (blocking commands): not shared with anything else. */
  connection: Redis;
  /** A connection for the cancel channel's subscription. */
  subscriber: Redis;
  prefix: string;
  store: TrainingStore;
  jobs: TrainingJobs;
  workerId: string;
  run: TrainingRunner;
  /**
   * Whether this worker may run a training (its pool serves the training's namespace, so it holds
   * the keys that open its dataset). One it may not goes back to the queue for a moment, for a
   * worker that may, without spending an attempt. [every training]
   */
  serves?: (view: TrainingView) => boolean;
  /** How long an ended training's record stays, s [7 days]. */
  keepS?: number;
  /** How long a job's lock lasts without renewal, ms [30,000]. */
  lockDurationMs?: number;
  /** How often stalled jobs (their worker died) are looked for, ms [30,000]. */
  stalledIntervalMs?: number;
  /** How often progress is written at most, ms [1,000]. */
  progressEveryMs?: number;
  /** How often running trainings are checked for a cancel the channel did not bring (a reconnect), ms [5,000]. */
  cancelPollMs?: number;
  log?: Logger;
}

/** How long a training this worker may not run waits before it is offered again, ms: trainings are not in a hurry. */
const HAND_BACK_MS = 1_000;

/** Why a running training's signal fired. */
type StopCause = 'cancelled' | 'closing';

/**
 * Consumes a worker's training queue (`train.cpu` or `train.gpu`) and owns everything BullMQ
 * of a training: `running` when taken; on success the files stored (`finishing`) and the
 * router's recording step queued; a cancel (heard on the store's channel, or found on the
 * record) stops the run and ends it `cancelled`, never retried; a retryable error is retried by
 * BullMQ while attempts remain (1 + the manifest's `training.retries`), any other, or the last,
 * ends it `failed` with its record. An end here queues the recording step too, for a router to
 * record the end. A training already ended when taken is skipped.
 *
 * On {@link close} the running trainings are stopped (their processes killed within the grace)
 * and handed back to the queue at once, without spending an attempt: another worker takes them
 * from the start. A worker that dies instead leaves its training to BullMQ's stalled check, which
 * hands it back the same way once its lock expires (and fails it, `WORKER_LOST`, when that
 * happens twice).
 */
export class TrainingConsumer {
  private readonly worker: Worker;
  private readonly running = new Map<string, { stop: AbortController; cause?: StopCause }>();
  /** Runs whose runner has not settled yet (its process may still be there), and who waits for none. */
  private runs = 0;
  private idlers: (() => void)[] = [];
  private readonly keepS: number;
  private readonly poll: NodeJS.Timeout;
  private stopCancels: (() => Promise<void>) | undefined;
  private closing: Promise<void> | undefined;

  private constructor(private readonly opts: TrainingConsumerOptions) {
    this.keepS = opts.keepS ?? 7 * 86_400;
    this.worker = new Worker(trainingQueue(opts.kind), (job: Job<TrainingJobData>, token) => this.process(job, token), {
      connection: opts.connection,
      prefix: opts.prefix,
      concurrency: opts.concurrency ?? 1,
      lockDuration: opts.lockDurationMs ?? 30_000,
      stalledInterval: opts.stalledIntervalMs ?? 30_000,
      maxStalledCount: 1,
    });
    // Errors surface on the calls that hit them (Redis gone: BullMQ reconnects); the emitter must not crash the process.
    this.worker.on('error', () => undefined);
    // A final failure the processor did not record (it stalled twice: its workers died; or Redis
    // failed it on the last attempt): the record ends too. A no-op when it ended already.
    this.worker.on('failed', (job, err) => {
      if (!job?.finishedOn || err instanceof UnrecoverableError) return;
      const code = /stalled/i.test(err.message) ? 'WORKER_LOST' : 'INTERNAL';
      void this.end(job.data.trainingId, 'failed', { code, message: err.message, retryable: false }).catch(() => undefined);
    });
    this.poll = setInterval(() => void this.pollCancels(), opts.cancelPollMs ?? 5_000);
    this.poll.unref();
  }

  /** Subscribes to cancels, then starts taking trainings. */
  static async open(opts: TrainingConsumerOptions): Promise<TrainingConsumer> {
    let c: TrainingConsumer | undefined;
    // Subscribed before the first training is taken: no cancel of a training running here is missed.
    const stopCancels = await opts.store.watchCancels(opts.subscriber, (id) => c?.stop(id, 'cancelled'));
    c = new TrainingConsumer(opts);
    c.stopCancels = stopCancels;
    return c;
  }

  /** Trainings running here now. */
  get active(): number {
    return this.running.size;
  }

  /**
   * Resolves once no training runs here: every runner has settled (so its process is gone), its
   * outcome perhaps not yet written to Redis.
   */
  idle(): Promise<void> {
    return this.runs === 0 ? Promise.resolve() : new Promise((r) => this.idlers.push(r));
  }

  /** Stops the running trainings (handed back to the queue), stops taking more. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.poll);
      for (const id of this.running.keys()) this.stop(id, 'closing');
      await this.worker.close();
      await this.stopCancels?.().catch(() => undefined);
    })();
    return this.closing;
  }

  private stop(id: string, cause: StopCause): void {
    const r = this.running.get(id);
    if (!r || r.cause) return;
    r.cause = cause;
    r.stop.abort(new Error(cause === 'cancelled' ? 'the training was cancelled' : 'the worker running the training is stopping'));
  }

  private async pollCancels(): Promise<void> {
    for (const id of this.running.keys()) if (await this.opts.store.cancelAsked(id).catch(() => false)) this.stop(id, 'cancelled');
  }

  private async process(job: Job<TrainingJobData>, token: string | undefined): Promise<void> {
    const { store, jobs } = this.opts;
    const id = job.data.trainingId;
    const view = await store.get(id);
    // Ended (or expired) while it waited: nothing to do.
    if (!view || TRAINING_ENDS.includes(view.status)) return;
    // An earlier attempt stored its files and died before the recording step was queued (queued once: job id = training id).
    if (view.status === 'finishing') return jobs.finish(id);
    if (view.cancel) return this.cancelled(id);
    if (this.opts.serves && !this.opts.serves(view)) {
      await job.moveToDelayed(Date.now() + HAND_BACK_MS, token);
      throw new DelayedError();
    }
    const attempt = job.attemptsMade + 1;
    await store.running(id, this.opts.workerId, attempt);
    const entry: { stop: AbortController; cause?: StopCause } = { stop: new AbortController() };
    this.running.set(id, entry);
    // A cancel between the read above and now was not heard by `stop` (not running yet).
    if (await store.cancelAsked(id)) this.stop(id, 'cancelled');
    const progress = new ProgressWriter((p) => Promise.all([store.progress(id, p), job.updateProgress(p as object)]).then(() => undefined), this.opts.progressEveryMs ?? 1_000, this.opts.log);
    try {
      let files: TrainedFiles;
      this.runs++;
      try {
        files = await this.opts.run(view, attempt, entry.stop.signal, progress.push);
      } finally {
        if (--this.runs === 0) for (const r of this.idlers.splice(0)) r();
        await progress.close();
      }
      if (entry.cause === 'cancelled' || (await store.cancelAsked(id))) return this.cancelled(id);
      await store.trained(id, view.namespace, files);
      await jobs.finish(id);
    } catch (err) {
      if (err instanceof UnrecoverableError) throw err;
      if (entry.cause === 'closing') {
        // Back to the queue now, for another worker, without spending an attempt.
        await job.moveToDelayed(Date.now(), token);
        throw new DelayedError();
      }
      if (entry.cause === 'cancelled' || (await store.cancelAsked(id).catch(() => false))) return this.cancelled(id);
      const error = toErrorRecord(err);
      if (error.retryable && attempt < (job.opts.attempts ?? 1)) {
        this.opts.log?.warn('training failed; it will be retried', { training: id, attempt, code: error.code, message: error.message });
        throw err;
      }
      await this.end(id, 'failed', error);
      throw new UnrecoverableError(`${error.code}: ${error.message}`);
    } finally {
      this.running.delete(id);
    }
  }

  /** Ends a cancelled training, saying who cancelled it, as a router does; the job fails without retry. */
  private async cancelled(id: string): Promise<never> {
    const by = (await this.opts.store.get(id))?.cancel?.by ?? 'someone';
    await this.end(id, 'cancelled', { code: 'TRAINING_CANCELLED', message: `cancelled by ${by}`, retryable: false });
    throw new UnrecoverableError('the training was cancelled');
  }

  /** Ends training `id` here, and queues its end for a router to record (the audit is the router's), unless it had ended already. */
  private async end(id: string, status: 'failed' | 'cancelled', error: ErrorRecord): Promise<void> {
    if (await this.opts.store.end(id, status, { error, keepS: this.keepS })) await this.opts.jobs.finish(id);
  }
}

/**
 * Writes a training's progress at most once per `everyMs`: the last report of each interval,
 * so a training that reports every step costs Redis one write a second, and the final state lands.
 */
class ProgressWriter {
  private latest: TrainingProgress | undefined;
  private last = 0;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly write: (p: TrainingProgress) => Promise<void>,
    private readonly everyMs: number,
    private readonly log: Logger | undefined,
  ) {}

  readonly push = (p: TrainingProgress): void => {
    this.latest = p;
    if (this.timer) return;
    const wait = this.last + this.everyMs - Date.now();
    if (wait <= 0) this.flush();
    else this.timer = setTimeout(() => this.flush(), wait);
  };

  private flush(): void {
    this.timer = undefined;
    const p = this.latest;
    if (!p) return;
    this.latest = undefined;
    this.last = Date.now();
    this.writing = this.writing.then(() => this.write(p)).catch((err: unknown) => this.log?.warn('training progress not written', { err }));
  }

  /** Writes what is pending now and waits for the writes. */
  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.flush();
    await this.writing;
  }
}
