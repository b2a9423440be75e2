import { join, resolve } from 'node:path';
import type { EnvReader } from '../../functions/sdk/index.ts';
import { BACKEND_CHOICES, INFERENCE_MODES, ISOLATION_CHOICES, type PoolConfig } from '../../queue/cluster/index.ts';
import { parseDeviceList } from './device-list.ts';

/**
 * The pool's part of the configuration: everything of a {@link PoolConfig} but what the
 * launcher resolves when it starts the pool (the Redis URL, which may be its embedded Redis,
 * and the keyring, which may be the one kept in the state directory).
 */
export type PoolSection = Omit<PoolConfig, 'redisUrl' | 'encryptionKeys'>;

/** Variables the router reads too: parsed once by `loadConfig`, passed in. */
export type SharedWithRouter = Pick<PoolSection, 'prefix' | 'workers' | 'redisCaFile' | 'jobLockMs' | 'stalledIntervalMs' | 'workerStaleMs' | 'shutdownGraceMs' | 'logLevel' | 'bundleLimit' | 'bundleMaxEntries' | 'traceStore' | 'traceKeep' | 'traceFailedTtlMs' | 'resultTtlMs'>;

/** What of the node the pool's section depends on: its role (for defaults) and the address it binds. */
export interface PoolNode {
  role: 'all' | 'router' | 'pool';
  host: string;
}

/** Reads the variables only the pool uses; problems go to `r.errors`. Defaults in {@link PoolConfig}. */
export function poolSection(r: EnvReader, shared: SharedWithRouter, stateDir: string, node: PoolNode): PoolSection {
  const devices = parseDeviceList(r.string('AUTOGLM_DEVICES') ?? 'auto');
  if (!devices.ok) r.errors.push(...devices.errors.map((e) => `AUTOGLM_DEVICES: ${e}`));
  return {
    ...shared,
    workersExplicit: r.string('AUTOGLM_WORKERS') !== undefined,
    devices: devices.ok ? devices.devices : undefined,
    modelMemoryBytes: r.bytes('AUTOGLM_MODEL_MEMORY', 2 * 1024 ** 3),
    backend: r.oneOf('AUTOGLM_TF_BACKEND', BACKEND_CHOICES, 'auto'),
    gpuModule: r.string('AUTOGLM_TF_GPU_MODULE') ?? '@tensorflow/tfjs-node-gpu',
    watchDrift: r.oneOf('AUTOGLM_DRIFT_WATCH', ['on', 'off'] as const, 'on') === 'on',
    inference: r.oneOf('AUTOGLM_INFERENCE', INFERENCE_MODES, 'thread'),
    isolation: r.oneOf('AUTOGLM_ISOLATION', ISOLATION_CHOICES, 'auto'),
    artifactsDir: resolve(r.string('AUTOGLM_ARTIFACTS_DIR') ?? join(stateDir, 'artifacts')),
    bundleCacheDir: resolve(r.string('AUTOGLM_BUNDLE_CACHE') ?? join(stateDir, 'bundles')),
    routerUrls: routerUrls(r),
    workerToken: r.string('AUTOGLM_WORKER_TOKEN'),
    hangLimitMs: r.duration('AUTOGLM_WORKER_HANG_LIMIT', 60_000, 1000),
    maxRssBytes: r.bytes('AUTOGLM_WORKER_MAX_RSS', 0),
    namespaces: poolNamespaces(r),
    gpuPollMs: r.duration('AUTOGLM_GPU_POLL', 5_000, 100),
    logsKept: r.int('AUTOGLM_FUNCTION_LOGS_KEPT', 10_000, 100, 10_000_000),
    logsPerSecond: r.int('AUTOGLM_FUNCTION_LOGS_RATE', 200, 1, 1_000_000),
    trainingConcurrency: r.int('AUTOGLM_TRAINING_CONCURRENCY', 1, 0, 64),
    ...healthPort(r, node.role),
    healthHost: node.host,
  };
}

/**
 * `AUTOGLM_POOL_HEALTH_PORT`: a port (0: any free one) or `off`. On by default only for role
 * `pool`: there a container runtime has no router beside the pool to ask; `npm start` (role
 * `all`) has its router's `/readyz`, and two of them on one machine would want one port.
 */
function healthPort(r: EnvReader, role: PoolNode['role']): { healthPort?: number } {
  const raw = r.string('AUTOGLM_POOL_HEALTH_PORT') ?? (role === 'pool' ? '8081' : 'off');
  if (raw === 'off') return {};
  if (!/^\d{1,5}$/.test(raw) || Number(raw) > 65535) {
    r.errors.push(`AUTOGLM_POOL_HEALTH_PORT=${JSON.stringify(raw)}: expected a port (0–65535; 0: any free port) or off`);
    return {};
  }
  return { healthPort: Number(raw) };
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
