import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, type InvocationContext, type LoadContext, type TrainingContext, type TrainingProgress } from '../../functions/sdk/index.ts';

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
export const invocationContext = (fn: string): InvocationContext => ({ function: fn, version: 'new', device: 'cpu:0', deadline: Infinity, signal: new AbortController().signal, log, env: {}, secrets: {}, knowledge: {} });
