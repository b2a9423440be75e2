/**
 * The pool's configuration as it travels from the launcher to the pool process and on to each
 * worker process: JSON in one environment variable, {@link POOL_CONFIG_VARIABLE}.
 *
 * Why here: the configuration module (`runtime/config/`) parses and validates it, the pool
 * (`gpu-pool/`) reads it, and neither may import the other. `queue/cluster/` is the one place
 * both sides import, so the type is declared once, here. Only the type and the variable's name
 * live here: parsing belongs to the configuration module, the shape check to the pool.
 *
 * Every field is plain JSON (no Map, no undefined that matters: an absent optional field reads
 * as undefined on the other side), so `JSON.parse(JSON.stringify(c))` is `c`.
 */
import type { LogLevel } from '../../functions/sdk/index.ts';
import type { SentinelSettings } from './redis-sentinel.ts';

/**
 * The variable that carries the pool's configuration (JSON). It holds secrets (Redis URL with
 * its password, encryption keys, the worker token): a worker removes it from its environment
 * before function code runs, and it never goes on a command line (`ps` shows those to everyone).
 */
export const POOL_CONFIG_VARIABLE = 'AUTOGLM_POOL_CONFIG';

/** `AUTOGLM_TF_BACKEND` values: the choices of the pool's backend selection (`selectBackend`). */
export const BACKEND_CHOICES = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;

/** `AUTOGLM_INFERENCE` values: where function code runs inside a worker process. */
export const INFERENCE_MODES = ['thread', 'inline'] as const;

/** Where function code runs inside a worker process. */
export type InferenceMode = (typeof INFERENCE_MODES)[number];

/**
 * `AUTOGLM_ISOLATION` values: how far function code is kept from the worker. `sandbox`: its own
 * process in bubblewrap namespaces (no network, no other processes, only its bundles and the
 * runtime mounted), as an unprivileged user; `process`: its own process as an unprivileged user
 * under Node's permission model; `thread`: in the worker process (trusted single-team installs);
 * `auto`: the strongest of `sandbox` and `process` this node can run.
 */
export const ISOLATION_CHOICES = ['auto', 'sandbox', 'process', 'thread'] as const;

/** A level of isolation a worker runs function code at (`auto` resolved). */
export type IsolationLevel = Exclude<(typeof ISOLATION_CHOICES)[number], 'auto'>;

/** One entry of `AUTOGLM_DEVICES`, before budgets are resolved (grammar in `runtime/config/device-list.ts`). */
export interface DeclaredDevice {
  kind: 'cpu' | 'gpu';
  /** GPU index; absent for CPU entries. */
  index?: number | undefined;
  count: number;
  /** `@<size>`; absent: discovered (GPU) or the pool's default model memory. */
  memoryBytes?: number | undefined;
}

/**
 * The pool's configuration: parsed from the environment once, by `loadConfig` in
 * `runtime/config/`, which holds each variable's one default; completed by the launcher (the
 * Redis it started, the keyring it keeps in the state directory).
 */
export interface PoolConfig {
  /**
   * `REDIS_URL`, or the launcher's embedded Redis. With {@link redisSentinel}: only the data
   * connection's user, password, db and TLS (its host is ignored).
   */
  readonly redisUrl: string;
  /** `REDIS_SENTINELS`, `REDIS_SENTINEL_NAME`, `REDIS_SENTINEL_PASSWORD`: find the master through Sentinel. Absent: `redisUrl` is the one Redis. */
  readonly redisSentinel?: SentinelSettings | undefined;
  /** `AUTOGLM_REDIS_CA` (PEM file): CA to trust for a `rediss://` REDIS_URL. */
  readonly redisCaFile?: string | undefined;
  /** `AUTOGLM_REDIS_PREFIX`, default `autoglm`. */
  readonly prefix: string;
  /**
   * `AUTOGLM_ENCRYPTION_KEYS`, or the keyring the launcher keeps in the state directory:
   * `kid:base64key,…`, the first active. Workers open sealed inputs and seal outputs; function
   * code never sees the keys.
   */
  readonly encryptionKeys: string;
  /** `AUTOGLM_WORKERS`, default: number of cores. CPU worker slots when `AUTOGLM_DEVICES` is unset. */
  readonly workers: number;
  /** Whether `AUTOGLM_WORKERS` was set (with GPUs discovered, CPU slots run only then). */
  readonly workersExplicit: boolean;
  /** `AUTOGLM_DEVICES`, default `auto`: declared device slots; absent: discover. */
  readonly devices?: DeclaredDevice[] | undefined;
  /** `AUTOGLM_MODEL_MEMORY`, default 2GiB: model-cache budget of a slot that nothing else sizes. */
  readonly modelMemoryBytes: number;
  /** `AUTOGLM_TF_BACKEND`, default `auto` (tensorflow → wasm → cpu); a named one is required, not a preference. */
  readonly backend: (typeof BACKEND_CHOICES)[number];
  /** `AUTOGLM_TF_GPU_MODULE`, default `@tensorflow/tfjs-node-gpu`: the module providing the `tensorflow` backend. */
  readonly gpuModule: string;
  /** `AUTOGLM_DRIFT_WATCH`, default `on`: count live inputs for the versions whose manifest declares `drift`; `off`: count nothing. */
  readonly watchDrift: boolean;
  /**
   * `AUTOGLM_INFERENCE`, default `thread`: run function code on a worker thread so a long predict
   * never delays the queue's lock renewal; `inline` runs it on the main thread and instead holds
   * each job's lock for its timeout plus `AUTOGLM_JOB_LOCK`.
   */
  readonly inference: InferenceMode;
  /**
   * `AUTOGLM_ISOLATION`, default `thread`: how function code is kept from the worker (see
   * {@link ISOLATION_CHOICES}). The pool resolves `auto` once, at start, and hands its workers
   * the level. With `sandbox` or `process`, `AUTOGLM_INFERENCE` and a manifest's `isolation:
   * inline` do not apply: all function code runs in the namespace's sandbox process.
   */
  readonly isolation: (typeof ISOLATION_CHOICES)[number];
  /** `AUTOGLM_ARTIFACTS_DIR`, default `$AUTOGLM_STATE_DIR/artifacts`: the router's bundle store, when on this node. */
  readonly artifactsDir: string;
  /** `AUTOGLM_BUNDLE_CACHE`, default `$AUTOGLM_STATE_DIR/bundles`: where this node extracts bundles. */
  readonly bundleCacheDir: string;
  /** `AUTOGLM_BUNDLE_LIMIT`, default 256MiB: most content a bundle may expand to when a worker opens it. */
  readonly bundleLimit: number;
  /** `AUTOGLM_BUNDLE_MAX_ENTRIES`, default 10,000: most members of a bundle a worker opens. */
  readonly bundleMaxEntries: number;
  /**
   * `AUTOGLM_ROUTER_URL`: router(s), comma-separated, that serve bundles missing from
   * `artifactsDir` (pool nodes without the router's disk). Needs `AUTOGLM_WORKER_TOKEN`.
   */
  readonly routerUrls: string[];
  /** `AUTOGLM_WORKER_TOKEN`: a token with the `worker` role, for bundle downloads. */
  readonly workerToken?: string | undefined;
  /** `AUTOGLM_JOB_LOCK`, default 30s. */
  readonly jobLockMs: number;
  /** `AUTOGLM_STALLED_INTERVAL`, default 30s. */
  readonly stalledIntervalMs: number;
  /** `AUTOGLM_WORKER_STALE`, default 10s: a worker silent this long drops out of the roster; it beats every fifth of it. */
  readonly workerStaleMs: number;
  /**
   * `AUTOGLM_WORKER_HANG_LIMIT`, default 60s: a worker whose event loop (or inference thread) is
   * silent this long is killed and replaced. The inference thread gets at least the longest
   * timeout of the functions it serves.
   */
  readonly hangLimitMs: number;
  /** `AUTOGLM_WORKER_MAX_RSS`, default 0 (= the slot's model budget + 1.5GiB): above it a worker is drained and replaced. */
  readonly maxRssBytes: number;
  /**
   * `AUTOGLM_POOL_NAMESPACES`, default every namespace (absent): the namespaces whose functions
   * this pool runs; `*` for all, `!name` to leave one out. A team whose code must not share
   * workers with others' gets a pool of its own this way.
   */
  readonly namespaces?: string[] | undefined;
  /** `AUTOGLM_GPU_POLL`, default 5s: how often a GPU worker reads its device's memory, utilisation and temperature (nvidia-smi). */
  readonly gpuPollMs: number;
  /** `AUTOGLM_SHUTDOWN_GRACE`, default 30s: how long a worker may take to finish its jobs. */
  readonly shutdownGraceMs: number;
  /** `AUTOGLM_LOG_LEVEL`, default info. */
  readonly logLevel: LogLevel;
  /** `AUTOGLM_TRACE_STORE`, default `on`: workers write their spans to the trace store. */
  readonly traceStore: boolean;
  /** `AUTOGLM_TRACE_KEEP`, default 10000: traces the store keeps (the most recent). */
  readonly traceKeep: number;
  /** `AUTOGLM_TRACE_FAILED_TTL`, default 1d: how long a failed trace is kept. */
  readonly traceFailedTtlMs: number;
  /** `AUTOGLM_FUNCTION_LOGS_KEPT`, default 10000: lines of function logs kept per function (`autoglm logs`). */
  readonly logsKept: number;
  /** `AUTOGLM_FUNCTION_LOGS_RATE`, default 200: lines a second one worker ships per function; more are counted and dropped. */
  readonly logsPerSecond: number;
  /**
   * `AUTOGLM_TRAINING_CONCURRENCY`, default 1: trainings each worker runs at once (from the
   * `train.<kind>` queue of its slot's kind), each in a niced process of its own; 0: this pool
   * trains nothing (a pool kept for serving).
   */
  readonly trainingConcurrency: number;
  /** `AUTOGLM_RESULT_TTL`, default 1d: how long the record of a training a worker ended (failed, cancelled) is kept, as a router keeps those it ends. */
  readonly resultTtlMs: number;
  /**
   * `AUTOGLM_POOL_HEALTH_PORT`: where the pool answers `GET /healthz` for a container runtime's
   * probes (200 while a worker is live, 503 naming why not). Default 8081 for role `pool`; absent
   * (`off`, and the default of role `all`, whose router's `/readyz` reports the workers): none.
   * `0` picks a free port (logged).
   */
  readonly healthPort?: number | undefined;
  /** `AUTOGLM_HOST`, default 127.0.0.1: the address the health endpoint binds, as the router's does. */
  readonly healthHost: string;
}
