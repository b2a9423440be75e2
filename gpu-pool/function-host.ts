import { DriftCounter, type DriftDelta } from './drift-counter.ts';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BUNDLE_ENTRY } from '../functions/sdk/bundle/index.ts';
import {
  AutoglmError,
  FunctionError,
  fromErrorRecord,
  isFunctionDefinition,
  toErrorRecord,
  type ErrorRecord,
  type FunctionDefinition,
  type InvocationResult,
  type KnowledgeCollection,
  type Logger,
} from '../functions/sdk/index.ts';
import { canServe, jobRuns, needsOf, type DeviceSlot, type FunctionLogLine, type FunctionRecord, type FunctionStat, type LoadedModel } from '../queue/cluster/index.ts';
import { FunctionLoadError, inputValue, type JobData } from '../queue/jobs/index.ts';
import { Batcher, batchPlan } from './batcher.ts';
import type { BundleCache } from './bundle-cache.ts';
import { BadBatchResultError, FunctionNotDeployedError, KnowledgeUnavailableError, SecretsUnavailableError, SourceUnavailableError } from './errors.ts';
import { functionErrorRecord } from './function-error.ts';
import { functionLogger, masked, maskedError, maskedRecord, runLogged, secretMask, type LineBase } from './function-logger.ts';
import { RunRecorder } from './run-recorder.ts';
import { ModelCache } from './model-cache.ts';
import { CatalogIndex, versionKey } from './catalog-index.ts';

/** What a worker reports about the code it runs. */
export interface HostStats {
  backend: string;
  /** Loaded models, least recently used first. */
  models: LoadedModel[];
  /** Bytes of the device budget in use (loads in progress included). */
  modelBytes: number;
  /** Handler calls: with batching, fewer than jobs. */
  batches: number;
  jobsDone: number;
  inFlight: number;
  loads: number;
  unloads: number;
  /** Live TensorFlow.js tensors where the code runs, when known. */
  tensors: number | undefined;
  /** Per version: items, batches, run and queue times. */
  functions: FunctionStat[];
  /**
   * Resident bytes of the sandbox processes function code runs in, outside the worker's own
   * memory (none on a thread): they count toward the worker's memory limit.
   */
  sandboxRss?: number;
  /** Sandbox processes that died (crashed, were killed) since the host opened; none on a thread. */
  sandboxDeaths?: number;
}

/**
 * Where a worker's function code runs: this thread ({@link FunctionHost}) or a worker thread
 * (`HostThread`). Ownership: `execute` never rejects for a function failure; the result's `error`
 * carries it, and the caller (the queue consumer) decides about retries.
 */
export interface Host {
  /** TensorFlow.js backend in use. */
  readonly backend: string;
  /**
   * Replaces the known versions. `serving` (keys `name@version`, default: all of them) are the
   * versions with traffic: the others are unloaded, and loaded again only for a straggler job.
   */
  setRecords(all: FunctionRecord[], serving?: Iterable<string>): void;
  /**
   * Runs one invocation, batched with concurrent ones of the same version when its manifest
   * allows. With `data.stream`, what its handler emits for it (`ctx.emit`) reaches `onChunk` as
   * JSON text, in order, before the result.
   */
  execute(data: HostInput, signal: AbortSignal, onChunk?: ChunkSink): Promise<InvocationResult>;
  /** Resolves once every serving `warm: true` version this device can serve is loaded (failures are logged). */
  warm(): Promise<void>;
  /** Loads a version as a deploy check would (import, `load`), and says how long it took. */
  probe(rec: FunctionRecord): Promise<{ loadMs: number }>;
  /**
   * Loads these versions (keys `name@version`) again for the calls that come next, because
   * something their `load` read changed (a secret, a knowledge collection): new batches get a fresh load, running ones
   * finish on the old, which is unloaded after them. Warm versions load again at once.
   */
  reload(keys: readonly string[]): void;
  stats(): HostStats;
  /** Inputs counted into their versions' drift baselines since the last call (see `DriftCounter`). */
  takeDrift(): DriftDelta[];
  /** Unloads everything. */
  close(): Promise<void>;
}

/** Options of a {@link FunctionHost}. */
export interface FunctionHostOptions {
  /** The device slot: its id goes into results, its `memoryBytes` is the model cache budget. */
  slot: DeviceSlot;
  /** Backend name reported in results. */
  backend: string;
  /** Fetches and extracts a version's bundle by hash [none: every load fails]. */
  bundles?: Pick<BundleCache, 'ensure'>;
  /** Live tensor count for reports [unknown]. */
  numTensors?: () => number;
  /** Bytes the live tensors hold: what a load adds is what its model holds [unmeasured: models cost their manifest `memory`]. */
  numBytes?: () => number;
  log?: Logger;
  /** Where the lines function code writes go (`ctx.log`, `console.*`) [nowhere: `ctx.log` discards them]. */
  onLog?: (line: FunctionLogLine) => void;
  /** Opens the secrets a version's manifest lists [none: loading a version that lists any fails]. */
  secrets?: (rec: FunctionRecord) => Promise<Record<string, string>>;
  /** Opens the knowledge collections a version's manifest lists [none: loading a version that lists any fails]. */
  knowledge?: (rec: FunctionRecord) => Promise<Record<string, KnowledgeCollection>>;
}

interface Loaded {
  def: FunctionDefinition;
  state: unknown;
  /** What `load` got as `ctx.secrets`: the batches of this load get the same. */
  secrets: Readonly<Record<string, string>>;
  /** Hides those values in the lines its code writes (see `secretMask`). */
  mask: ((text: string) => string) | undefined;
  /** What `load` got as `ctx.knowledge`: the batches of this load get the same objects. */
  knowledge: Readonly<Record<string, KnowledgeCollection>>;
  /** The collection versions it holds, name → version, for each result; none when the manifest lists none. */
  used: Record<string, string> | undefined;
  /** Tensor bytes its load left allocated, when measured. */
  bytes?: number;
}

/**
 * What a host needs of a job to run it. Only this crosses to the inference thread: the rest of
 * the job (owner, reply channel, trace context…) stays with the queue consumer, and is not
 * written out per item for nothing. `input` is usually a `SentInput`: the text the router
 * sealed, parsed only where function code runs.
 */
export type HostInput = Pick<JobData, 'fn' | 'version' | 'input' | 'deadline' | 'enqueuedAt' | 'solo'> & {
  /** The job (or item) id, for the function's log lines. */
  id?: string;
  /** Its caller streams: what the handler emits for it is passed on (elsewhere it is dropped where it is made). */
  stream?: true;
};

/** Where one call's chunks go, each as JSON text. */
export type ChunkSink = (json: string) => void;

export interface HostJob {
  data: HostInput;
  signal: AbortSignal;
  /** Takes the chunks the handler emits for this job (with `data.stream`). */
  onChunk?: ChunkSink;
  /** When the worker took it, epoch ms. */
  picked: number;
}

type Outcome = { output: unknown } | { error: ErrorRecord };

export { versionKey };

/**
 * Runs function code in this thread: imports a version's handler module, loads it into the
 * {@link ModelCache} (once, even when first calls arrive together), gathers concurrent calls
 * of a version into batches, calls `handle`, and splits the results back to their jobs. One bad
 * item fails only its own job: a handler may return an `Error` in its slot, and when it throws
 * for a whole batch, the batch's items are run again one by one so only the culprit fails.
 */
export class FunctionHost implements Host {
  private readonly index = new CatalogIndex();
  private readonly batchers = new Map<string, Batcher<HostJob, InvocationResult>>();
  private readonly cache: ModelCache<Loaded>;
  private warming: Promise<void> = Promise.resolve();
  private running = 0;
  private handled = 0;
  private calls = 0;
  private readonly perVersion = new RunRecorder();
  private readonly drift = new DriftCounter();
  /** Loads run one at a time when measured, so each one's tensor bytes are its own. */
  private loadTurn: Promise<unknown> = Promise.resolve();
  /**
   * How many times a version was told to load again (see {@link reload}). Its cache key carries
   * the count, so new batches load afresh while the old load serves the batches that hold it.
   */
  private readonly generations = new Map<string, number>();

  constructor(private readonly opts: FunctionHostOptions) {
    this.cache = new ModelCache<Loaded>({
      budgetBytes: opts.slot.memoryBytes,
      unload: (key, l) => this.unload(key, l),
      onUnloadError: (key, err) => opts.log?.error('unload failed', { version: key, err }),
      measured: (l) => l.bytes,
    });
  }

  get backend(): string {
    return this.opts.backend;
  }

  setRecords(all: FunctionRecord[], serving?: Iterable<string>): void {
    this.index.set(all, serving);
    for (const key of this.generations.keys()) if (!this.index.has(key)) this.generations.delete(key);
    this.retainServing();
    this.perVersion.retain((key) => this.index.has(key));
    for (const key of this.batchers.keys()) if (!this.index.has(key)) this.batchers.delete(key);
    this.warming = this.loadWarm();
  }

  reload(keys: readonly string[]): void {
    for (const key of keys) if (this.index.has(key)) this.generations.set(key, (this.generations.get(key) ?? 0) + 1);
    this.retainServing();
    this.warming = this.loadWarm();
  }

  async execute(data: HostInput, signal: AbortSignal, onChunk?: ChunkSink): Promise<InvocationResult> {
    const job: HostJob = { data, signal, picked: Date.now(), ...(onChunk && data.stream ? { onChunk } : {}) };
    const rec = this.index.find(data.fn, data.version);
    if (!rec) return notDeployed(job, this.opts.slot.id, this.backend);
    const plan = batchPlan(rec.manifest);
    if (plan.maxSize === 1) return (await this.track(1, this.runBatch(rec, [job])))[0]!;
    const key = versionKey(rec.name, rec.version);
    let b = this.batchers.get(key);
    if (!b) {
      b = new Batcher(plan, (jobs) => this.track(jobs.length, this.runBatch(rec, jobs)));
      this.batchers.set(key, b);
    }
    return b.submit(job, data.solo === true);
  }

  /**
   * Runs jobs of one version as one handler batch, formed by the caller (the batcher of a
   * worker's main thread when this host runs on the inference thread).
   */
  async executeBatch(jobs: HostJob[]): Promise<InvocationResult[]> {
    const rec = this.index.find(jobs[0]!.data.fn, jobs[0]!.data.version);
    if (!rec) return jobs.map((j) => notDeployed(j, this.opts.slot.id, this.backend));
    return this.track(jobs.length, this.runBatch(rec, jobs));
  }

  warm(): Promise<void> {
    return this.warming;
  }

  async probe(rec: FunctionRecord): Promise<{ loadMs: number }> {
    const entry = this.cacheKey(versionKey(rec.name, rec.version));
    const t0 = performance.now();
    await this.cache.acquire(entry, rec.manifest.memory, () => this.load(rec));
    const loadMs = performance.now() - t0;
    this.cache.release(entry);
    return { loadMs };
  }

  stats(): HostStats {
    return {
      backend: this.backend,
      models: this.cache.view().filter((e) => e.loaded).map((e) => ({ key: e.key.replace(GENERATION, ''), bytes: e.bytes, ...(e.measuredBytes === undefined ? {} : { measuredBytes: e.measuredBytes }) })),
      modelBytes: this.cache.usedBytes,
      batches: this.calls,
      jobsDone: this.handled,
      inFlight: this.running,
      loads: this.cache.loads,
      unloads: this.cache.unloads,
      tensors: this.opts.numTensors?.(),
      functions: this.perVersion.view(),
    };
  }

  takeDrift(): DriftDelta[] {
    return this.drift.take();
  }

  /** Resolves once every unload started so far has finished (tests check tensor counts after it). */
  settled(): Promise<void> {
    return this.cache.settled();
  }

  async close(): Promise<void> {
    await this.warming.catch(() => undefined);
    await this.cache.clear();
  }

  /** A version's key in the model cache: its key, and its generation once it has one. */
  private cacheKey(key: string): string {
    const g = this.generations.get(key);
    return g ? `${key}#${g}` : key;
  }

  /** Keeps the current loads of the serving versions; the others unload once no batch holds them. */
  private retainServing(): void {
    this.cache.retain(new Set([...this.index.serving].map((k) => this.cacheKey(k))));
  }

  /** Counts a batch's jobs as in flight until it settles. */
  private async track(jobs: number, batch: Promise<InvocationResult[]>): Promise<InvocationResult[]> {
    this.running += jobs;
    try {
      return await batch;
    } finally {
      this.running -= jobs;
      this.handled += jobs;
    }
  }

  private async loadWarm(): Promise<void> {
    const warm = this.index.all().filter((r) => r.manifest.warm && this.index.serving.has(versionKey(r.name, r.version)) && canServe(needsOf(r), this.opts.slot).ok);
    await Promise.all(
      warm.map((r) =>
        this.probe(r).then(
          ({ loadMs }) => this.opts.log?.info('warm function loaded', { version: versionKey(r.name, r.version), loadMs: Math.round(loadMs) }),
          (err) => this.opts.log?.error('warm load failed; the first call will try again', { version: versionKey(r.name, r.version), err }),
        ),
      ),
    );
  }

  /** Runs one handler batch; always resolves with one result per item. */
  private async runBatch(rec: FunctionRecord, items: HostJob[]): Promise<InvocationResult[]> {
    const key = versionKey(rec.name, rec.version);
    const base = { version: rec.version, device: this.opts.slot.id, backend: this.backend, batchSize: items.length };
    const results = (outcomes: Outcome[], started: number, ran: boolean) => {
      const finished = Date.now();
      const failed = outcomes.reduce((n, o) => n + ('error' in o ? 1 : 0), 0);
      this.perVersion.record({ fn: rec.name, version: rec.version, queuedAt: items.map((it) => it.data.enqueuedAt), ...(ran ? { started } : {}), finished, failed });
      return items.map((it, i) => ({ ...base, ...(used ? { knowledge: used } : {}), timings: { picked: it.picked, started, finished }, ...outcomes[i]! }));
    };
    const entry = this.cacheKey(key);
    let loaded: Loaded;
    let used: Record<string, string> | undefined;
    try {
      loaded = await this.cache.acquire(entry, rec.manifest.memory, () => this.load(rec));
    } catch (err) {
      const error = toErrorRecord(err instanceof AutoglmError ? err : new FunctionLoadError(`loading ${key} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err }));
      return results(items.map(() => ({ error })), Date.now(), false);
    }
    used = loaded.used;
    const started = Date.now();
    try {
      return results(await this.handle(rec, loaded, items), started, true);
    } finally {
      this.cache.release(entry);
    }
  }

  /** The handler's outcomes, with the load's secrets masked in every error (see `maskedRecord`). */
  private async handle(rec: FunctionRecord, loaded: Loaded, items: HostJob[]): Promise<Outcome[]> {
    const outcomes = await this.handleBatch(rec, loaded, items);
    return loaded.mask ? outcomes.map((o) => ('error' in o ? { error: maskedRecord(o.error, loaded.mask) } : o)) : outcomes;
  }

  private async handleBatch(rec: FunctionRecord, loaded: Loaded, items: HostJob[]): Promise<Outcome[]> {
    try {
      return await this.callHandler(rec, loaded, items);
    } catch (err) {
      if (items.length === 1 || err instanceof BadBatchResultError) return items.map(() => ({ error: toErrorRecord(err) }));
      // One item may have broken the whole batch (a malformed tensor shape, say): run each alone.
      this.opts.log?.warn('batch failed; running its items one by one', { version: versionKey(rec.name, rec.version), size: items.length, err: maskedError(err, loaded.mask) });
      const outcomes: Outcome[] = [];
      for (const it of items) outcomes.push(...(await this.callHandler(rec, loaded, [it]).catch((e: unknown): Outcome[] => [{ error: toErrorRecord(e) }])));
      return outcomes;
    }
  }

  private async callHandler(rec: FunctionRecord, loaded: Loaded, items: HostJob[]): Promise<Outcome[]> {
    this.calls++;
    const deadline = Math.min(...items.map((i) => i.data.deadline ?? Infinity));
    const jobs = jobRuns(items.flatMap((i) => (i.data.id === undefined ? [] : [i.data.id])));
    // Inputs the worker holds as sent text are parsed here, where function code runs on its thread.
    const inputs = items.map((i) => inputValue(i.data.input));
    let out: unknown;
    try {
      out = await this.logged({ fn: rec.name, version: rec.version, device: this.opts.slot.id, batch: items.length, ...(jobs.length ? { jobs } : {}) }, loaded.mask, (log) =>
        loaded.def.handle(
          inputs,
          loaded.state,
          { function: rec.name, version: rec.version, device: this.opts.slot.id, deadline, signal: allAborted(items.map((i) => i.signal)), log, env: settings(rec), secrets: loaded.secrets, knowledge: loaded.knowledge, emit: emitter(items), wantsChunks: (item = 0) => items[item]?.onChunk !== undefined },
        ),
      );
    } catch (err) {
      // What function code threw speaks only as function code may (see `functionErrorRecord`).
      throw fromErrorRecord(functionErrorRecord(err));
    }
    if (!Array.isArray(out) || out.length !== items.length) {
      throw new BadBatchResultError(`${rec.name}: handle returned ${Array.isArray(out) ? out.length : typeof out} results for ${items.length} inputs`);
    }
    // After the batch, so watching drift never delays an answer's computation.
    this.drift.count(rec, loaded.def.features, inputs);
    return out.map((r) => (r instanceof Error ? { error: functionErrorRecord(r) } : { output: r }));
  }

  private load(rec: FunctionRecord): Promise<Loaded> {
    const { numBytes } = this.opts;
    if (!numBytes) return this.loadNow(rec);
    const turn = this.loadTurn.then(async () => {
      const before = numBytes();
      const loaded = await this.loadNow(rec);
      // Tensors of batches running meanwhile may come and go: an estimate, never below zero.
      const bytes = Math.max(0, numBytes() - before);
      if (bytes > rec.manifest.memory) {
        this.opts.log?.warn('the model holds more than its manifest memory; it is budgeted at what it holds', { version: versionKey(rec.name, rec.version), manifestBytes: rec.manifest.memory, heldBytes: bytes });
      }
      return { ...loaded, bytes };
    });
    this.loadTurn = turn.catch(() => undefined);
    return turn;
  }

  private async loadNow(rec: FunctionRecord): Promise<Loaded> {
    const { def, dir } = await this.importDefinition(rec);
    const secrets = Object.freeze(await this.openSecrets(rec));
    const knowledge = await this.openKnowledge(rec);
    const mask = secretMask(secrets);
    const load = def.load;
    let state: unknown;
    try {
      state = load ? await this.logged({ fn: rec.name, version: rec.version, device: this.opts.slot.id }, mask, (log) => load({ dir, device: this.opts.slot.id, log, env: settings(rec), secrets, knowledge })) : undefined;
    } catch (err) {
      // A load failure reaches the deployer (the deploy check) and every caller of the version:
      // masked, and speaking only as function code may (a plain error becomes FUNCTION_LOAD_FAILED).
      const safe = maskedError(err, mask);
      throw safe instanceof AutoglmError ? fromErrorRecord(functionErrorRecord(safe)) : safe;
    }
    const used = rec.manifest.knowledge?.length ? Object.fromEntries(Object.values(knowledge).map((c) => [c.name, c.version])) : undefined;
    return { def, state, secrets, mask, knowledge, used };
  }

  private async openSecrets(rec: FunctionRecord): Promise<Record<string, string>> {
    // Versions deployed before manifests had `secrets` have none.
    if (!rec.manifest.secrets?.length) return {};
    if (!this.opts.secrets) throw new SecretsUnavailableError(versionKey(rec.name, rec.version));
    return this.opts.secrets(rec);
  }

  /**
   * The collections `rec`'s manifest lists, frozen down to their documents: one load's calls share
   * them, and one call must not change what the next one reads.
   */
  private async openKnowledge(rec: FunctionRecord): Promise<Readonly<Record<string, KnowledgeCollection>>> {
    // Versions deployed before manifests had `knowledge` have none.
    if (!rec.manifest.knowledge?.length) return EMPTY;
    if (!this.opts.knowledge) throw new KnowledgeUnavailableError(versionKey(rec.name, rec.version));
    const opened = await this.opts.knowledge(rec);
    for (const c of Object.values(opened)) {
      for (const d of c.documents) Object.freeze(d);
      Object.freeze(c.documents);
      Object.freeze(c);
    }
    return Object.freeze(opened);
  }

  /** Runs function code with its `ctx.log`, its `console.*` lines going to `onLog` too, its secrets masked. */
  private logged<T>(base: LineBase, mask: ((text: string) => string) | undefined, f: (log: Logger) => T): T {
    const { onLog } = this.opts;
    if (!onLog) return f(DISCARD);
    const emit = masked(onLog, mask);
    return runLogged(base, emit, () => f(functionLogger(base, emit)), mask);
  }

  private async unload(key: string, l: Loaded): Promise<void> {
    this.opts.log?.debug('unloading', { version: key });
    if (l.def.unload) return l.def.unload(l.state);
    // No `unload`: a state that is itself disposable (a tf.LayersModel) is disposed for the author.
    const s = l.state as { dispose?: () => unknown } | undefined;
    if (typeof s?.dispose === 'function') s.dispose();
  }

  /**
   * Imports a version's handler module and says where its files are: the one place that knows
   * where function code comes from (its bundle, by hash, extracted on this node).
   */
  private async importDefinition(rec: FunctionRecord): Promise<{ def: FunctionDefinition; dir: string }> {
    if (!this.opts.bundles) throw new SourceUnavailableError(`${rec.name}@${rec.version}`);
    const dir = await this.opts.bundles.ensure(rec.hash);
    const mod = (await import(pathToFileURL(join(dir, BUNDLE_ENTRY)).href)) as { default?: unknown };
    if (!isFunctionDefinition(mod.default)) throw new FunctionError(`${rec.manifest.entry} must default-export defineFunction(...)`);
    return { def: mod.default, dir };
  }
}

/** A version's `env`, frozen: one object shared by its calls, which must not change it for the others. */
const settings = (rec: FunctionRecord): Readonly<Record<string, string>> => Object.freeze(rec.manifest.env ?? {});

/** `ctx.knowledge` of a version that lists no collection. */
const EMPTY: Readonly<Record<string, KnowledgeCollection>> = Object.freeze({});

/** The generation suffix of a model cache key (see `FunctionHost.cacheKey`). */
const GENERATION = /#\d+$/;

/** `ctx.log` of a host whose lines go nowhere (tests, tools). */
const DISCARD: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => DISCARD };

/** The result of a job whose function (version) this worker does not know. */
export function notDeployed(job: HostJob, device: string, backend: string): InvocationResult {
  const err = new FunctionNotDeployedError(job.data.fn);
  return { version: job.data.version, device, backend, batchSize: 1, timings: { picked: job.picked, started: job.picked, finished: job.picked }, error: toErrorRecord(err) };
}

/** Largest chunk `ctx.emit` takes, as JSON: a chunk is a part of an answer, not a payload. */
const MAX_CHUNK_BYTES = 1024 * 1024;

/**
 * `ctx.emit` of one handler call: the item's index is checked always (a wrong one is a bug
 * whoever streams); a chunk is serialized and checked only for a job that streams, so the others
 * pay nothing for it.
 */
function emitter(items: HostJob[]): (chunk: unknown, item?: number) => void {
  return (chunk, item = 0) => {
    if (!Number.isInteger(item) || item < 0 || item >= items.length) throw new TypeError(`ctx.emit: item ${String(item)} is not an index of this batch of ${items.length}`);
    const sink = items[item]!.onChunk;
    if (!sink) return;
    const json = JSON.stringify(chunk) as string | undefined;
    if (json === undefined) throw new TypeError('ctx.emit: a chunk is a string or a JSON value');
    if (json.length > MAX_CHUNK_BYTES) throw new TypeError(`ctx.emit: a chunk is at most ${MAX_CHUNK_BYTES} bytes as JSON`);
    sink(json);
  };
}

/** A signal that fires once every item's signal has: the platform gave up on the whole batch. */
function allAborted(signals: AbortSignal[]): AbortSignal {
  if (signals.length === 1) return signals[0]!;
  const ac = new AbortController();
  let left = signals.length;
  for (const s of signals) {
    if (s.aborted) left--;
    else s.addEventListener('abort', () => --left === 0 && ac.abort(), { once: true });
  }
  if (left === 0) ac.abort();
  return ac.signal;
}
