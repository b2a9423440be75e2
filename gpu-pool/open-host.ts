import type { LogLevel, Logger } from '../functions/sdk/index.ts';
import type { BackendChoice } from '../functions/sdk/tf/index.ts';
import type { DeviceSlot, FunctionLogLine, InferenceMode } from '../queue/cluster/index.ts';
import { BundleCache } from './bundle-cache.ts';
import { FunctionHost, type Host } from './function-host.ts';
import { HostThread } from './host-thread.ts';
import { SplitHost } from './split-host.ts';
import type { WorkerSecrets } from './worker-secrets.ts';

/** Options of {@link openHost}. */
export interface OpenHostOptions {
  slot: DeviceSlot;
  /** `thread`: function code runs on an inference thread (versions declaring `isolation: inline` excepted); `inline`: here. */
  inference: InferenceMode;
  backend: BackendChoice;
  /** Module providing the `tensorflow` backend. */
  gpuModule: string;
  logLevel: LogLevel;
  /** The router's bundle store, when on this node. */
  artifactsDir: string;
  /** Where this node extracts bundles. */
  bundleCacheDir: string;
  /** This thread's bundle cache, which may download (it holds the worker token). */
  fetcher: BundleCache;
  secrets: WorkerSecrets;
  log: Logger;
  /** Where the lines function code writes go. */
  onLog: (line: FunctionLogLine) => void;
  /** Told once if the inference thread dies. */
  onLost: () => void;
}

/**
 * Selects the TensorFlow.js backend and opens the host that runs function code: on an inference
 * thread (with inline versions on this one), or all on this thread.
 * @returns the host, and the inference thread if there is one (its silence is watched)
 * @throws an error coded `BACKEND_UNAVAILABLE` when the forced backend does not load
 */
export async function openHost(o: OpenHostOptions): Promise<{ host: Host; thread: HostThread | undefined }> {
  const { slot, backend, gpuModule, logLevel, artifactsDir, bundleCacheDir, log, onLog, secrets } = o;
  if (o.inference === 'thread') {
    const thread = await HostThread.start({ slot, backend, gpuModule, logLevel, artifactsDir, bundleCacheDir, log, onLog, secrets: secrets.openFor, onLost: o.onLost });
    // Versions whose manifest says `isolation: inline` run here, on the main thread, from the
    // bundles this thread already fetches.
    const host = new SplitHost(thread, new FunctionHost({ slot, backend: thread.backend, bundles: o.fetcher, log, onLog, secrets: secrets.open }));
    log.info('backend selected', { backend: host.backend, simd: thread.selection.simd, skipped: thread.selection.skipped, inference: 'thread' });
    return { host, thread };
  }
  // Imported here: in the default (thread) mode this thread never loads TensorFlow.js (~60 MB).
  const { selectBackend } = await import('../functions/sdk/tf/index.ts');
  const sel = await selectBackend({ choice: backend, gpuModule });
  const bundles = new BundleCache(bundleCacheDir, { localDir: artifactsDir });
  const host = new FunctionHost({ slot, backend: sel.name, bundles, numTensors: sel.numTensors, numBytes: sel.numBytes, log, onLog, secrets: secrets.open });
  log.info('backend selected', { backend: sel.name, simd: sel.simd, skipped: sel.skipped, inference: 'inline' });
  return { host, thread: undefined };
}
