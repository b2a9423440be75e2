/**
 * Entry of a training process (started by `TrainProcess`, niced, at the worker's isolation level;
 * a plain child process at `thread`): refuses network, processes and threads to what runs next,
 * waits for the worker's `start`, imports the version's module and runs its `train` with the
 * dataset streamed chunk by chunk from the worker (never all of it in memory here), then sends
 * the files it wrote and its report, and exits.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GiveWay } from './give-way.ts';
import { BUNDLE_ENTRY } from '../functions/sdk/bundle/index.ts';
import { isFunctionDefinition, splitRecords, type TrainingContext, type TrainingProgress } from '../functions/sdk/index.ts';
import { selectBackend } from '../functions/sdk/tf/index.ts';
import type { FunctionLogLine } from '../queue/cluster/index.ts';
import { functionErrorRecord } from './function-error.ts';
import { functionLogger, maskedError, runLogged, secretMask, type Emit } from './function-logger.ts';
import { installSandboxGuard } from './sandbox-guard.ts';
import type { FromTrainer, ToTrainer } from './train-protocol.ts';
import { readOutDir } from './train-output.ts';

installSandboxGuard();
// The worker closing the channel means it is gone (or killed this training): so is the reason to run.
process.on('disconnect', () => process.exit(0));

const post = (m: FromTrainer): Promise<void> =>
  new Promise((resolve) => {
    if (!process.connected) return resolve();
    process.send!(m, undefined, undefined, () => resolve());
  });

const aborts = new AbortController();
const waiting = new Map<number, ((b: Buffer | null) => void)[]>();
let started: (m: Extract<ToTrainer, { type: 'start' }>) => void;
const start = new Promise<Extract<ToTrainer, { type: 'start' }>>((r) => (started = r));

process.on('message', (raw) => {
  const m = raw as ToTrainer;
  if (m.type === 'start') started(m);
  else if (m.type === 'abort') {
    aborts.abort(new Error(String(m.reason)));
    yielding.set(false);
  } else if (m.type === 'serving') yielding.set(m.busy);
  else if (m.type === 'chunk') {
    const ws = waiting.get(m.n) ?? [];
    waiting.delete(m.n);
    const data = m.data === null ? null : Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength);
    for (const w of ws) w(data);
  }
});

/** `ctx.giveWay()`: live calls on the worker first; a step waits at most 100 ms for them. */
const yielding = new GiveWay(100);

/** Chunk `n` from the worker, or null past the last. */
function chunk(n: number): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const ws = waiting.get(n);
    if (ws) ws.push(resolve);
    else {
      waiting.set(n, [resolve]);
      void post({ type: 'chunk', n });
    }
  });
}

/** Every record of the upload in order, one chunk in memory at a time. */
async function* records(chunks: number): AsyncGenerator<unknown> {
  for (let n = 0; n < chunks; n++) {
    const data = await chunk(n);
    if (data === null) return;
    for (const line of data.toString('utf8').split('\n')) {
      const text = line.trim();
      if (text) yield JSON.parse(text);
    }
  }
}

const s = await start;
let mask: ((text: string) => string) | undefined;
try {
  await selectBackend({ choice: s.backend, gpuModule: s.gpuModule });
  const mod = (await import(pathToFileURL(join(s.dir, BUNDLE_ENTRY)).href)) as { default?: unknown };
  const def = isFunctionDefinition(mod.default) ? mod.default : undefined;
  if (!def?.train) {
    await post({ type: 'unsupported', message: `function ${s.fn} does not export train` });
    process.exit(0);
  }
  const train = def.train;
  mask = secretMask(s.secrets);
  const base = { fn: s.fn, version: s.version, device: s.device };
  const emit: Emit = (line: FunctionLogLine) => {
    const text = mask ? mask(line.msg) : line.msg;
    const fields = line.fields && mask ? (JSON.parse(mask(JSON.stringify(line.fields))) as Record<string, unknown>) : line.fields;
    void post({ type: 'log', line: { level: line.level, msg: text, ...(fields ? { fields } : {}), source: line.source === 'console' ? 'console' : 'log' } });
  };
  const outDir = mkdtempSync(join(tmpdir(), 'train-out-'));
  const ctx: TrainingContext = {
    function: s.fn,
    version: s.version,
    device: s.device,
    dir: s.dir,
    outDir,
    signal: aborts.signal,
    log: functionLogger(base, emit),
    env: Object.freeze({ ...s.env }),
    secrets: Object.freeze({ ...s.secrets }),
    knowledge: Object.freeze({ ...s.knowledge }),
    giveWay: () => yielding.wait(),
    async progress(p: TrainingProgress) {
      await post({ type: 'progress', progress: plain(p) });
      // Where a training gives way: the worker's abort, if one came, is read before this returns.
      await new Promise((r) => setImmediate(r));
    },
  };
  const data = splitRecords(() => records(s.chunks), s.records, s.heldOut);
  const report = await runLogged(base, emit, () => train(data, ctx), mask);
  const { files, refused } = readOutDir(outDir, s.outLimit);
  await post({ type: 'done', files, ...(refused ? { refused } : {}), metrics: plain(report?.metrics), ...(report?.baseline ? { baseline: plain(report.baseline) } : {}), ...(report?.details ? { details: plain(report.details) } : {}) });
} catch (err) {
  await post({ type: 'failed', error: functionErrorRecord(maskedError(err, mask)) });
}
process.exit(0);

/** A value as JSON keeps it: what function code returns must cross the channel and be stored. */
function plain<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}
