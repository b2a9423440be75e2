/** Messages between a worker's main thread ({@link HostThread}) and its inference thread. */
import type { ErrorRecord, InvocationResult, LogLevel } from '../functions/sdk/index.ts';
import type { BackendChoice, BackendName } from '../functions/sdk/tf/index.ts';
import type { DeviceSlot, FunctionLogLine, FunctionRecord } from '../queue/cluster/index.ts';
import type { HostInput, HostStats } from './function-host.ts';

/** `workerData` of the inference thread. */
export interface ThreadData {
  slot: DeviceSlot;
  backend: BackendChoice;
  gpuModule: string;
  logLevel: LogLevel;
  /** Bundle source and extraction folder (see `BundleCache`). */
  artifactsDir: string;
  bundleCacheDir: string;
}

/**
 * Main → thread. Requests with an `id` are answered by a `reply` with it. Each of `batches` is
 * one handler call's worth of jobs, formed by the main thread's batcher; the batches formed in
 * one turn of the main thread's event loop cross in one message, and results finished in one
 * turn of the thread come back in one `done`: messages cost per turn, not per job.
 */
export type ToThread =
  | { t: 'records'; all: FunctionRecord[]; serving: string[] | undefined }
  | { t: 'batches'; batches: { id: number; data: HostInput; picked: number }[][] }
  | { t: 'abort'; id: number }
  | { t: 'warm'; id: number }
  | { t: 'probe'; id: number; rec: FunctionRecord }
  | { t: 'reload'; keys: string[] }
  | { t: 'close'; id: number }
  | { t: 'ping' }
  /** The answer to the thread's `secrets` request with that `id`. */
  | { t: 'secrets'; id: number; values: Record<string, string> }
  | { t: 'secrets'; id: number; error: ErrorRecord };

/** Thread → main. */
export type FromThread =
  | { t: 'ready'; backend: BackendName; skipped: { backend: BackendName; reason: string }[]; simd: boolean | undefined }
  /** The thread cannot serve; `error` when it knows why in the catalogue's terms (BACKEND_UNAVAILABLE). */
  | { t: 'fatal'; message: string; error?: ErrorRecord }
  | { t: 'done'; results: { id: number; result: InvocationResult }[] }
  /** What function code wrote in one turn of the thread (`ctx.log`, `console.*`). */
  | { t: 'logs'; lines: FunctionLogLine[] }
  | { t: 'reply'; id: number; ok: true; value: unknown }
  | { t: 'reply'; id: number; ok: false; error: string }
  | { t: 'pong'; stats: HostStats }
  /**
   * The secrets a version's manifest lists, asked for as it loads: they are opened on the main
   * thread, which holds the keys, and only those of a version the main thread knows are given.
   */
  | { t: 'secrets'; id: number; fn: string; version: string };
