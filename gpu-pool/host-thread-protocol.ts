/**
 * Messages between a worker's main thread ({@link HostThread}) and where its function code runs:
 * an inference thread (`postMessage`) or a sandbox process (its IPC channel, V8-serialized). Both
 * carry structured clones, so one protocol serves both; batches cross as JSON text inside them.
 */
import type { ErrorRecord, InvocationResult, KnowledgeCollection, LogLevel } from '../functions/sdk/index.ts';
import type { BundleLimits } from '../functions/sdk/bundle/index.ts';
import type { BackendChoice, BackendName } from '../functions/sdk/tf/index.ts';
import type { DeviceSlot, FunctionLogLine, FunctionRecord } from '../queue/cluster/index.ts';
import type { DriftDelta } from './drift-counter.ts';
import type { HostInput, HostStats } from './function-host.ts';

/** `workerData` of the inference thread; the command-line argument of a sandbox process. */
export interface ThreadData {
  slot: DeviceSlot;
  backend: BackendChoice;
  gpuModule: string;
  logLevel: LogLevel;
  /**
   * Where bundles come from: a bundle source and extraction folder (see `BundleCache`), or `ask`:
   * the host side is asked for each bundle (`bundle` messages) and answers with a folder it
   * prepared, so a sandbox never sees the state directory.
   */
  bundles: { artifactsDir: string; bundleCacheDir: string; limits: Partial<BundleLimits> } | 'ask';
}

/**
 * The two ends of the channel as the main side sees them: a worker thread or a child process.
 * `listen` replaces the listeners set before (the start handshake sets its own, then the host).
 */
export interface HostEndpoint {
  send(m: ToThread): void;
  listen(on: { message: (m: FromThread) => void; lost: (err: Error) => void }): void;
  /** Stops the other side for good. */
  terminate(): Promise<void>;
}

/**
 * Main → thread. Requests with an `id` are answered by a `reply` with it. Each of `batches` is
 * one handler call's worth of jobs, formed by the main thread's batcher; the batches formed in
 * one turn of the main thread's event loop cross in one message, and results finished in one
 * turn of the thread come back in one `done`: messages cost per turn, not per job.
 */
export type ToThread =
  | { t: 'records'; all: FunctionRecord[]; serving: string[] | undefined }
  /**
   * The batches as JSON text (`batch-text.ts`): inputs as the text the router sealed, spliced in
   * unparsed, with the runs that read them. Text crosses for less than V8's serializer or a
   * structured clone, and the worker never parses an input (`test/bench/hand-off-bench.ts`).
   */
  | { t: 'batches'; json: string }
  | { t: 'abort'; id: number }
  | { t: 'warm'; id: number }
  | { t: 'probe'; id: number; rec: FunctionRecord }
  | { t: 'reload'; keys: string[] }
  | { t: 'close'; id: number }
  | { t: 'ping' }
  /** The answer to the thread's `secrets` request with that `id`. */
  | { t: 'secrets'; id: number; values: Record<string, string> }
  | { t: 'secrets'; id: number; error: ErrorRecord }
  /**
   * The answer to the thread's `knowledge` request with that `id`, in parts (see `knowledgeParts`:
   * collections can be megabytes): slices of collections, in order, the last part saying so.
   */
  | { t: 'knowledge'; id: number; part: KnowledgeCollection[]; last: boolean }
  | { t: 'knowledge'; id: number; error: ErrorRecord }
  /** The answer to a `bundle` request: the folder the bundle is extracted in, as the other side sees it. */
  | { t: 'bundle'; id: number; dir: string }
  | { t: 'bundle'; id: number; error: ErrorRecord };

/** One job of a batch as it crosses: the host's input, its id on the channel, and when its worker picked it. */
export interface BatchRun {
  id: number;
  data: HostInput;
  picked: number;
}

/** Thread → main. */
export type FromThread =
  | { t: 'ready'; backend: BackendName; skipped: { backend: BackendName; reason: string }[]; simd: boolean | undefined }
  /** The thread cannot serve; `error` when it knows why in the catalogue's terms (BACKEND_UNAVAILABLE). */
  | { t: 'fatal'; message: string; error?: ErrorRecord }
  | { t: 'done'; results: { id: number; result: InvocationResult }[] }
  /** What handlers emitted in one turn of the thread for runs that stream (`ctx.emit`), in order, as JSON text. */
  | { t: 'chunks'; chunks: { id: number; json: string }[] }
  /** What function code wrote in one turn of the thread (`ctx.log`, `console.*`). */
  | { t: 'logs'; lines: FunctionLogLine[] }
  | { t: 'reply'; id: number; ok: true; value: unknown }
  | { t: 'reply'; id: number; ok: false; error: string }
  /** `rss`: the resident memory of the process it runs in (a sandbox's counts toward its worker's memory limit). */
  | { t: 'pong'; stats: HostStats; rss: number; drift: DriftDelta[] }
  /**
   * The secrets a version's manifest lists, asked for as it loads: they are opened on the main
   * thread, which holds the keys, and only those of a version the main thread knows are given.
   */
  | { t: 'secrets'; id: number; fn: string; version: string }
  /** The knowledge collections a version's manifest lists, asked for as it loads, as secrets are. */
  | { t: 'knowledge'; id: number; fn: string; version: string }
  /** With `bundles: 'ask'`: the folder of bundle `hash`, which the main side fetches and exposes. */
  | { t: 'bundle'; id: number; hash: string };
