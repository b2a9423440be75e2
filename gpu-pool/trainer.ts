import { chownSync, cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { fromErrorRecord, type Logger, type LogLevel, type TrainingProgress } from '../functions/sdk/index.ts';
import type { BackendChoice } from '../functions/sdk/tf/index.ts';
import { NAMESPACE_ATTRIBUTE, type DeviceSlot, type FunctionLogLine, type IsolationLevel, type TrainedFiles, type TrainingView } from '../queue/cluster/index.ts';
import type { BundleCache } from './bundle-cache.ts';
import { versionKey, type CatalogIndex } from './catalog-index.ts';
import { FunctionNotDeployedError } from './errors.ts';
import { fromFunctionSide } from './function-error.ts';
import { buildSandboxRuntime, deviceEnv, launchFor, makeSandboxDirs, plainCommand, sandboxCommand, sandboxRoot, type SandboxDirs, type SandboxLaunch } from './sandbox-launch.ts';
import { checkOutFiles } from './train-output.ts';
import { runTrainProcess, type TrainOutcome } from './train-process.ts';
import type { TrainLogLine } from './train-protocol.ts';
import { NotTrainableError, TrainingMetricMissingError, TrainingOutputRefusedError, TrainingTimeoutError } from './training-errors.ts';
import type { WorkerKnowledge } from './worker-knowledge.ts';
import type { WorkerSecrets } from './worker-secrets.ts';

/** Options of a {@link Trainer}: what a worker knows and holds. */
export interface TrainerOptions {
  slot: DeviceSlot;
  /** Whether the worker serves live calls now: trainings give way while it does (`ctx.giveWay`) [never]. */
  busy?: () => boolean;
  /** The worker's level: the training process runs at it (`thread`: a plain child process, never the worker). */
  isolation: IsolationLevel;
  /** The worker's catalogue: the version's manifest (its `training` section). */
  records: Pick<CatalogIndex, 'get'>;
  /** The worker's bundle cache (with its token, on its main thread): the training gets a copy. */
  fetcher: Pick<BundleCache, 'ensure'>;
  secrets: Pick<WorkerSecrets, 'openFor'>;
  knowledge: Pick<WorkerKnowledge, 'openFor'>;
  /** Dataset chunk `n` of training `id`, opened (`TrainingStore.chunk`). */
  chunk(id: string, n: number): Promise<Buffer>;
  /** The function's log (the worker's FunctionLogWriter), as for invocations. */
  onLog(line: FunctionLogLine): void;
  /** The backend the worker selected: the training process selects the same. */
  backend(): string;
  gpuModule: string;
  /** Most bytes the files a training writes may add up to: the bundle limit. */
  bundleLimit: number;
  log: Logger;
  /** [10 s] How long a stopped training has before SIGKILL. */
  graceMs?: number;
}

/** util-linux's `chrt`, when installed: it runs the training under SCHED_IDLE (no privilege needed). */
const CHRT = ['/usr/bin/chrt', '/bin/chrt'].find((p) => existsSync(p));

const LEVELS: ReadonlySet<string> = new Set(['debug', 'info', 'warn', 'error']);

/**
 * Runs a worker's trainings, each in a process of its own, never in the worker or its threads:
 * the worker's event loop renews the queue's locks and serves live calls meanwhile. The process
 * runs at the worker's isolation level (sandbox, process; a plain child process at `thread`)
 * under `nice -n 19`, so on a CPU slot live invocations keep the cores first: the kernel gives a
 * niced process the time the worker and its sandboxes leave. On a GPU slot the process is pinned
 * to the slot's device like a sandbox (`CUDA_VISIBLE_DEVICES`) and shares it with the worker's
 * models: nice orders CPU time only, the device's memory and kernels are shared as the driver
 * schedules them (time-sliced between processes), so a GPU pool that must keep serving latency
 * runs its trainings on a pool of its own (`AUTOGLM_TRAINING_CONCURRENCY=0` on the serving one).
 */
export class Trainer {
  private readonly tracer = trace.getTracer('autoglm-worker');
  private root: string | undefined;
  private runtime: Promise<string> | undefined;
  private seq = 0;
  private readonly launch: SandboxLaunch;

  constructor(private readonly opts: TrainerOptions) {
    this.launch = opts.isolation === 'thread' ? { level: 'process' } : launchFor(opts.isolation);
  }

  /**
   * Runs training `view` (attempt `attempt`) to its end: the new files and the report.
   * `signal` stops it (cancel, the worker closing): rejects with its reason once the process is gone.
   * @throws TrainingTimeoutError past the manifest's `training.timeout`; NotTrainableError,
   *   TrainingMetricMissingError, TrainingOutputRefusedError, TrainingProcessLostError; what `train` threw, laundered
   */
  readonly run = async (view: TrainingView, attempt: number, signal: AbortSignal, progress: (p: TrainingProgress) => void): Promise<TrainedFiles> => {
    const key = versionKey(view.function, view.version);
    const span = this.tracer.startSpan(`train ${view.function}`, {
      kind: SpanKind.CONSUMER,
      attributes: {
        [NAMESPACE_ATTRIBUTE]: view.namespace,
        'autoglm.training_id': view.id,
        'autoglm.version': view.version,
        'autoglm.attempt': attempt,
        'autoglm.device': this.opts.slot.id,
        'autoglm.isolation': this.opts.isolation,
      },
    });
    try {
      const out = await this.train(view, key, signal, progress, (pid) => span.setAttribute('autoglm.pid', pid));
      span.end();
      return out;
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as { code?: string }).code ?? (err as Error).message }).end();
      throw err;
    }
  };

  private async train(view: TrainingView, key: string, signal: AbortSignal, progress: (p: TrainingProgress) => void, started: (pid: number) => void): Promise<TrainedFiles> {
    const rec = this.opts.records.get(key);
    if (!rec || rec.namespace !== view.namespace || rec.hash !== view.hash) throw new FunctionNotDeployedError(key);
    const settings = rec.manifest.training;
    if (!settings) throw new NotTrainableError(`${key} cannot be trained: its manifest has no training section`);
    const src = await this.opts.fetcher.ensure(view.hash);
    const [secrets, knowledge] = await Promise.all([
      rec.manifest.secrets?.length ? this.opts.secrets.openFor(view.function, view.version, view.namespace) : {},
      rec.manifest.knowledge?.length ? this.opts.knowledge.openFor(view.function, view.version, view.namespace) : {},
    ]);
    const dirs = await this.dirs(src, view.hash);
    const stop = new AbortController();
    const onAbort = () => stop.abort(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => stop.abort(new TrainingTimeoutError(key, settings.timeout)), settings.timeout);
    try {
      const { pid, outcome } = runTrainProcess(
        {
          command: this.command(dirs),
          start: {
            type: 'start',
            fn: view.function,
            version: view.version,
            device: this.opts.slot.id,
            dir: join(dirs.view, view.hash),
            backend: this.opts.backend() as BackendChoice,
            gpuModule: this.opts.gpuModule,
            records: view.dataset.records,
            chunks: view.dataset.chunks,
            heldOut: view.dataset.heldOut,
            env: { ...(rec.manifest.env ?? {}) },
            secrets,
            knowledge,
            outLimit: this.opts.bundleLimit,
          },
          chunk: (n) => this.opts.chunk(view.id, n),
          onProgress: (p) => progress(cleanProgress(p)),
          onLog: (line) => this.opts.onLog(this.logLine(view, line)),
          ...(this.opts.graceMs === undefined ? {} : { graceMs: this.opts.graceMs }),
          ...(this.opts.busy ? { busy: this.opts.busy } : {}),
        },
        stop.signal,
      );
      if (pid !== undefined) started(pid);
      this.opts.log.info('training started', { training: view.id, function: view.function, version: view.version, pid, isolation: this.opts.isolation });
      // The metric the router judges the new version by, fixed when the training was asked for.
      return this.result(key, view.primaryMetric, await outcome);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      rmSync(dirs.view, { recursive: true, force: true });
      rmSync(dirs.tmp, { recursive: true, force: true });
    }
  }

  /** The files and report of an answer, checked: it came from the side function code runs on. */
  private result(key: string, primaryMetric: string, o: TrainOutcome): TrainedFiles {
    if (o.type === 'unsupported') throw new NotTrainableError(`function ${key.split('@')[0]} does not export train`);
    if (o.type === 'failed') throw fromErrorRecord(fromFunctionSide(o.error));
    if (o.refused) throw new TrainingOutputRefusedError(o.refused, this.opts.bundleLimit);
    const files = checkOutFiles(o.files, this.opts.bundleLimit);
    const metrics = numbers(o.metrics);
    if (!metrics || !(primaryMetric in metrics)) throw new TrainingMetricMissingError(key, primaryMetric);
    const baseline = numbers(o.baseline);
    const details = isRecord(o.details) ? o.details : undefined;
    return { files, metrics, ...(baseline ? { baseline } : {}), ...(details ? { details } : {}) };
  }

  /** A line the training wrote, as a line of the function's log, marked with the training. */
  private logLine(view: TrainingView, l: TrainLogLine): FunctionLogLine {
    const level = LEVELS.has(l?.level) ? l.level : 'info';
    return {
      t: Date.now(),
      level: level as LogLevel,
      msg: String(l?.msg),
      ...(isRecord(l?.fields) ? { fields: l.fields } : {}),
      fn: view.function,
      version: view.version,
      device: this.opts.slot.id,
      source: l?.source === 'console' ? 'console' : 'log',
      training: view.id,
    };
  }

  /** The command of one training: the compiled runtime's `train` entry at the worker's level, niced. */
  private command(dirs: SandboxDirs): ReturnType<typeof plainCommand> {
    const env = deviceEnv(this.opts.slot);
    const c = this.opts.isolation === 'thread' ? plainCommand(dirs, '{}', env, 'train') : sandboxCommand(this.launch, dirs, '{}', env, 'train');
    // Lowest CPU priority, inherited by everything it starts (bubblewrap's Node too): SCHED_IDLE
    // where util-linux's chrt is present (a waking serving thread preempts it at once; nice 19
    // alone still left live calls' p95 1.55× higher on 2 cores), and nice 19 in any case.
    const niced = ['-n', '19', c.file, ...c.args];
    return CHRT ? { file: CHRT, args: ['--idle', '0', 'nice', ...niced], options: c.options } : { file: 'nice', args: niced, options: c.options };
  }

  /** A training's folders, with a copy of the version's bundle in its view (read-only to it). */
  private async dirs(src: string, hash: string): Promise<SandboxDirs> {
    this.root ??= sandboxRoot();
    this.runtime ??= buildSandboxRuntime(this.root);
    this.runtime.catch(() => (this.runtime = undefined));
    const dirs = makeSandboxDirs(this.root, await this.runtime, `train-${++this.seq}`, this.launch);
    const target = join(dirs.view, hash);
    cpSync(src, target, { recursive: true });
    const { uid, gid } = this.launch;
    if (uid !== undefined) {
      chownSync(target, uid, gid ?? uid);
      for (const f of readdirSync(target, { recursive: true }) as string[]) chownSync(join(target, f), uid, gid ?? uid);
    }
    return dirs;
  }

  /** Removes the compiled runtime. Call once no training runs (the consumer is closed). */
  close(): void {
    if (this.root) rmSync(this.root, { recursive: true, force: true });
    this.root = undefined;
    this.runtime = undefined;
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A record of finite numbers, or undefined when `v` is not one. */
function numbers(v: unknown): Record<string, number> | undefined {
  if (!isRecord(v)) return undefined;
  return Object.values(v).every((x) => typeof x === 'number' && Number.isFinite(x)) ? (v as Record<string, number>) : undefined;
}

/** Progress as the SDK types it, from what the process sent: known fields of the right types only. */
export function cleanProgress(p: unknown): TrainingProgress {
  if (!isRecord(p)) return {};
  const out: TrainingProgress = {};
  for (const k of ['epoch', 'epochs', 'step', 'steps', 'loss'] as const) if (typeof p[k] === 'number' && Number.isFinite(p[k])) out[k] = p[k] as number;
  const metrics = numbers(p.metrics);
  if (metrics) out.metrics = metrics;
  if (typeof p.message === 'string') out.message = p.message.slice(0, 500);
  return out;
}
