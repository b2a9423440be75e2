import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { EnvReader, type LogLevel } from '../functions/sdk/index.ts';
import { parseKeyring, type DeviceSlot, type Keyring } from '../queue/cluster/index.ts';
import type { BackendChoice } from './backend.ts';
import { parseDeviceList, type DeclaredDevice } from './devices.ts';

/** Where function code runs inside a worker process. */
export type InferenceMode = 'thread' | 'inline';

/** The pool's configuration, parsed once from the environment at its entry point. */
export interface PoolConfig {
  /** `REDIS_URL` (required: the launcher sets it for an embedded Redis). */
  readonly redisUrl: string;
  /** `AUTOGLM_REDIS_PREFIX`, default `autoglm`. */
  readonly prefix: string;
  /** `AUTOGLM_WORKERS`, default: number of cores. CPU worker slots when `AUTOGLM_DEVICES` is unset. */
  readonly workers: number;
  /** Whether `AUTOGLM_WORKERS` was set (with GPUs discovered, CPU slots run only then). */
  readonly workersExplicit: boolean;
  /** `AUTOGLM_DEVICES`, default `auto`: declared device slots (grammar in `devices.ts`); undefined: discover. */
  readonly devices: DeclaredDevice[] | undefined;
  /** `AUTOGLM_MODEL_MEMORY`, default 2GiB: model-cache budget of a slot that nothing else sizes. */
  readonly modelMemoryBytes: number;
  /** `AUTOGLM_TF_BACKEND`, default `auto` (tensorflow → wasm → cpu); a named one is required, not a preference. */
  readonly backend: BackendChoice;
  /** `AUTOGLM_TF_GPU_MODULE`, default `@tensorflow/tfjs-node-gpu`: the module providing the `tensorflow` backend. */
  readonly gpuModule: string;
  /**
   * `AUTOGLM_INFERENCE`, default `thread`: run function code on a worker thread so a long predict
   * never delays the queue's lock renewal; `inline` runs it on the main thread and instead holds
   * each job's lock for its timeout plus `AUTOGLM_JOB_LOCK`.
   */
  readonly inference: InferenceMode;
  /** `AUTOGLM_ARTIFACTS_DIR`, default `$AUTOGLM_STATE_DIR/artifacts`: the router's bundle store, when on this node. */
  readonly artifactsDir: string;
  /** `AUTOGLM_BUNDLE_CACHE`, default `$AUTOGLM_STATE_DIR/bundles`: where this node extracts bundles. */
  readonly bundleCacheDir: string;
  /**
   * `AUTOGLM_ROUTER_URL`: router(s), comma-separated, that serve bundles missing from
   * `artifactsDir` (pool nodes without the router's disk). Needs `AUTOGLM_WORKER_TOKEN`.
   */
  readonly routerUrls: string[];
  /** `AUTOGLM_WORKER_TOKEN`: a token with the `worker` role, for bundle downloads. */
  readonly workerToken: string | undefined;
  /** `AUTOGLM_REDIS_CA` (PEM file): CA to trust for a `rediss://` REDIS_URL. */
  readonly redisCaFile: string | undefined;
  /** `AUTOGLM_JOB_LOCK`, default 30s. */
  readonly jobLockMs: number;
  /** `AUTOGLM_STALLED_INTERVAL`, default 30s. */
  readonly stalledIntervalMs: number;
  /**
   * `AUTOGLM_WORKER_HANG_LIMIT`, default 60s: a worker whose event loop (or inference thread) is
   * silent this long is killed and replaced. The inference thread gets at least the longest
   * timeout of the functions it serves.
   */
  readonly hangLimitMs: number;
  /** `AUTOGLM_WORKER_MAX_RSS`, default 0 (= the slot's model budget + 1.5GiB): above it a worker is drained and replaced. */
  readonly maxRssBytes: number;
  /**
   * `AUTOGLM_POOL_NAMESPACES`, default every namespace: the namespaces whose functions this pool
   * runs, comma-separated; `*` for all, `!name` to leave one out (`team-a`; `*,!team-a`). A team
   * whose code must not share workers with others' gets a pool of its own this way.
   */
  readonly namespaces: string[] | undefined;
  /** `AUTOGLM_GPU_POLL`, default 5s: how often a GPU worker reads its device's memory, utilisation and temperature (nvidia-smi). */
  readonly gpuPollMs: number;
  /** `AUTOGLM_SHUTDOWN_GRACE`, default 30s: how long a worker may take to finish its jobs. */
  readonly shutdownGraceMs: number;
  /** `AUTOGLM_LOG_LEVEL`, default info. */
  readonly logLevel: LogLevel;
  /** `AUTOGLM_FUNCTION_LOGS_KEPT`, default 10000: lines of function logs kept per function (`autoglm logs`). */
  readonly logsKept: number;
  /** `AUTOGLM_FUNCTION_LOGS_RATE`, default 200: lines a second one worker ships per function; more are counted and dropped. */
  readonly logsPerSecond: number;
  /**
   * `AUTOGLM_ENCRYPTION_KEYS` (required; the launcher passes the router's): `kid:base64key,…`, the
   * first active. Workers open sealed inputs and seal outputs; function code never sees the keys.
   */
  readonly encryptionKeys: Keyring;
}

/** Variables that hold secrets: removed from the worker's environment once parsed, before any function code runs. */
export const SECRET_VARIABLES = [
  'AUTOGLM_ENCRYPTION_KEYS',
  'REDIS_URL',
  'AUTOGLM_WORKER_TOKEN',
  // A trace collector's credentials, if any.
  'OTEL_EXPORTER_OTLP_HEADERS',
  'OTEL_EXPORTER_OTLP_TRACES_HEADERS',
] as const;

/** Parses the pool's variables; every bad one is reported. */
export function loadPoolConfig(env: Readonly<Record<string, string | undefined>>): { ok: true; config: PoolConfig } | { ok: false; errors: string[] } {
  const r = new EnvReader(env);
  const redisUrl = r.redisUrl('REDIS_URL');
  if (redisUrl === undefined && r.string('REDIS_URL') === undefined) r.errors.push('REDIS_URL: required for the pool (redis://host:port)');
  const devices = parseDeviceList(r.string('AUTOGLM_DEVICES') ?? 'auto');
  if (!devices.ok) r.errors.push(...devices.errors.map((e) => `AUTOGLM_DEVICES: ${e}`));
  const stateDir = resolve(r.string('AUTOGLM_STATE_DIR') ?? '.autoglm');
  const ring = parseKeyring(r.string('AUTOGLM_ENCRYPTION_KEYS') ?? '');
  if (!ring.ok) r.errors.push(`AUTOGLM_ENCRYPTION_KEYS: ${ring.error}`);
  const config: PoolConfig = {
    encryptionKeys: ring.ok ? ring.ring : { active: '', keys: new Map() },
    redisUrl: redisUrl ?? '',
    prefix: r.string('AUTOGLM_REDIS_PREFIX') ?? 'autoglm',
    workers: r.int('AUTOGLM_WORKERS', availableParallelism(), 1, 256),
    workersExplicit: r.string('AUTOGLM_WORKERS') !== undefined,
    devices: devices.ok ? devices.devices : undefined,
    modelMemoryBytes: r.bytes('AUTOGLM_MODEL_MEMORY', 2 * 1024 ** 3),
    backend: r.oneOf('AUTOGLM_TF_BACKEND', ['auto', 'tensorflow', 'wasm', 'cpu'] as const, 'auto'),
    gpuModule: r.string('AUTOGLM_TF_GPU_MODULE') ?? '@tensorflow/tfjs-node-gpu',
    inference: r.oneOf('AUTOGLM_INFERENCE', ['thread', 'inline'] as const, 'thread'),
    artifactsDir: resolve(r.string('AUTOGLM_ARTIFACTS_DIR') ?? join(stateDir, 'artifacts')),
    bundleCacheDir: resolve(r.string('AUTOGLM_BUNDLE_CACHE') ?? join(stateDir, 'bundles')),
    routerUrls: routerUrls(r),
    workerToken: r.string('AUTOGLM_WORKER_TOKEN'),
    redisCaFile: r.string('AUTOGLM_REDIS_CA'),
    jobLockMs: r.duration('AUTOGLM_JOB_LOCK', 30_000, 500),
    stalledIntervalMs: r.duration('AUTOGLM_STALLED_INTERVAL', 30_000, 500),
    hangLimitMs: r.duration('AUTOGLM_WORKER_HANG_LIMIT', 60_000, 1000),
    maxRssBytes: r.bytes('AUTOGLM_WORKER_MAX_RSS', 0),
    namespaces: poolNamespaces(r),
    gpuPollMs: r.duration('AUTOGLM_GPU_POLL', 5_000, 100),
    shutdownGraceMs: r.duration('AUTOGLM_SHUTDOWN_GRACE', 30_000),
    logLevel: r.oneOf('AUTOGLM_LOG_LEVEL', ['debug', 'info', 'warn', 'error'] as const, 'info'),
    logsKept: r.int('AUTOGLM_FUNCTION_LOGS_KEPT', 10_000, 100, 10_000_000),
    logsPerSecond: r.int('AUTOGLM_FUNCTION_LOGS_RATE', 200, 1, 1_000_000),
  };
  return r.errors.length ? { ok: false, errors: r.errors } : { ok: true, config: Object.freeze(config) };
}

/** `AUTOGLM_POOL_NAMESPACES`: undefined for every namespace; a list of only exclusions implies `*`. */
function poolNamespaces(r: EnvReader): string[] | undefined {
  const raw = r.string('AUTOGLM_POOL_NAMESPACES');
  if (raw === undefined) return undefined;
  const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = items.filter((s) => !/^(\*|!?[a-z][a-z0-9-]{0,62})$/.test(s));
  if (bad.length || items.length === 0) {
    r.errors.push(`AUTOGLM_POOL_NAMESPACES=${JSON.stringify(raw)}: expected namespaces, * or !namespace, comma-separated${bad.length ? ` (not: ${bad.join(', ')})` : ''}`);
    return undefined;
  }
  const scope = items.every((s) => s.startsWith('!')) ? ['*', ...items] : items;
  return scope.length === 1 && scope[0] === '*' ? undefined : scope;
}

function routerUrls(r: EnvReader): string[] {
  const urls = (r.string('AUTOGLM_ROUTER_URL') ?? '').split(',').map((u) => u.trim()).filter(Boolean);
  for (const u of urls) {
    try {
      if (!/^https?:$/.test(new URL(u).protocol)) throw new Error();
    } catch {
      r.errors.push(`AUTOGLM_ROUTER_URL: ${JSON.stringify(u)} is not an http(s) URL`);
    }
  }
  return urls;
}

/** What the supervisor tells one worker process about itself (variables it sets per slot). */
export interface WorkerIdentity {
  /** `AUTOGLM_WORKER_DEVICE`: the slot, JSON. Default a CPU slot numbered `AUTOGLM_WORKER_SLOT`. */
  readonly slot: DeviceSlot;
  /** `AUTOGLM_WORKER_RESTARTS`, default 0: times this slot's worker was replaced before. */
  readonly restarts: number;
}

/** Parses the per-slot variables of a worker process. */
export function loadWorkerIdentity(env: Readonly<Record<string, string | undefined>>, defaultMemoryBytes: number): { ok: true; identity: WorkerIdentity } | { ok: false; errors: string[] } {
  const r = new EnvReader(env);
  const n = r.int('AUTOGLM_WORKER_SLOT', 0, 0, 1023);
  let slot: DeviceSlot = { id: `cpu:${n}`, kind: 'cpu', index: n, name: 'cpu', memoryBytes: defaultMemoryBytes };
  const raw = r.string('AUTOGLM_WORKER_DEVICE');
  if (raw !== undefined) {
    try {
      const s = JSON.parse(raw) as DeviceSlot;
      if ((s.kind !== 'cpu' && s.kind !== 'gpu') || typeof s.id !== 'string' || !(s.memoryBytes > 0)) throw new Error();
      slot = s;
    } catch {
      r.errors.push(`AUTOGLM_WORKER_DEVICE=${JSON.stringify(raw)}: expected a device slot as JSON ({"id":"gpu:0","kind":"gpu",…})`);
    }
  }
  const identity: WorkerIdentity = { slot, restarts: r.int('AUTOGLM_WORKER_RESTARTS', 0, 0, Number.MAX_SAFE_INTEGER) };
  return r.errors.length ? { ok: false, errors: r.errors } : { ok: true, identity };
}
