import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, type InvocationContext, type LoadContext, type TrainFunction, type TrainingContext, type TrainingData, type TrainingProgress } from '../../functions/sdk/index.ts';

/** Temporary folders of one test file, removed by `removeAll` (in its afterAll). */
export class TempDirs {
  private readonly dirs: string[] = [];
  constructor(private readonly prefix: string) {}
  make(name: string): string {
    const d = mkdtempSync(join(tmpdir(), `${this.prefix}-${name}-`));
    this.dirs.push(d);
    return d;
  }
  removeAll(): void {
    for (const d of this.dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  }
}

/**
 * A training context as the platform gives one: the function folder as `dir`, 1 epoch unless
 * `over.env` says otherwise, progress reports collected in `reports` (unless `over.progress`
 * replaces it).
 */
export function trainingContext(fn: string, dir: string, over: Partial<TrainingContext> & { outDir: string }): TrainingContext & { reports: TrainingProgress[] } {
  const reports: TrainingProgress[] = [];
  return {
    function: fn,
    version: 'test',
    device: 'cpu:0',
    dir,
    signal: new AbortController().signal,
    log: createLogger({}, 'error'),
    env: { TRAIN_EPOCHS: '1' },
    secrets: {},
    knowledge: {},
    progress: async (p) => void reports.push(p),
    giveWay: async () => {},
    reports,
    ...over,
  };
}

/** The new version's folder as the platform assembles it: the function's files with the trained ones (`outDir`) on top. */
export function newVersionFolder(temps: TempDirs, functionDir: string, outDir: string): string {
  const version = temps.make('version');
  cpSync(functionDir, version, { recursive: true });
  cpSync(outDir, version, { recursive: true });
  // Whatever generator.json an operator may have dropped in the folder: no generator here.
  rmSync(join(version, 'generator.json'), { force: true });
  return version;
}

const log = createLogger({}, 'error');
/** What `load` gets, for the folder `dir`. */
export const loadContext = (dir: string): LoadContext => ({ dir, device: 'cpu:0', log, env: {}, secrets: {}, knowledge: {} });
/** What `handle` gets. */
export const invocationContext = (fn: string): InvocationContext => ({ function: fn, version: 'new', device: 'cpu:0', deadline: Infinity, signal: new AbortController().signal, log, env: {}, secrets: {}, knowledge: {}, emit: () => undefined, wantsChunks: () => false });

/**
 * Runs `train` with a context that cancels at its first progress report, and returns what it
 * reported. `batchSize` should make that report come from inside epoch 1 (after 50 batches).
 */
export async function trainCancelledAtFirstReport(
  train: TrainFunction,
  data: TrainingData,
  context: (over: Partial<TrainingContext> & { outDir: string }) => TrainingContext,
  outDir: string,
  batchSize: number,
): Promise<{ error: unknown; reports: TrainingProgress[] }> {
  const cancel = new AbortController();
  const reports: TrainingProgress[] = [];
  const ctx = context({
    outDir,
    signal: cancel.signal,
    env: { TRAIN_EPOCHS: '3', TRAIN_BATCH_SIZE: String(batchSize) },
    progress: async (p) => {
      reports.push(p);
      cancel.abort(new Error('cancelled by the test'));
    },
  });
  const error = await train(data, ctx).then(
    () => undefined,
    (err: unknown) => err,
  );
  return { error, reports };
}
