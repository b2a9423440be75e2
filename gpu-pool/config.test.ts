import { describe, expect, it } from 'vitest';
import { POOL_CONFIG_VARIABLE, newKeyringSpec, type PoolConfig } from '../queue/cluster/index.ts';
import { loadWorkerIdentity, readPoolConfig } from './config.ts';

const KEYS = newKeyringSpec('test');

const GIB = 1024 ** 3;

/** A configuration as the launcher hands it over (values from `loadConfig`'s defaults). */
const handed: PoolConfig = {
  redisUrl: 'redis://h:1',
  prefix: 'autoglm',
  encryptionKeys: KEYS,
  workers: 2,
  workersExplicit: false,
  devices: [{ kind: 'gpu', index: 0, count: 1 }],
  modelMemoryBytes: 2 * GIB,
  backend: 'auto',
  gpuModule: '@tensorflow/tfjs-node-gpu',
  watchDrift: true,
  inference: 'thread',
  isolation: 'thread',
  artifactsDir: '/s/artifacts',
  bundleCacheDir: '/s/bundles',
  bundleLimit: 256 * 1024 * 1024,
  bundleMaxEntries: 10_000,
  routerUrls: [],
  jobLockMs: 30_000,
  stalledIntervalMs: 30_000,
  workerStaleMs: 10_000,
  hangLimitMs: 60_000,
  maxRssBytes: 0,
  gpuPollMs: 5_000,
  shutdownGraceMs: 30_000,
  logLevel: 'info',
  logsKept: 10_000,
  logsPerSecond: 200,
  trainingConcurrency: 1,
  resultTtlMs: 86_400_000,
  traceStore: true,
  traceKeep: 10_000,
  traceFailedTtlMs: 86_400_000,
  healthHost: '127.0.0.1',
};

describe('readPoolConfig', () => {
  it('reads the configuration the launcher handed over, with its keyring', () => {
    const r = readPoolConfig(JSON.stringify(handed));
    if (!r.ok) throw new Error(r.errors.join());
    expect(r.config).toEqual(handed);
    expect(r.keyring.active).toBe('test');
  });

  it('says how the pool is started when nothing was handed over', () => {
    const r = readPoolConfig(undefined);
    expect(!r.ok && r.errors.join()).toMatch(new RegExp(`${POOL_CONFIG_VARIABLE}: not set.*npm start`));
    expect(readPoolConfig('[1]').ok).toBe(false);
    expect(readPoolConfig('{').ok).toBe(false);
  });

  it('names every field of the wrong shape, and a keyring that does not parse', () => {
    const r = readPoolConfig(JSON.stringify({ ...handed, redisUrl: undefined, workers: '2', routerUrls: 'http://r', devices: [{ kind: 'tpu' }], encryptionKeys: 'nope' }));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const text = r.errors.join('\n');
    for (const key of ['redisUrl', 'workers', 'routerUrls', 'devices', 'encryptionKeys']) expect(text).toContain(`${key}:`);
    expect(r.errors).toHaveLength(5);
  });
});

describe('loadWorkerIdentity', () => {
  it('reads the slot the supervisor passed', () => {
    const slot = { id: 'gpu:1', kind: 'gpu', index: 1, name: 'NVIDIA A100', memoryBytes: GIB };
    const r = loadWorkerIdentity({ AUTOGLM_WORKER_DEVICE: JSON.stringify(slot), AUTOGLM_WORKER_RESTARTS: '2' }, 2 * GIB);
    expect(r).toEqual({ ok: true, identity: { slot, restarts: 2 } });
  });

  it('defaults to a CPU slot numbered AUTOGLM_WORKER_SLOT', () => {
    const r = loadWorkerIdentity({ AUTOGLM_WORKER_SLOT: '3' }, GIB);
    expect(r).toEqual({ ok: true, identity: { slot: { id: 'cpu:3', kind: 'cpu', index: 3, name: 'cpu', memoryBytes: GIB }, restarts: 0 } });
  });

  it('refuses a malformed slot', () => {
    expect(loadWorkerIdentity({ AUTOGLM_WORKER_DEVICE: '{"id":"x","kind":"tpu"}' }, GIB).ok).toBe(false);
  });
});
