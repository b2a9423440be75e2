import { BATCH_SIZE_BOUNDS, SECONDS_BOUNDS, emptyCounts, observe, type FunctionStat } from '../queue/cluster/index.ts';
import { versionKey } from './catalog-index.ts';

/** One handler call as {@link RunRecorder} counts it. */
export interface BatchRun {
  fn: string;
  version: string;
  /** When each item's job was submitted, epoch ms. */
  queuedAt: readonly number[];
  /** When the handler call started and finished, epoch ms; no `started` when the version failed to load. */
  started?: number;
  finished: number;
  /** Items that ended in an error. */
  failed: number;
}

/**
 * The figures of each function version a host has run (see {@link FunctionStat}), kept from the
 * worker's start; a version dropped from the catalogue drops its figures.
 */
export class RunRecorder {
  private readonly byKey = new Map<string, FunctionStat>();

  record(run: BatchRun): void {
    const key = versionKey(run.fn, run.version);
    let s = this.byKey.get(key);
    if (!s) {
      s = { function: run.fn, version: run.version, ok: 0, failed: 0, batchSize: emptyCounts(BATCH_SIZE_BOUNDS), runSeconds: emptyCounts(SECONDS_BOUNDS), queueSeconds: emptyCounts(SECONDS_BOUNDS) };
      this.byKey.set(key, s);
    }
    s.failed += run.failed;
    s.ok += run.queuedAt.length - run.failed;
    if (run.started === undefined) return;
    observe(s.batchSize, BATCH_SIZE_BOUNDS, run.queuedAt.length);
    observe(s.runSeconds, SECONDS_BOUNDS, (run.finished - run.started) / 1000);
    // Clocks of router and worker hosts may differ a little: never a negative wait.
    for (const q of run.queuedAt) observe(s.queueSeconds, SECONDS_BOUNDS, Math.max(0, run.started - q) / 1000);
  }

  /** Forgets the versions whose key (`name@version`) `known` denies. */
  retain(known: (key: string) => boolean): void {
    for (const key of this.byKey.keys()) if (!known(key)) this.byKey.delete(key);
  }

  view(): FunctionStat[] {
    return [...this.byKey.values()];
  }
}
