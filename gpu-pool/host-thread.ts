import { mergeDrift, type DriftDelta } from './drift-counter.ts';
import { Worker } from 'node:worker_threads';
import { fromErrorRecord, toErrorRecord, type InvocationResult, type KnowledgeCollection, type Logger } from '../functions/sdk/index.ts';
import type { BackendSelection } from '../functions/sdk/tf/index.ts';
import type { FunctionLogLine, FunctionRecord } from '../queue/cluster/index.ts';
import { Batcher, batchPlan } from './batcher.ts';
import { HostLostError, InputHandOffError, KnowledgeUnavailableError, SecretsUnavailableError } from './errors.ts';
import { fromFunctionSide } from './function-error.ts';
import type { ChunkSink, Host, HostInput, HostJob, HostStats } from './function-host.ts';
import { CatalogIndex, versionKey } from './catalog-index.ts';
import { writeBatches } from './batch-text.ts';
import type { BatchRun, FromThread, HostEndpoint, ThreadData, ToThread } from './host-thread-protocol.ts';
import { knowledgeParts } from './knowledge-parts.ts';

/** Options of {@link HostThread.start}: what the thread is given, and what stays on this side. */
export interface HostThreadOptions extends ThreadData {
  log: Logger;
  /** What the other side is called in logs and errors [`inference thread`]. */
  label?: string;
  /** How often the thread is asked for its state, which also proves it is responsive [500 ms]. */
  pingMs?: number;
  /** Told once if the thread dies; its running jobs have already failed as retryable. */
  onLost?: (err: Error) => void;
  /** Where the lines function code writes on the thread go. */
  onLog?: (line: FunctionLogLine) => void;
  /** Opens the secrets of a version this side knows, for the thread's loads [none: such loads fail]. */
  secrets?: (fn: string, version: string) => Promise<Record<string, string>>;
  /** Opens the knowledge collections of a version this side knows, for the thread's loads [none: such loads fail]. */
  knowledge?: (fn: string, version: string) => Promise<Record<string, KnowledgeCollection>>;
  /** With `bundles: 'ask'`: prepares bundle `hash` for the other side and says its folder there. */
  bundle?: (hash: string) => Promise<string>;
}

/** A worker thread as a {@link HostEndpoint}. */
function threadEndpoint(worker: Worker): HostEndpoint {
  let on: Parameters<HostEndpoint['listen']>[0] = { message: () => undefined, lost: () => undefined };
  worker.on('message', (m: FromThread) => on.message(m));
  worker.on('error', (err) => on.lost(err));
  worker.on('exit', (code) => on.lost(new Error(`inference thread exited with code ${code}`)));
  return {
    send: (m) => worker.postMessage(m),
    listen: (next) => void (on = next),
    terminate: () => worker.terminate().then(() => undefined),
  };
}

// Worker threads do not inherit tsx's loader from `--import`: the thread registers it, then loads
// the entry. The bootstrap is plain CommonJS so it runs before any TypeScript can.
const ENTRY = new URL('./host-thread-entry.ts', import.meta.url).href;
const BOOT = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})
  .then((m) => { m.register(); return import(${JSON.stringify(ENTRY)}); })
  .catch((e) => require('node:worker_threads').parentPort.postMessage({ t: 'fatal', message: String((e && e.stack) || e) }));`;

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  /** For runs: how to fail the job if the thread dies. */
  data?: HostInput;
  /** For runs of a streaming call: where its chunks go. */
  onChunk?: ChunkSink;
}

/**
 * Runs a {@link FunctionHost} on a worker thread and forwards to it. The point is the queue's
 * health: TensorFlow.js inference is synchronous CPU work, and on the main thread a long predict
 * would starve BullMQ's lock renewal, so a job could be declared stalled and run twice. Here the
 * main thread stays free to renew locks, fetch the next jobs while a batch computes, enforce
 * timeouts, and notice when the thread stops answering (see {@link unresponsiveMs}).
 */
export class HostThread implements Host {
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  /** Batches waiting to cross to the thread at the end of this turn. */
  private outbox: BatchRun[][] = [];
  private readonly index = new CatalogIndex();
  private readonly batchers = new Map<string, Batcher<HostJob, InvocationResult>>();
  private lastStats: HostStats;
  private lastRss: number | undefined;
  private drift: DriftDelta[] = [];
  private pingSentAt: number | undefined;
  private pinger: NodeJS.Timeout | undefined;
  private lost: Error | undefined;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly endpoint: HostEndpoint,
    private readonly opts: HostThreadOptions,
    readonly backend: string,
    readonly selection: Pick<BackendSelection, 'skipped' | 'simd'>,
  ) {
    this.lastStats = { backend, models: [], modelBytes: 0, batches: 0, jobsDone: 0, inFlight: 0, loads: 0, unloads: 0, tensors: undefined, functions: [] };
    endpoint.listen({ message: (m) => this.onMessage(m), lost: (err) => this.die(err) });
    this.pinger = setInterval(() => this.ping(), opts.pingMs ?? 500);
  }

  /**
   * Starts the thread and waits until it has selected its backend.
   * @throws AutoglmError `BACKEND_UNAVAILABLE` when the (forced) backend does not load; Error when the thread fails to start
   */
  static start(opts: HostThreadOptions): Promise<HostThread> {
    const { slot, backend, gpuModule, logLevel, bundles } = opts;
    const data: ThreadData = { slot, backend, gpuModule, logLevel, bundles };
    return HostThread.over(threadEndpoint(new Worker(BOOT, { eval: true, workerData: data })), opts);
  }

  /**
   * Waits until the other side of `endpoint` (a thread or a sandbox process, started with `opts`'
   * {@link ThreadData}) has selected its backend, and hosts function code there.
   * @throws AutoglmError `BACKEND_UNAVAILABLE` when the (forced) backend does not load; Error when the other side fails to start
   */
  static async over(endpoint: HostEndpoint, opts: HostThreadOptions): Promise<HostThread> {
    const label = opts.label ?? 'inference thread';
    const ready = await new Promise<Extract<FromThread, { t: 'ready' }>>((resolve, reject) => {
      endpoint.listen({
        message: (m) => {
          if (m.t === 'ready') resolve(m);
          // Rebuilt from its record: the class lives with TensorFlow.js, which this thread never loads.
          else if (m.t === 'fatal') reject(m.error ? fromErrorRecord(m.error) : new Error(`${label} failed to start: ${m.message}`));
          else reject(new Error(`${label} sent '${m.t}' before ready`));
        },
        lost: (err) => reject(new Error(`${label} failed to start: ${err.message}`)),
      });
    }).catch(async (err: Error) => {
      await endpoint.terminate();
      throw err;
    });
    return new HostThread(endpoint, opts, ready.backend, { skipped: ready.skipped, simd: ready.simd });
  }

  setRecords(all: FunctionRecord[], serving?: Iterable<string>): void {
    this.index.set(all, serving);
    for (const key of this.batchers.keys()) if (!this.index.has(key)) this.batchers.delete(key);
    this.send({ t: 'records', all, serving: serving ? [...serving] : undefined });
  }

  /** Batches form here, on the main thread; each batch crosses to the inference thread whole. */
  execute(data: HostInput, signal: AbortSignal, onChunk?: ChunkSink): Promise<InvocationResult> {
    // Only what the thread's host reads crosses over (each batch is written out as JSON).
    const stream = onChunk && data.stream ? { stream: true as const } : {};
    const job: HostJob = { data: { fn: data.fn, version: data.version, input: data.input, deadline: data.deadline, enqueuedAt: data.enqueuedAt, id: data.id, ...stream }, signal, picked: Date.now(), ...(stream.stream ? { onChunk } : {}) };
    const rec = this.index.find(data.fn, data.version);
    const plan = rec && batchPlan(rec.manifest);
    // Unknown versions go over alone: the thread answers FUNCTION_NOT_FOUND.
    if (!rec || !plan || plan.maxSize === 1) return this.runBatch([job]).then((r) => r[0]!);
    const key = versionKey(rec.name, rec.version);
    let b = this.batchers.get(key);
    if (!b) {
      b = new Batcher(plan, (jobs) => this.runBatch(jobs));
      this.batchers.set(key, b);
    }
    return b.submit(job, data.solo === true);
  }

  private runBatch(jobs: HostJob[]): Promise<InvocationResult[]> {
    const runs = jobs.map((j) => ({ id: ++this.seq, data: j.data, picked: j.picked }));
    const results = jobs.map((j, i) => {
      const { id, data } = runs[i]!;
      if (this.lost) return Promise.resolve(this.lostResult(data, this.lost));
      const onAbort = () => this.send({ t: 'abort', id });
      j.signal.addEventListener('abort', onAbort, { once: true });
      return new Promise<InvocationResult>((resolve) => {
        this.pending.set(id, { resolve: (v) => resolve(v as InvocationResult), reject: () => undefined, data, ...(j.onChunk ? { onChunk: j.onChunk } : {}) });
      }).finally(() => j.signal.removeEventListener('abort', onAbort));
    });
    // Batches formed in one turn cross together: a group of single-item calls costs one message.
    if (this.outbox.push(runs) === 1) setImmediate(() => this.sendBatches(this.outbox.splice(0)));
    return Promise.all(results);
  }

  /**
   * Hands batches to the other side (a thread or a sandbox process), as JSON text
   * ({@link writeBatches}). Writing an input held parsed (not as sent text) throws for one nested
   * past the stack's depth (~10,000 levels of objects; the router refuses past 64): thrown here,
   * on a timer, that would end the worker and every job it holds. Such an input fails alone
   * instead, and the rest still cross.
   */
  private sendBatches(batches: BatchRun[][]): void {
    try {
      this.send({ t: 'batches', json: writeBatches(batches) });
      return;
    } catch {
      // Found below, item by item; the common case pays nothing for it.
    }
    const kept = batches.map((runs) => runs.filter((r) => this.writable(r))).filter((runs) => runs.length > 0);
    try {
      if (kept.length) this.send({ t: 'batches', json: writeBatches(kept) });
    } catch (err) {
      // Each item crosses alone but not together: fail them rather than the worker.
      for (const r of kept.flat()) this.handOffFailed(r, err);
    }
  }

  /** Whether `run` can be written to cross; if not, its job fails with {@link InputHandOffError}. */
  private writable(run: BatchRun): boolean {
    try {
      writeBatches([[run]]);
      return true;
    } catch (err) {
      this.handOffFailed(run, err);
      return false;
    }
  }

  private handOffFailed(run: BatchRun, err: unknown): void {
    const p = this.pending.get(run.id);
    this.pending.delete(run.id);
    const now = Date.now();
    const error = toErrorRecord(new InputHandOffError(err instanceof Error ? err.message : String(err)));
    p?.resolve({ version: run.data.version, device: this.opts.slot.id, backend: this.backend, batchSize: 1, timings: { picked: run.picked, started: now, finished: now }, error } satisfies InvocationResult);
  }

  async warm(): Promise<void> {
    this.lastStats = (await this.request({ t: 'warm', id: 0 })) as HostStats;
  }

  probe(rec: FunctionRecord): Promise<{ loadMs: number }> {
    return this.request({ t: 'probe', id: 0, rec }) as Promise<{ loadMs: number }>;
  }

  reload(keys: readonly string[]): void {
    this.send({ t: 'reload', keys: [...keys] });
  }

  /** Last state the thread reported (refreshed every ping). */
  stats(): HostStats {
    return this.lastStats;
  }

  /**
   * Resident bytes of the process the other side runs in, as it last reported (a thread's is its
   * worker's own); undefined before its first answer.
   */
  rss(): number | undefined {
    return this.lastRss;
  }

  /**
   * How long the thread has left a ping unanswered, ms: 0 while it answers. A synchronous
   * handler keeps it busy for the length of its batch; much longer means it hangs.
   */
  unresponsiveMs(): number {
    return this.pingSentAt === undefined ? 0 : Date.now() - this.pingSentAt;
  }

  /** Ends the thread or process at once, as a crash would: its calls come back lost, and `onLost` is told. */
  async kill(): Promise<void> {
    await this.endpoint.terminate();
    // A thread's end is heard as lost through its endpoint; this makes sure, whatever the endpoint.
    this.die(new Error('killed: it stopped answering'));
  }

  /** Drift counts the other side sent with its pongs since the last call (see `DriftCounter`). */
  takeDrift(): DriftDelta[] {
    const out = this.drift;
    this.drift = [];
    return out;
  }

  /** Unloads everything and stops the thread. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.pinger);
      if (!this.lost) {
        await Promise.race([this.request({ t: 'close', id: 0 }).catch(() => undefined), new Promise((r) => setTimeout(r, 10_000).unref())]);
      }
      this.lost ??= new Error('closed');
      await this.endpoint.terminate();
    })();
    return this.closing;
  }

  private request(msg: Extract<ToThread, { id: number }>): Promise<unknown> {
    if (this.lost) return Promise.reject(this.lost);
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.send({ ...msg, id });
    });
  }

  private send(msg: ToThread): void {
    if (!this.lost) this.endpoint.send(msg);
  }

  private ping(): void {
    if (this.pingSentAt !== undefined || this.lost) return;
    this.pingSentAt = Date.now();
    this.send({ t: 'ping' });
  }

  private onMessage(m: FromThread): void {
    if (m.t === 'pong') {
      this.pingSentAt = undefined;
      this.lastStats = m.stats;
      this.lastRss = m.rss;
      if (m.drift?.length) this.drift = mergeDrift(this.drift, m.drift);
    } else if (m.t === 'done') {
      for (const { id, result } of m.results) {
        // The other side runs function code: its errors speak only as function code may.
        if (result.error) result.error = fromFunctionSide(result.error);
        this.pending.get(id)?.resolve(result);
        this.pending.delete(id);
      }
    } else if (m.t === 'chunks') {
      // Sent before the run's `done`, on the same channel: a call's chunks all precede its result.
      for (const { id, json } of m.chunks) this.pending.get(id)?.onChunk?.(json);
    } else if (m.t === 'logs') {
      for (const line of m.lines) this.opts.onLog?.(line);
    } else if (m.t === 'reply') {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.value);
      else p.reject(new Error(m.error));
    } else if (m.t === 'secrets') {
      void this.answerSecrets(m.id, m.fn, m.version);
    } else if (m.t === 'knowledge') {
      void this.answerKnowledge(m.id, m.fn, m.version);
    } else if (m.t === 'bundle') {
      void this.answerBundle(m.id, m.hash);
    } else if (m.t === 'fatal') {
      this.die(new Error(m.message));
    }
  }

  private async answerSecrets(id: number, fn: string, version: string): Promise<void> {
    try {
      if (!this.opts.secrets) throw new SecretsUnavailableError(versionKey(fn, version));
      this.send({ t: 'secrets', id, values: await this.opts.secrets(fn, version) });
    } catch (err) {
      this.send({ t: 'secrets', id, error: toErrorRecord(err) });
    }
  }

  /**
   * Sends a version's collections in parts, yielding between them so that batches and pings
   * queued meanwhile cross too rather than wait behind megabytes of documents.
   */
  private async answerKnowledge(id: number, fn: string, version: string): Promise<void> {
    let parts: KnowledgeCollection[][];
    try {
      if (!this.opts.knowledge) throw new KnowledgeUnavailableError(versionKey(fn, version));
      parts = knowledgeParts(await this.opts.knowledge(fn, version));
    } catch (err) {
      this.send({ t: 'knowledge', id, error: toErrorRecord(err) });
      return;
    }
    for (const [i, part] of parts.entries()) {
      if (i > 0) await new Promise((r) => setImmediate(r));
      if (this.lost) return;
      this.send({ t: 'knowledge', id, part, last: i === parts.length - 1 });
    }
  }

  private async answerBundle(id: number, hash: string): Promise<void> {
    try {
      if (!this.opts.bundle) throw new Error('this host serves no bundles');
      this.send({ t: 'bundle', id, dir: await this.opts.bundle(hash) });
    } catch (err) {
      this.send({ t: 'bundle', id, error: toErrorRecord(err) });
    }
  }

  private die(err: Error): void {
    if (this.lost) return;
    this.lost = err;
    clearInterval(this.pinger);
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      if (p.data) p.resolve(this.lostResult(p.data, err));
      else p.reject(err);
    }
    if (!this.closing) {
      this.opts.log.error(`${this.opts.label ?? 'inference thread'} lost`, { err });
      this.opts.onLost?.(err);
    }
  }

  private lostResult(data: HostInput, err: Error): InvocationResult {
    const now = Date.now();
    return { version: data.version, device: this.opts.slot.id, backend: this.backend, batchSize: 1, timings: { picked: now, started: now, finished: now }, error: toErrorRecord(new HostLostError(err.message)) };
  }
}
