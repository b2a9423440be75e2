import { EnvReader } from '../functions/sdk/index.ts';
import { POOL_CONFIG_VARIABLE, parseKeyring, type DeviceSlot, type Keyring, type PoolConfig } from '../queue/cluster/index.ts';

/**
 * Variables that hold secrets: removed from a worker's environment once read, before any function
 * code runs (the inference thread copies the environment).
 */
export const SECRET_VARIABLES = [
  // Holds the Redis URL (with its password), the encryption keys and the worker token.
  POOL_CONFIG_VARIABLE,
  // A trace collector's credentials, if any.
  'OTEL_EXPORTER_OTLP_HEADERS',
  'OTEL_EXPORTER_OTLP_TRACES_HEADERS',
] as const;

/** What a field must hold; `?`: or be absent. */
type Shape = 'string' | 'number' | 'boolean' | 'string?' | 'number?' | 'strings' | 'strings?' | 'devices?' | 'sentinel?';

const SAYS: Record<Shape, string> = {
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
  'string?': 'a string or absent',
  'number?': 'a number or absent',
  strings: 'a list of strings',
  'strings?': 'a list of strings or absent',
  'devices?': 'a list of devices ({"kind":"gpu","index":0,"count":1}) or absent',
  'sentinel?': 'sentinels and a master name ({"sentinels":[{"host":"10.0.0.5","port":26379}],"name":"autoglm"}) or absent',
};

/** Every field's shape; typed over PoolConfig's keys, so a field added there must be added here. */
const SHAPE: Record<keyof PoolConfig, Shape> = {
  redisUrl: 'string',
  redisSentinel: 'sentinel?',
  redisCaFile: 'string?',
  prefix: 'string',
  encryptionKeys: 'string',
  workers: 'number',
  workersExplicit: 'boolean',
  devices: 'devices?',
  modelMemoryBytes: 'number',
  backend: 'string',
  gpuModule: 'string',
  watchDrift: 'boolean',
  inference: 'string',
  isolation: 'string',
  artifactsDir: 'string',
  bundleCacheDir: 'string',
  bundleLimit: 'number',
  bundleMaxEntries: 'number',
  routerUrls: 'strings',
  workerToken: 'string?',
  jobLockMs: 'number',
  stalledIntervalMs: 'number',
  workerStaleMs: 'number',
  hangLimitMs: 'number',
  maxRssBytes: 'number',
  namespaces: 'strings?',
  gpuPollMs: 'number',
  shutdownGraceMs: 'number',
  logLevel: 'string',
  logsKept: 'number',
  logsPerSecond: 'number',
  trainingConcurrency: 'number',
  resultTtlMs: 'number',
  traceStore: 'boolean',
  traceKeep: 'number',
  traceFailedTtlMs: 'number',
  healthPort: 'number?',
  healthHost: 'string',
};

function fits(v: unknown, shape: Shape): boolean {
  if (v === undefined) return shape.endsWith('?');
  switch (shape) {
    case 'strings':
    case 'strings?':
      return Array.isArray(v) && v.every((x) => typeof x === 'string');
    case 'sentinel?':
      return typeof v === 'object' && v !== null && typeof (v as { name?: unknown }).name === 'string' && Array.isArray((v as { sentinels?: unknown }).sentinels) && (v as { sentinels: unknown[] }).sentinels.every((a) => typeof (a as { host?: unknown })?.host === 'string' && Number.isInteger((a as { port?: unknown }).port));
    case 'devices?':
      return Array.isArray(v) && v.every((d) => (d?.kind === 'cpu' || d?.kind === 'gpu') && Number.isInteger(d.count));
    default:
      return typeof v === shape.replace('?', '');
  }
}

/**
 * Reads the configuration the launcher handed this process ({@link POOL_CONFIG_VARIABLE}, JSON).
 * The launcher validated every value (`loadConfig` in `runtime/config/`); this checks only the
 * shape, so a pool started some other way fails naming what is missing rather than midway.
 */
export function readPoolConfig(raw: string | undefined): { ok: true; config: PoolConfig; keyring: Keyring } | { ok: false; errors: string[] } {
  if (raw === undefined) return { ok: false, errors: [`${POOL_CONFIG_VARIABLE}: not set (the pool is started by \`npm start\`, e.g. \`npm start -- --role pool\`)`] };
  let config: PoolConfig;
  try {
    config = JSON.parse(raw) as PoolConfig;
    if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new Error('not an object');
  } catch (err) {
    return { ok: false, errors: [`${POOL_CONFIG_VARIABLE}: not a JSON object (${(err as Error).message})`] };
  }
  const fields = config as unknown as Record<string, unknown>;
  const errors = Object.entries(SHAPE)
    .filter(([key, shape]) => !fits(fields[key], shape))
    .map(([key, shape]) => `${POOL_CONFIG_VARIABLE}: ${key}: expected ${SAYS[shape]}`);
  const ring = parseKeyring(typeof config.encryptionKeys === 'string' ? config.encryptionKeys : '');
  if (!ring.ok) errors.push(`${POOL_CONFIG_VARIABLE}: encryptionKeys: ${ring.error}`);
  return errors.length || !ring.ok ? { ok: false, errors } : { ok: true, config: Object.freeze(config), keyring: ring.ring };
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
