import { describe, expect, it } from 'vitest';
import { newKeyringSpec } from '../queue/cluster/index.ts';
import { loadPoolConfig, loadWorkerIdentity } from './config.ts';

const KEYS = newKeyringSpec('test');

const GIB = 1024 ** 3;

describe('loadPoolConfig', () => {
  it('fills documented defaults', () => {
    const r = loadPoolConfig({ REDIS_URL: 'redis://127.0.0.1:6379', AUTOGLM_STATE_DIR: '/var/lib/autoglm', AUTOGLM_ENCRYPTION_KEYS: KEYS });
    if (!r.ok) throw new Error(r.errors.join());
    expect(r.config).toMatchObject({
      backend: 'auto',
      gpuModule: '@tensorflow/tfjs-node-gpu',
      inference: 'thread',
      devices: undefined,
      workersExplicit: false,
      modelMemoryBytes: 2 * GIB,
      hangLimitMs: 60_000,
      maxRssBytes: 0,
      artifactsDir: '/var/lib/autoglm/artifacts',
      bundleCacheDir: '/var/lib/autoglm/bundles',
    });
  });

  it('reads the pool variables', () => {
    const r = loadPoolConfig({
      REDIS_URL: 'redis://h:1',
      AUTOGLM_ENCRYPTION_KEYS: KEYS,
      AUTOGLM_TF_BACKEND: 'wasm',
      AUTOGLM_DEVICES: 'gpu:0,cpu*2@1GiB',
      AUTOGLM_WORKERS: '3',
      AUTOGLM_INFERENCE: 'inline',
      AUTOGLM_WORKER_HANG_LIMIT: '5s',
      AUTOGLM_WORKER_MAX_RSS: '3GiB',
      AUTOGLM_MODEL_MEMORY: '512MiB',
    });
    if (!r.ok) throw new Error(r.errors.join());
    expect(r.config.backend).toBe('wasm');
    expect(r.config.devices?.map((d) => d.kind)).toEqual(['gpu', 'cpu']);
    expect(r.config).toMatchObject({ workers: 3, workersExplicit: true, inference: 'inline', hangLimitMs: 5000, maxRssBytes: 3 * GIB, modelMemoryBytes: 512 * 1024 ** 2 });
  });

  it('reports every bad variable at once', () => {
    const r = loadPoolConfig({ AUTOGLM_TF_BACKEND: 'webgpu', AUTOGLM_DEVICES: 'tpu:0', AUTOGLM_INFERENCE: 'fork', AUTOGLM_WORKER_HANG_LIMIT: '10ms' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const text = r.errors.join('\n');
    for (const key of ['REDIS_URL', 'AUTOGLM_TF_BACKEND', 'AUTOGLM_DEVICES', 'AUTOGLM_INFERENCE', 'AUTOGLM_WORKER_HANG_LIMIT']) expect(text).toContain(key);
  });
});

describe('AUTOGLM_POOL_NAMESPACES', () => {
  const read = (v: string | undefined) => loadPoolConfig({ REDIS_URL: 'redis://h:1', AUTOGLM_ENCRYPTION_KEYS: KEYS, ...(v === undefined ? {} : { AUTOGLM_POOL_NAMESPACES: v }) });
  it('is every namespace unless set; exclusions alone mean all but those', () => {
    const scope = (v: string | undefined) => {
      const r = read(v);
      if (!r.ok) throw new Error(r.errors.join());
      return r.config.namespaces;
    };
    expect(scope(undefined)).toBeUndefined();
    expect(scope('*')).toBeUndefined();
    expect(scope('team-a, team-b')).toEqual(['team-a', 'team-b']);
    expect(scope('!team-a')).toEqual(['*', '!team-a']);
    expect(scope('*,!team-a')).toEqual(['*', '!team-a']);
  });

  it('refuses what is not a namespace, naming it', () => {
    for (const v of ['Team', 'a,,b:c', ' , ']) {
      const r = read(v);
      expect(r.ok, v).toBe(false);
      expect(!r.ok && r.errors.join()).toContain('AUTOGLM_POOL_NAMESPACES');
    }
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
