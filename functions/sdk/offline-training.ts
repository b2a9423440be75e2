import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { jsonLinesDataset } from './json-lines.ts';
import { createLogger } from './logger.ts';
import { parseManifest } from './manifest.ts';
import type { TrainingContext, TrainingData } from './training.ts';

/** A function's `train`, set up to run offline from a script (`train.ts`), as the platform would run it. */
export interface OfflineTraining {
  /** For `train`: `dir` the function folder, `outDir` `--out` (default the same folder), `env` from `--epochs`. */
  ctx: TrainingContext;
  /** `--data <file.jsonl>`, split as the platform splits an upload (manifest `training.heldOut`); undefined without it. */
  data?: TrainingData;
  dataFile?: string;
}

/**
 * Reads the offline flags (`--data file.jsonl`, `--out folder`, `--epochs N`) and builds the
 * context: log lines printed with the seconds since start, Ctrl-C cancels through the signal,
 * progress left to the log. `dir` is where `train` finds the current model; when `outDir` is the
 * same folder, `train` must read what it compares against before it writes.
 * @throws Error for an unknown flag, or a manifest without a valid `training` section (with `--data`)
 */
export async function offlineTraining(opts: { function: string; dir: string; device: string; argv?: string[] }): Promise<OfflineTraining> {
  const { values } = parseArgs({ args: opts.argv ?? process.argv.slice(2), options: { data: { type: 'string' }, out: { type: 'string' }, epochs: { type: 'string' } }, strict: true });
  const started = performance.now();
  const log = createLogger({}, 'info', (line) => {
    const { msg, t: _t, level: _l, ...fields } = JSON.parse(line) as Record<string, unknown>;
    const secs = ((performance.now() - started) / 1000).toFixed(0).padStart(4);
    console.log(`[${secs} s] ${String(msg)}${Object.keys(fields).length > 0 ? ' ' + JSON.stringify(fields) : ''}`);
  });
  const cancel = new AbortController();
  process.once('SIGINT', () => cancel.abort(new Error('interrupted')));
  const ctx: TrainingContext = {
    function: opts.function,
    version: 'offline',
    device: opts.device,
    dir: opts.dir,
    outDir: resolve(values.out ?? opts.dir),
    signal: cancel.signal,
    log,
    env: values.epochs ? { TRAIN_EPOCHS: values.epochs } : {},
    secrets: {},
    knowledge: {},
    progress: async () => {},
    // Nothing to give way to offline.
    giveWay: async () => {},
  };
  if (!values.data) return { ctx };
  const m = parseManifest(parseYaml(await readFile(join(opts.dir, 'manifest.yaml'), 'utf8')));
  if (!m.ok || !m.manifest.training) throw new Error(`${join(opts.dir, 'manifest.yaml')} has no valid \`training\` section`);
  return { ctx, data: await jsonLinesDataset(values.data, m.manifest.training.heldOut), dataFile: values.data };
}
