import type { KnowledgeCollection } from './knowledge/index.ts';
import type { Logger } from './logger.ts';

/**
 * A training's records, read from the platform's sealed copy of the uploaded dataset each time
 * it is iterated: an epoch is one `for await` over `train`; nothing holds all of them in memory
 * unless the function does. The platform splits the upload once, by line number
 * (`training.heldOut` of the manifest, default 20%, deterministic), so the new version and the
 * stable one can be compared on the same held-out records.
 */
export interface TrainingData<R = unknown> {
  /** Records to learn from (each a parsed JSON Lines record of the upload). */
  readonly train: AsyncIterable<R>;
  /** Records kept out of `train`, to evaluate on: both the new model and the current one. */
  readonly heldOut: AsyncIterable<R>;
  /** How many records each side holds. */
  readonly counts: { readonly train: number; readonly heldOut: number };
}

/** What a training reports as it goes (`ctx.progress`): every field optional; shown by `autoglm train --wait`. */
export interface TrainingProgress {
  epoch?: number;
  epochs?: number;
  step?: number;
  steps?: number;
  loss?: number;
  /** Metrics so far, by name (e.g. validation `rocAuc`). */
  metrics?: Record<string, number>;
  /** A short line for people: what it is doing now. */
  message?: string;
}

/** What `train` learns about the training it runs. */
export interface TrainingContext {
  /** Function name and the version being retrained (its artifacts are in `dir`). */
  readonly function: string;
  readonly version: string;
  /** Device the training runs on, e.g. `cpu:0`. */
  readonly device: string;
  /** The current version's files (read-only): load the stable model from here to evaluate it. */
  readonly dir: string;
  /**
   * Where to write the new version's files, at the paths they have in the function's folder
   * (`artifacts/model.json`…): each file written here replaces the one of `dir` in the new
   * version; everything else (code, manifest) stays as it is.
   */
  readonly outDir: string;
  /** Fires when the training is cancelled or its time (`training.timeout`) is up: stop soon. */
  readonly signal: AbortSignal;
  /** The function's log, as for invocations (`autoglm logs <name>`). */
  readonly log: Logger;
  /** The version's settings (`env` in its manifest). */
  readonly env: Readonly<Record<string, string>>;
  /** The values of the secrets its manifest lists. */
  readonly secrets: Readonly<Record<string, string>>;
  /** The knowledge collections its manifest lists. */
  readonly knowledge: Readonly<Record<string, KnowledgeCollection>>;
  /**
   * Reports progress (sent at most about once a second). Await it between steps: it is also where
   * a training gives way, returning only once the cancel check has been made.
   */
  progress(p: TrainingProgress): Promise<void>;
  /**
   * Gives way to live calls: await it between steps (every batch). It resolves at once while the
   * worker that runs this training serves no call; while it serves some, when it is idle again or
   * after at most 100 ms, so a training keeps moving under load, at a few steps a second. Cheap
   * to call often. Offline it resolves at once.
   */
  giveWay(): Promise<void>;
}

/**
 * What `train` returns once the new files are in `ctx.outDir`: the evaluation report. `metrics`
 * are the new model's on `data.heldOut`; `baseline` the current version's on the same records
 * (omit it only when there is no model to compare, e.g. a first training). The manifest's
 * `training.primaryMetric` must be in `metrics`; when `baseline` has it too and the new value is
 * worse by more than `training.tolerance`, the version is recorded but not deployed.
 */
export interface TrainingResult {
  metrics: Record<string, number>;
  baseline?: Record<string, number>;
  /** Anything else worth keeping with the version (settings used, thresholds chosen): JSON. */
  details?: Record<string, unknown>;
}

/** A function's `train`: learns from `data`, writes new artifacts to `ctx.outDir`, returns its evaluation. */
export type TrainFunction<R = unknown> = (data: TrainingData<R>, ctx: TrainingContext) => Promise<TrainingResult>;

/**
 * Whether record `index` (0-based line number of the upload) is held out at `share`: a fixed
 * multiplicative hash of the index, so the split is the same every time, spread over the file
 * (not its tail, which an export sorted by time would make the newest records), and the same
 * offline as on the platform.
 */
export function isHeldOut(index: number, share: number): boolean {
  // Knuth's multiplicative hash: (index · 2654435761) mod 2^32, as a fraction of 2^32.
  return ((Math.imul(index, 2654435761) >>> 0) / 4294967296) < share;
}

/**
 * Splits records into {@link TrainingData}: `read()` gives every record in upload order each time
 * it is called (a file read again, a store read again), `total` how many there are.
 */
export function splitRecords<R>(read: () => AsyncIterable<R> | Iterable<R>, total: number, share: number): TrainingData<R> {
  let held = 0;
  for (let i = 0; i < total; i++) if (isHeldOut(i, share)) held++;
  const side = (wantHeld: boolean): AsyncIterable<R> => ({
    async *[Symbol.asyncIterator]() {
      let i = 0;
      for await (const r of read()) if (isHeldOut(i++, share) === wantHeld) yield r;
    },
  });
  return { train: side(false), heldOut: side(true), counts: { train: total - held, heldOut: held } };
}
