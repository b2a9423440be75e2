import type { LogLevel, Logger } from '../functions/sdk/index.ts';
import type { BundleLimits } from '../functions/sdk/bundle/index.ts';
import type { BackendChoice } from '../functions/sdk/tf/index.ts';
import type { DeviceSlot, FunctionLogLine, InferenceMode, IsolationLevel } from '../queue/cluster/index.ts';
import { BundleCache } from './bundle-cache.ts';
import { FunctionHost, type Host } from './function-host.ts';
import { HostThread } from './host-thread.ts';
import { SandboxHost } from './sandbox-host.ts';
import { launchFor } from './sandbox-launch.ts';
import { SplitHost } from './split-host.ts';
import type { WorkerKnowledge } from './worker-knowledge.ts';
import type { WorkerSecrets } from './worker-secrets.ts';

/** Options of {@link openHost}. */
export interface OpenHostOptions {
  slot: DeviceSlot;
  /**
   * `sandbox` or `process`: function code runs in a sandbox process per namespace (and `inference`
   * does not apply); `thread`: in this process, as `inference` says.
   */
  isolation: IsolationLevel;
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
  /** Limits every bundle cache opens archives with. */
  bundleLimits: Partial<BundleLimits>;
  /** This thread's bundle cache, which may download (it holds the worker token). */
  fetcher: BundleCache;
  secrets: WorkerSecrets;
  knowledge: WorkerKnowledge;
  log: Logger;
  /** Where the lines function code writes go. */
  onLog: (line: FunctionLogLine) => void;
  /** Told once if the inference thread dies. */
  onLost: () => void;
  /** How long a sandbox may be silent (at least its namespace's longest timeout) before it is killed as hung. */
  hangLimitMs: number;
}

/**
 * Selects the TensorFlow.js backend and opens the host that runs function code: in sandbox
 * processes, one per namespace; on an inference thread (with inline versions on this one); or all
 * on this thread.
 * @returns the host, and what of it may fall silent (an inference thread, sandboxes): its silence is watched
 * @throws an error coded `BACKEND_UNAVAILABLE` when the forced backend does not load
 */
export async function openHost(o: OpenHostOptions): Promise<{ host: Host; thread: { unresponsiveMs(): number } | undefined }> {
  const { slot, backend, gpuModule, logLevel, artifactsDir, bundleCacheDir, log, onLog, secrets, knowledge } = o;
  if (o.isolation !== 'thread') {
    // A sandbox that dies takes only its namespace's running jobs; the next job starts another.
    const host = await SandboxHost.open({ launch: launchFor(o.isolation), slot, backend, gpuModule, logLevel, fetcher: o.fetcher, secrets, knowledge, log, onLog, hangLimitMs: o.hangLimitMs });
    log.info('backend selected', { backend: host.backend, simd: host.selection.simd, skipped: host.selection.skipped, isolation: o.isolation });
    return { host, thread: host };
  }
  if (o.inference === 'thread') {
    const thread = await HostThread.start({ slot, backend, gpuModule, logLevel, bundles: { artifactsDir, bundleCacheDir, limits: o.bundleLimits }, log, onLog, secrets: secrets.openFor, knowledge: knowledge.openFor, onLost: o.onLost });
    // Versions whose manifest says `isolation: inline` run here, on the main thread, from the
    // bundles this thread already fetches.
    const host = new SplitHost(thread, new FunctionHost({ slot, backend: thread.backend, bundles: o.fetcher, log, onLog, secrets: secrets.open, knowledge: knowledge.open }));
    log.info('backend selected', { backend: host.backend, simd: thread.selection.simd, skipped: thread.selection.skipped, inference: 'thread' });
    return { host, thread };
  }
  // Imported here: in the default (thread) mode this thread never loads TensorFlow.js (~60 MB).
  const { selectBackend } = await import('../functions/sdk/tf/index.ts');
  const sel = await selectBackend({ choice: backend, gpuModule });
  const bundles = new BundleCache(bundleCacheDir, { localDir: artifactsDir }, o.bundleLimits);
  const host = new FunctionHost({ slot, backend: sel.name, bundles, numTensors: sel.numTensors, numBytes: sel.numBytes, log, onLog, secrets: secrets.open, knowledge: knowledge.open });
  log.info('backend selected', { backend: sel.name, simd: sel.simd, skipped: sel.skipped, inference: 'inline' });
  return { host, thread: undefined };
}
