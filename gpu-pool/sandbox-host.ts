import { chownSync, cpSync, existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { toErrorRecord, type InvocationResult, type LogLevel, type Logger } from '../functions/sdk/index.ts';
import type { BackendChoice } from '../functions/sdk/tf/index.ts';
import type { DeviceSlot, FunctionLogLine, FunctionRecord } from '../queue/cluster/index.ts';
import { PoisonInputError, SoloGate } from '../queue/jobs/index.ts';
import type { BundleCache } from './bundle-cache.ts';
import { HostLostError } from './errors.ts';
import { notDeployed, type ChunkSink, type Host, type HostInput, type HostStats } from './function-host.ts';
import { HostThread } from './host-thread.ts';
import { CatalogIndex, versionKey } from './catalog-index.ts';
import { buildSandboxRuntime, makeSandboxDirs, sandboxRoot, type SandboxDirs, type SandboxLaunch } from './sandbox-launch.ts';
import { startSandbox } from './sandbox-process.ts';
import { noCounters, sumCounters, type HostCounters } from './stats-sum.ts';
import { mergeDrift, type DriftDelta } from './drift-counter.ts';
import type { DriftBaseline } from '../functions/sdk/drift/index.ts';
import type { WorkerKnowledge } from './worker-knowledge.ts';
import type { WorkerSecrets } from './worker-secrets.ts';

/** Options of {@link SandboxHost.open}. */
export interface SandboxHostOptions {
  launch: SandboxLaunch;
  slot: DeviceSlot;
  /** The backend choice; sandboxes after the first are given the backend it selected. */
  backend: BackendChoice;
  gpuModule: string;
  logLevel: LogLevel;
  /** The worker's bundle cache (on its main thread, with the worker token): sandboxes get copies. */
  fetcher: Pick<BundleCache, 'ensure'>;
  /** Opens secrets; a sandbox gets only its namespace's. */
  secrets: Pick<WorkerSecrets, 'openFor'>;
  /** Opens knowledge collections; a sandbox gets only its namespace's. */
  knowledge: Pick<WorkerKnowledge, 'openFor'>;
  log: Logger;
  /** Where the lines function code writes go. */
  onLog: (line: FunctionLogLine) => void;
  /** How long a namespace's sandbox may sit unused before it is stopped (not one with warm versions) [5 min]. */
  idleMs?: number;
  /** How often a sandbox is asked for its state [500 ms]. */
  pingMs?: number;
  /**
   * How long a sandbox may leave a ping unanswered before it is killed as hung, ms: at least
   * this, and at least the longest timeout of its namespace's versions (a batch may run that long).
   */
  hangLimitMs: number;
}

/** One sandbox process and what this side keeps of it. */
interface Sandbox {
  /** The namespace it serves: set once, when it is given one. */
  ns: string | undefined;
  host: HostThread;
  dirs: SandboxDirs;
  running: number;
  lastUsed: number;
  /** Bundles copied into its view, by hash. */
  bundles: Map<string, Promise<string>>;
  /** Set once it has died (not when it was stopped). */
  died?: boolean;
}

/**
 * Runs function code in sandbox processes, one per namespace this worker serves, so teams never
 * share a realm: a batch of namespace A never runs in namespace B's sandbox, and a sandbox sees
 * only its own namespace's bundles, secrets and knowledge. Each sandbox is an inference host over a
 * process's IPC channel ({@link HostThread} with the same protocol as the inference thread),
 * started on first use (one is started ahead, to select the backend, and given to the first
 * namespace), stopped when idle, when its namespace has no more versions, or on close. The
 * worker keeps Redis, the keys, batching and the queue; sandboxes keep the models.
 *
 * A sandbox that dies takes every call running in it down, and the cause may be any one of
 * them (or none). Each is run again in the namespace's next sandbox, alone (the namespace's
 * other calls wait): one that brings that sandbox down too is the cause, and fails as
 * POISON_INPUT, not retried; the others complete, without spending an attempt. The worker
 * process lives on, so this is the sandbox's counterpart of what `FunctionConsumer` does when a
 * worker dies (see `SoloGate`).
 */
export class SandboxHost implements Host {
  private readonly index = new CatalogIndex();
  private readonly byNamespace = new Map<string, { ready: Promise<Sandbox>; box?: Sandbox }>();
  /** Per namespace: calls run together, or one alone after its sandbox died under it. */
  private readonly gates = new Map<string, SoloGate>();
  /** Sandboxes that died (not stopped) since the host opened. */
  private deaths = 0;
  /** The figures of sandboxes stopped or dead, so the worker's totals never go down. */
  private gone: HostCounters = noCounters();
  private readonly live = new Set<Sandbox>();
  /** Deploy candidates being probed, by key: their bundles and secrets may be asked for. */
  private readonly probing = new Map<string, FunctionRecord>();
  private readonly root = sandboxRoot();
  private runtime: string | undefined;
  private spare: Sandbox | undefined;
  private selected: string | undefined;
  private seq = 0;
  private warming: Promise<void> = Promise.resolve();
  private readonly reaper: NodeJS.Timeout;
  private readonly hangWatch: NodeJS.Timeout;
  private closing: Promise<void> | undefined;

  private constructor(private readonly opts: SandboxHostOptions) {
    const idleMs = opts.idleMs ?? 300_000;
    this.reaper = setInterval(() => this.reap(idleMs), Math.min(idleMs, 30_000));
    this.reaper.unref();
    this.hangWatch = setInterval(() => this.killHung(), opts.pingMs ?? 500);
    this.hangWatch.unref();
  }

  /**
   * Starts the first sandbox (it selects the backend) and returns the host.
   * @throws AutoglmError `BACKEND_UNAVAILABLE` when the (forced) backend does not load; Error when no sandbox starts
   */
  static async open(opts: SandboxHostOptions): Promise<SandboxHost> {
    const h = new SandboxHost(opts);
    try {
      h.runtime = await buildSandboxRuntime(h.root);
      h.spare = await h.start();
      h.selected = h.spare.host.backend;
      // Its figures now (tensors, memory), as an inference thread's after warming: the worker's first heartbeat has them.
      await h.spare.host.warm();
      return h;
    } catch (err) {
      await h.close();
      throw err;
    }
  }

  get backend(): string {
    return this.selected ?? 'none';
  }

  /** The backend selection of the first sandbox: what was passed over, and SIMD. */
  get selection(): HostThread['selection'] {
    return this.spare?.host.selection ?? [...this.live][0]?.host.selection ?? { skipped: [], simd: undefined };
  }

  setRecords(all: FunctionRecord[], serving?: Iterable<string>): void {
    this.index.set(all, serving);
    const namespaces = new Set(all.map((r) => r.namespace));
    for (const [ns, s] of this.byNamespace) {
      if (!namespaces.has(ns)) this.retire(ns);
      else if (s.box) s.box.host.setRecords(this.recordsOf(ns), this.index.serving);
    }
    // Namespaces with warm versions get their sandbox now, so their models load before jobs come.
    const warm = new Set(all.filter((r) => r.manifest.warm && this.index.serving.has(versionKey(r.name, r.version))).map((r) => r.namespace));
    this.warming = Promise.all([...warm].map((ns) => this.sandboxOf(ns).then((b) => b.host.warm()))).then(
      () => undefined,
      (err) => this.opts.log.error('a sandbox with warm functions did not start; their first calls will try again', { err }),
    );
  }

  async execute(data: HostInput, signal: AbortSignal, onChunk?: ChunkSink): Promise<InvocationResult> {
    const rec = this.index.find(data.fn, data.version);
    if (!rec) return notDeployed({ data, signal, picked: Date.now() }, this.opts.slot.id, this.backend);
    const ns = rec.namespace;
    let gate = this.gates.get(ns);
    if (!gate) this.gates.set(ns, (gate = new SoloGate()));
    const first = await this.runIn(ns, gate.enterTogether(), data, signal, onChunk);
    if (!first.died || signal.aborted) return first.result;
    // Its sandbox died under it: again, alone, so a second death names the call that caused it.
    const again = await this.runIn(ns, gate.enterAlone(), data, signal, onChunk);
    if (!again.died) return again.result;
    this.opts.log.warn('a call brought its sandbox down twice, the second time alone: not retried', { namespace: ns, fn: data.fn, version: data.version, id: data.id });
    return { ...again.result, error: toErrorRecord(new PoisonInputError(data.id ?? '(unnamed)', 2, 'sandbox')) };
  }

  /** Runs one call in `ns`'s sandbox once `entered` lets it in; `died` when the sandbox died while it ran. */
  private async runIn(ns: string, entered: Promise<() => void>, data: HostInput, signal: AbortSignal, onChunk?: ChunkSink): Promise<{ result: InvocationResult; died: boolean }> {
    const leave = await entered;
    try {
      let box: Sandbox;
      try {
        box = await this.sandboxOf(ns);
      } catch (err) {
        const now = Date.now();
        const error = toErrorRecord(new HostLostError(`no sandbox for namespace ${ns}: ${(err as Error).message}`));
        return { died: false, result: { version: data.version, device: this.opts.slot.id, backend: this.backend, batchSize: 1, timings: { picked: now, started: now, finished: now }, error } };
      }
      box.running++;
      try {
        const result = await box.host.execute(data, signal, onChunk);
        return { result, died: box.died === true && result.error?.code === 'WORKER_LOST' };
      } finally {
        box.running--;
        box.lastUsed = Date.now();
      }
    } finally {
      leave();
    }
  }

  warm(): Promise<void> {
    return this.warming;
  }

  async probe(rec: FunctionRecord): Promise<{ loadMs: number }> {
    const key = versionKey(rec.name, rec.version);
    this.probing.set(key, rec);
    try {
      const box = await this.sandboxOf(rec.namespace);
      return await box.host.probe(rec);
    } finally {
      this.probing.delete(key);
    }
  }

  reload(keys: readonly string[]): void {
    // Each sandbox ignores the keys it does not serve.
    for (const box of this.live) box.host.reload(keys);
  }

  /** Every sandbox's figures together, with those of sandboxes gone (a version runs in one sandbox at a time). */
  stats(): HostStats {
    const all = [...this.live].map((b) => b.host.stats());
    const sum = (f: (s: HostStats) => number) => all.reduce((n, s) => n + f(s), 0);
    const tensors = all.some((s) => s.tensors !== undefined) ? sum((s) => s.tensors ?? 0) : undefined;
    return {
      backend: this.backend,
      models: all.flatMap((s) => s.models),
      modelBytes: sum((s) => s.modelBytes),
      inFlight: sum((s) => s.inFlight),
      tensors,
      ...sumCounters([this.gone, ...all]),
      sandboxRss: [...this.live].reduce((n, b) => n + (b.host.rss() ?? 0), 0),
      sandboxDeaths: this.deaths,
    };
  }

  /**
   * Every sandbox's drift counts since the last call, each sandbox's taken only for versions of
   * its own namespace, with bins as their baseline has: a sandbox runs function code, and must
   * not count into another team's figures.
   */
  takeDrift(): DriftDelta[] {
    const out: DriftDelta[] = [];
    for (const box of this.live) {
      for (const d of box.host.takeDrift()) {
        const rec = box.ns === undefined ? undefined : this.index.find(d.fn, d.version);
        if (!rec || rec.namespace !== box.ns || !rec.driftBaseline) continue;
        const counts = plausibleCounts(d.counts, rec.driftBaseline);
        if (counts) out.push({ fn: d.fn, version: d.version, counts, skipped: count(d.skipped) });
      }
    }
    return mergeDrift([], out);
  }

  /**
   * 0: a hung sandbox is this host's to kill (see `killHung`), not a reason for the supervisor to
   * replace the worker and every other namespace's sandbox with it. The worker's own loop is
   * still watched.
   */
  unresponsiveMs(): number {
    return 0;
  }

  /** The namespaces that have a sandbox (started or starting). */
  namespaces(): string[] {
    return [...this.byNamespace.keys()];
  }

  /** Stops every sandbox. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.reaper);
      clearInterval(this.hangWatch);
      const boxes = await Promise.all([...this.byNamespace.values()].map((s) => s.ready.catch(() => undefined)));
      if (this.spare) boxes.push(this.spare);
      this.byNamespace.clear();
      this.spare = undefined;
      await Promise.all(boxes.map((b) => b && this.stop(b)));
      rmSync(this.root, { recursive: true, force: true });
    })();
    return this.closing;
  }

  private recordsOf(ns: string): FunctionRecord[] {
    return this.index.all().filter((r) => r.namespace === ns);
  }

  /** Namespace `ns`'s sandbox, started (or taken from the spare) on first use. */
  private sandboxOf(ns: string): Promise<Sandbox> {
    const known = this.byNamespace.get(ns);
    if (known) return known.ready;
    if (this.closing) return Promise.reject(new Error('the host is closed'));
    const spare = this.spare;
    this.spare = undefined;
    const entry: { ready: Promise<Sandbox>; box?: Sandbox } = {
      ready: (spare ? Promise.resolve(spare) : this.start()).then((box) => {
        if (this.byNamespace.get(ns) !== entry) {
          void this.stop(box);
          throw new Error('the host is closed');
        }
        box.ns = ns;
        entry.box = box;
        box.host.setRecords(this.recordsOf(ns), this.index.serving);
        this.opts.log.info('sandbox serving a namespace', { namespace: ns, isolation: this.opts.launch.level });
        return box;
      }),
    };
    // A start that failed is forgotten, so the next job tries again.
    entry.ready.catch(() => this.byNamespace.get(ns) === entry && this.byNamespace.delete(ns));
    this.byNamespace.set(ns, entry);
    return entry.ready;
  }

  private async start(): Promise<Sandbox> {
    const { launch, slot, gpuModule, logLevel, log, onLog, pingMs } = this.opts;
    const dirs = makeSandboxDirs(this.root, this.runtime!, String(++this.seq), launch);
    const backend = (this.selected ?? this.opts.backend) as BackendChoice;
    const endpoint = startSandbox(launch, dirs, { slot, backend, gpuModule, logLevel, bundles: 'ask' });
    const box = { ns: undefined, dirs, running: 0, lastUsed: Date.now(), bundles: new Map() } as unknown as Sandbox;
    try {
      box.host = await HostThread.over(endpoint, {
        slot,
        backend,
        gpuModule,
        logLevel,
        bundles: 'ask',
        label: `sandbox process ${endpoint.pid}`,
        log,
        onLog,
        ...(pingMs ? { pingMs } : {}),
        secrets: (fn, version) => (box.ns === undefined ? Promise.reject(new Error('this sandbox serves no namespace yet')) : this.opts.secrets.openFor(fn, version, box.ns)),
        knowledge: (fn, version) => (box.ns === undefined ? Promise.reject(new Error('this sandbox serves no namespace yet')) : this.opts.knowledge.openFor(fn, version, box.ns)),
        bundle: (hash) => this.bundle(box, hash),
        onLost: () => this.lost(box),
      });
    } catch (err) {
      rmSync(dirs.view, { recursive: true, force: true });
      rmSync(dirs.tmp, { recursive: true, force: true });
      throw err;
    }
    this.live.add(box);
    return box;
  }

  /** Copies bundle `hash` into `box`'s view, if it is one of its namespace's versions. */
  private bundle(box: Sandbox, hash: string): Promise<string> {
    const ours = [...this.index.all(), ...this.probing.values()].some((r) => r.namespace === box.ns && r.hash === hash);
    if (!ours) return Promise.reject(new Error(`bundle ${hash.slice(0, 12)} is not one of namespace ${box.ns ?? '(none)'}'s`));
    let p = box.bundles.get(hash);
    if (!p) {
      p = this.copyIn(box, hash);
      p.catch(() => box.bundles.delete(hash));
      box.bundles.set(hash, p);
    }
    return p;
  }

  private async copyIn(box: Sandbox, hash: string): Promise<string> {
    const target = join(box.dirs.view, hash);
    if (existsSync(target)) return target;
    const src = await this.opts.fetcher.ensure(hash);
    const tmp = join(box.dirs.view, `.${hash}`);
    rmSync(tmp, { recursive: true, force: true });
    cpSync(src, tmp, { recursive: true });
    const { uid, gid } = this.opts.launch;
    if (uid !== undefined) {
      chownSync(tmp, uid, gid ?? uid);
      for (const f of readdirSync(tmp, { recursive: true }) as string[]) chownSync(join(tmp, f), uid, gid ?? uid);
    }
    renameSync(tmp, target);
    return target;
  }

  /** A sandbox died: its calls have ended as lost (see `execute`); the next call of its namespace starts another. */
  private lost(box: Sandbox): void {
    box.died = true;
    this.deaths++;
    this.forget(box);
    if (this.spare === box) this.spare = undefined;
    const s = box.ns === undefined ? undefined : this.byNamespace.get(box.ns);
    if (s?.box === box) this.byNamespace.delete(box.ns!);
    this.removeDirs(box);
  }

  /**
   * Kills each sandbox that has left its pings unanswered for longer than its limit: function
   * code that hangs (a loop that never yields) would hold its namespace's calls forever. Its calls
   * come back lost and run again alone (see `execute`); the other namespaces' sandboxes, and the
   * worker, go on.
   */
  private killHung(): void {
    for (const box of this.live) {
      const silentMs = box.host.unresponsiveMs();
      if (silentMs === 0 || box.ns === undefined) continue;
      const limitMs = Math.max(this.opts.hangLimitMs, ...this.recordsOf(box.ns).map((r) => r.manifest.timeout));
      if (silentMs <= limitMs) continue;
      this.opts.log.error('a sandbox stopped answering; killing it', { namespace: box.ns, silentMs, limitMs, running: box.running });
      void box.host.kill();
    }
  }

  private retire(ns: string): void {
    const s = this.byNamespace.get(ns);
    this.byNamespace.delete(ns);
    if (!this.index.all().some((r) => r.namespace === ns)) this.gates.delete(ns);
    void s?.ready.then((b) => this.stop(b)).catch(() => undefined);
  }

  private reap(idleMs: number): void {
    const now = Date.now();
    for (const [ns, s] of this.byNamespace) {
      const b = s.box;
      if (!b || b.running > 0 || now - b.lastUsed < idleMs) continue;
      if (this.recordsOf(ns).some((r) => r.manifest.warm && this.index.serving.has(versionKey(r.name, r.version)))) continue;
      this.opts.log.info('stopping an idle sandbox', { namespace: ns, idleMs: now - b.lastUsed });
      this.retire(ns);
    }
  }

  private async stop(box: Sandbox): Promise<void> {
    this.forget(box);
    await box.host.close();
    this.removeDirs(box);
  }

  /** Takes `box` out of the live set, keeping its figures (as last reported) in the totals. */
  private forget(box: Sandbox): void {
    if (!this.live.delete(box)) return;
    this.gone = sumCounters([this.gone, box.host.stats()]);
  }

  private removeDirs(box: Sandbox): void {
    rmSync(box.dirs.view, { recursive: true, force: true });
    rmSync(box.dirs.tmp, { recursive: true, force: true });
  }
}

/** A non-negative integer, or 0: what a count from function code's side may be. */
const count = (n: unknown): number => (Number.isSafeInteger(n) && (n as number) >= 0 ? (n as number) : 0);

/** `counts` when every feature of the baseline has one count per bin, sanitised; undefined otherwise. */
function plausibleCounts(counts: unknown, baseline: DriftBaseline): Record<string, number[]> | undefined {
  if (typeof counts !== 'object' || counts === null) return undefined;
  const out: Record<string, number[]> = {};
  for (const [name, f] of Object.entries(baseline.features)) {
    const c = (counts as Record<string, unknown>)[name];
    if (!Array.isArray(c) || c.length !== f.edges.length + 1) return undefined;
    out[name] = c.map(count);
  }
  return out;
}
