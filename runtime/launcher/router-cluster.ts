import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../../functions/sdk/index.ts';
import type { Config } from '../config/index.ts';

/**
 * What a router process is handed over its IPC channel before it starts: the configuration the
 * launcher parsed and the keys it settled, so every process of the node uses the same (none is
 * read from the state directory by a process, nor put in an environment).
 */
export interface RouterSettings {
  config: Config;
  redisUrl: string;
  jwtSecret: string;
  /** The keyring spec sealing payloads (`AUTOGLM_ENCRYPTION_KEYS` or the state directory's). */
  encryptionKeys: string;
  /** Why the node is not ready yet (`/readyz`), until the launcher sends `started`. */
  starting?: string;
}

/** Launcher → router process. */
export type ToRouter = { type: 'settings'; settings: RouterSettings } | { type: 'started' };
/**
 * Router process → launcher. A process asks for its settings (`hello`) once it listens on its
 * channel: messages sent before its module has run would find no listener and be lost.
 */
export type FromRouter = { type: 'hello' } | { type: 'listening'; url: string; routerId: string };

/** Options of {@link RouterCluster.start}. */
export interface RouterClusterOptions {
  /** The router process's entry file (`runtime/router-worker.ts`, or its build). */
  entry: string;
  /** How many processes (`AUTOGLM_ROUTER_PROCESSES`). */
  processes: number;
  settings: RouterSettings;
  log: Logger;
  /** First delay before a crashed process is started again, doubled per crash in a row, up to `maxRestartDelayMs`. [250] */
  restartDelayMs?: number;
  /** [10 000] */
  maxRestartDelayMs?: number;
  /** Aborts the start (Ctrl-C while starting): the processes are stopped, the start rejects. */
  signal?: AbortSignal;
}

/** A process that ran this long before it exited restarts after the first delay again. */
const STEADY_MS = 30_000;

/** The router processes started before the node is up did not all listen: one exited. */
export class RouterStartError extends Error {
  override readonly name = 'RouterStartError';
}

/**
 * Several router processes on one port, as a node:cluster primary (the launcher's process).
 * Node 20 has no `reusePort` for `net.Server` (added in 22.12/23.1), so a SO_REUSEPORT socket
 * per process is not an option here. The primary opens the one listening socket and every
 * process accepts from it (`SCHED_NONE`): the kernel queues connections until a live process
 * takes them. Not Node's default on Linux, round robin, where the primary accepts and sends
 * each connection to a process: a connection sent to a process in the instant it dies is never
 * answered nor closed (the primary closes its copy only on the process's acknowledgement; seen
 * as a sync call hanging after a `kill -9`). The price: the kernel spreads connections less
 * evenly than round robin; under load, busy processes accept less and the others take more.
 *
 * A process that exits on its own is started again after a delay that doubles per crash in a
 * row (a crash loop does not spin), logged; the others keep serving. {@link close} drains all.
 */
export class RouterCluster {
  private readonly processes = new Set<Worker>();
  private closing: Promise<void> | undefined;
  private isStarted = false;
  private crashes = 0;
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly o: RouterClusterOptions,
    /** The URL all processes serve. */
    readonly url: string,
  ) {}

  /** Forks the processes; resolves once every one listens. @throws RouterStartError when one exits first (they all are stopped). */
  static async start(o: RouterClusterOptions): Promise<RouterCluster> {
    cluster.schedulingPolicy = cluster.SCHED_NONE;
    cluster.setupPrimary({ exec: o.entry, args: [] });
    const first = Array.from({ length: o.processes }, () => forkRouter(o.settings));
    const aborted = new Promise<never>((_, reject) => {
      const onAbort = () => reject(new RouterStartError('stopped during start'));
      if (o.signal?.aborted) onAbort();
      o.signal?.addEventListener('abort', onAbort, { once: true });
    });
    aborted.catch(() => undefined); // an abort after the start is the launcher's to handle
    const listening = first.map(
      (w) =>
        new Promise<string>((resolve, reject) => {
          w.on('message', (m: FromRouter) => m.type === 'listening' && resolve(m.url));
          w.once('exit', (code, signal) => reject(new RouterStartError(`a router process exited during start (${signal ?? `code ${code}`}); see its messages above`)));
        }),
    );
    let urls: string[];
    try {
      urls = await Promise.race([Promise.all(listening), aborted]);
    } catch (err) {
      await Promise.all(first.map((w) => stopProcess(w, 'SIGTERM')));
      throw err;
    }
    const c = new RouterCluster(o, urls[0]!);
    for (const w of first) c.adopt(w, Date.now());
    return c;
  }

  /** Ends the readiness hold ({@link RouterSettings.starting}) in every process, and in those started later. Idempotent. */
  started(): void {
    this.isStarted = true;
    for (const w of this.processes) send(w, { type: 'started' });
  }

  /** SIGTERM to every process, each draining as a single router does; resolves when all have exited. Idempotent. */
  close(): Promise<void> {
    return (this.closing ??= (async () => {
      for (const t of this.timers) clearTimeout(t);
      await Promise.all([...this.processes].map((w) => stopProcess(w, 'SIGTERM')));
    })());
  }

  /** SIGKILL to every process (the operator insisted). */
  kill(): void {
    this.closing ??= Promise.resolve();
    for (const w of this.processes) w.process.kill('SIGKILL');
  }

  private adopt(w: Worker, since: number): void {
    this.processes.add(w);
    const onExit = (code: number | null, signal: string | null) => {
      this.processes.delete(w);
      if (this.closing) return;
      if (Date.now() - since > STEADY_MS) this.crashes = 0;
      const delay = Math.min((this.o.restartDelayMs ?? 250) * 2 ** this.crashes, this.o.maxRestartDelayMs ?? 10_000);
      this.crashes++;
      this.o.log.error('a router process exited; starting another', { pid: w.process.pid, code, signal, restartInMs: delay, running: this.processes.size });
      const t = setTimeout(() => {
        this.timers.delete(t);
        if (!this.closing) this.restart();
      }, delay);
      this.timers.add(t);
    };
    // One of the first processes may have listened and died before the others listened.
    if (w.isDead()) onExit(w.process.exitCode, w.process.signalCode);
    else w.once('exit', onExit);
  }

  private restart(): void {
    const w = forkRouter({ ...this.o.settings, ...(this.isStarted ? { starting: undefined } : {}) });
    this.adopt(w, Date.now());
    w.on('message', (m: FromRouter) => {
      if (m.type !== 'listening') return;
      this.o.log.info('router process started again', { pid: w.process.pid, routerId: m.routerId });
      if (this.isStarted) send(w, { type: 'started' });
    });
  }
}

function forkRouter(settings: RouterSettings): Worker {
  const w = cluster.fork();
  w.on('message', (m: FromRouter) => m.type === 'hello' && send(w, { type: 'settings', settings }));
  return w;
}

function send(w: Worker, m: ToRouter): void {
  if (w.isConnected()) w.send(m, undefined, () => undefined);
}

function stopProcess(w: Worker, signal: NodeJS.Signals): Promise<void> {
  if (w.process.exitCode !== null || w.process.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((r) => w.process.once('exit', () => r()));
  w.process.kill(signal);
  return exited;
}
