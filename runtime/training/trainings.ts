import { randomBytes } from 'node:crypto';
import { TRAINING_ENDS, type FeedbackStore, type FunctionState, type TrainingStore, type TrainingThen, type TrainingView, type VersionRecord, type WorkerRoster } from '../../queue/cluster/index.ts';
import type { TrainingJobs } from '../../queue/jobs/index.ts';
import { ValidationError } from '../http/errors.ts';
import { takeDataset } from './dataset-intake.ts';
import { feedbackLines } from './feedback-dataset.ts';
import { NoFeedbackError, NotTrainableError, TrainingEndedError, TrainingNotFoundError } from './training-errors.ts';

/** Where a training's records come from: an upload as it streams, or the function's feedback since a time. */
export type DatasetSource = { upload: AsyncIterable<Uint8Array> } | { feedbackSince: number };

/** What the trainings need. */
export interface TrainingsDeps {
  store: TrainingStore;
  jobs: TrainingJobs;
  /** The live workers' slots: a `gpu` training goes to GPU slots only when there are some. */
  workers: Pick<WorkerRoster, 'inventory'>;
  feedback: Pick<FeedbackStore, 'page'>;
  /** `AUTOGLM_TRAINING_DATA_LIMIT`, bytes. */
  maxBytes: number;
  /** How long an ended training's record is kept, s (`AUTOGLM_RESULT_TTL`). */
  keepS: number;
}

/** A training id: `trn-` and 20 hex digits (time-ordered prefix, random rest). */
const newTrainingId = (): string => `trn-${Date.now().toString(16).padStart(12, '0')}${randomBytes(4).toString('hex')}`;
export const TRAINING_ID = /^trn-[0-9a-f]{20}$/;

/**
 * Starts, reads and cancels trainings (the router's side; pool workers run them, and
 * {@link TrainedVersions} records what they made). Authorisation is the routes'.
 */
export class Trainings {
  constructor(private readonly deps: TrainingsDeps) {}

  /**
   * Stores the dataset (checked line by line, sealed in chunks) and queues a training of
   * `version` (default: the stable one, else the newest).
   * @throws ValidationError (version), NotTrainableError, DatasetInvalidError, DatasetTooLargeError
   */
  async start(s: FunctionState, q: { version?: string; then: TrainingThen; source: DatasetSource; by: string }): Promise<TrainingView> {
    const record = pickVersion(s, q.version);
    const training = record.manifest.training;
    if (!training) throw new NotTrainableError(s.name, record.version, q.version !== undefined);
    const id = newTrainingId();
    let stored = 0;
    const src = q.source;
    // A dataset drawn from feedback that holds none says so, naming the query rather than a body.
    const { body, empty } = 'upload' in src ? { body: src.upload, empty: undefined } : { body: feedbackLines(this.deps.feedback, s.name, src.feedbackSince), empty: () => new NoFeedbackError(s.name, src.feedbackSince) };
    let summary;
    try {
      summary = await takeDataset(body, {
        recordSchema: training.record,
        maxBytes: this.deps.maxBytes,
        ...(empty ? { empty } : {}),
        putChunk: async (n, lines) => {
          stored = n + 1;
          await this.deps.store.putChunk(id, s.namespace, n, lines);
        },
      });
    } catch (err) {
      await this.deps.store.discard(id, s.name, stored).catch(() => undefined);
      throw err;
    }
    const device = await this.kindFor(training.device);
    await this.deps.store.create({
      id,
      function: s.name,
      namespace: s.namespace,
      version: record.version,
      hash: record.hash,
      then: q.then,
      primaryMetric: training.primaryMetric,
      device,
      dataset: { ...summary, source: 'upload' in q.source ? 'upload' : 'feedback', heldOut: training.heldOut },
      createdAt: Date.now(),
      createdBy: q.by,
    });
    await this.deps.jobs.add(id, device, 1 + training.retries);
    return (await this.deps.store.get(id))!;
  }

  /** @throws TrainingNotFoundError */
  async get(id: string): Promise<TrainingView> {
    const v = TRAINING_ID.test(id) ? await this.deps.store.get(id) : undefined;
    if (!v) throw new TrainingNotFoundError(id);
    return v;
  }

  list(fn: string, limit?: number): Promise<TrainingView[]> {
    return this.deps.store.list(fn, limit);
  }

  /**
   * Stops a training: one still queued ends here; a running one is stopped by its worker (the
   * slot is freed at once, no version is made); one whose files are being recorded ends before
   * the version is written.
   * @throws TrainingNotFoundError, TrainingEndedError
   */
  async cancel(id: string, by: string): Promise<TrainingView> {
    const v = await this.get(id);
    if (TRAINING_ENDS.includes(v.status)) throw new TrainingEndedError(id, v.status);
    await this.deps.store.requestCancel(id, by);
    const removed = await this.deps.jobs.removeWaiting(id, v.device);
    // Its end is recorded (audited) by the router that takes the finish job, as every end is.
    if (removed && (await this.deps.store.end(id, 'cancelled', { error: { code: 'TRAINING_CANCELLED', message: `cancelled by ${by} before it started`, retryable: false }, keepS: this.deps.keepS }))) {
      await this.deps.jobs.finish(id);
    }
    return this.get(id);
  }

  /** The slot kind to queue on: GPU only when asked and the live pool has GPU slots; CPU otherwise (or GPU when that is all there is). */
  private async kindFor(device: 'cpu' | 'gpu' | 'any'): Promise<'cpu' | 'gpu'> {
    const kinds = new Set((await this.deps.workers.inventory()).map((s) => s.kind));
    if (device === 'gpu') return kinds.has('gpu') ? 'gpu' : 'cpu';
    if (device === 'cpu') return 'cpu';
    return kinds.has('cpu') || kinds.size === 0 ? 'cpu' : 'gpu';
  }
}

/** The version to retrain: the one named, else stable, else the newest. */
function pickVersion(s: FunctionState, version: string | undefined): VersionRecord {
  if (version !== undefined) {
    const r = s.versions[version];
    if (!r) throw new ValidationError('version', `function '${s.name}' has no version '${version}'`, 'query');
    return r;
  }
  const stable = s.traffic.stable ? s.versions[s.traffic.stable] : undefined;
  const newest = Object.values(s.versions).sort((a, b) => b.createdAt - a.createdAt)[0];
  const r = stable ?? newest;
  if (!r) throw new ValidationError('version', `function '${s.name}' has no version to train`, 'query');
  return r;
}
