import { spawn } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseManifest, type Manifest } from '../../functions/sdk/index.ts';
import { TS_EXEC_ARGV } from '../../gpu-pool/supervisor.ts';
import { buildBundle } from '../../runtime/bundles/build-bundle.ts';
import { Redis } from 'ioredis';
import { PoolRoster, WorkerRoster, newKeyringSpec, placeFunction } from '../../queue/cluster/index.ts';
import { findSamples, parseExposition } from '../harness/exposition.ts';
import { eventually, startPlatform, type TestPlatform } from '../harness/platform.ts';
import { poolEnv } from '../harness/pool-env.ts';
import { probeGpuModule, type GpuModuleState } from '../harness/gpu-module.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';
import { fixturePath, functionSet, storedResult, workers } from './pool-helpers.ts';

let redis: TestRedis;
let scratch: string;
beforeAll(async () => {
  redis = await startTestRedis();
  scratch = mkdtempSync(join(tmpdir(), 'autoglm-placement-'));
});
afterAll(async () => {
  await redis?.destroy();
  rmSync(scratch, { recursive: true, force: true });
});
let p: TestPlatform | undefined;
afterEach(async () => {
  await p?.stop();
  p = undefined;
});

const features = [0.5, 0.1, 0.9, 0.3, 0.7, 0.2, 0.4, 0.6];

/** A copy of the gpu-only fixture as `name`, needing `device`; `n` makes each copy a new version. */
async function gpuOnlyVariant(name: string, device: 'gpu' | 'any', n: number) {
  const dir = join(scratch, `${name}-${device}-${n}`);
  cpSync(fixturePath('functions/gpu-only'), dir, { recursive: true });
  const handler = readFileSync(join(dir, 'handler.ts'), 'utf8').replace(/from '[./]+functions\/sdk\/index\.ts'/, "from 'open-autoglm/sdk'");
  writeFileSync(join(dir, 'handler.ts'), `${handler}\nexport const variant = ${n};\n`);
  const manifest = readFileSync(join(dir, 'manifest.yaml'), 'utf8').replace('name: gpu-only', `name: ${name}`).replace('device: gpu', `device: ${device}`);
  writeFileSync(join(dir, 'manifest.yaml'), manifest);
  return buildBundle(dir, { typecheck: false });
}
const manifestOf = (name: string): Manifest => {
  const r = parseManifest(parseYaml(readFileSync(fixturePath(`functions/${name}/manifest.yaml`), 'utf8')));
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.manifest;
};

describe('backend selection in a real worker', () => {
  it('falls back to wasm when the GPU module throws on load, and says so in /readyz and each result', async () => {
    p = await startPlatform(redis.url, { env: { AUTOGLM_FUNCTIONS_DIR: functionSet('backend'), AUTOGLM_TF_GPU_MODULE: fixturePath('backends/throws-on-load.ts') } });
    const r = await p.call('POST', '/v1/functions/tiny-model/invoke', { input: { features } });
    expect(r.status).toBe(200);
    expect(r.json.output.score).toBeGreaterThan(0);
    expect((await storedResult(p, 'tiny-model', r.json.id))?.backend).toBe('wasm');
    // Heartbeats come every 2 s: wait for one that has seen the call.
    const ready = await eventually(async () => {
      const j = (await p!.call('GET', '/readyz')).json;
      return j.workers[0]?.models?.length > 0 && j;
    }, 'a heartbeat listing the model');
    expect(ready.workers).toEqual([expect.objectContaining({ device: 'cpu:0', deviceKind: 'cpu', backend: 'wasm', functions: ['tiny-model'], restarts: 0 })]);
    expect(ready.workers[0].models).toEqual([expect.stringMatching(/^tiny-model@/)]);
    expect(ready.workers[0].batches).toBeGreaterThanOrEqual(1);
  });

  it('runs on the backend the operator forces', async () => {
    p = await startPlatform(redis.url, { env: { AUTOGLM_FUNCTIONS_DIR: functionSet('backend'), AUTOGLM_TF_BACKEND: 'cpu' } });
    const r = await p.call('POST', '/v1/functions/tiny-model/invoke', { input: { features } });
    expect(r.status).toBe(200);
    expect((await storedResult(p, 'tiny-model', r.json.id))?.backend).toBe('cpu');
    expect((await workers(p)).map((w) => w.backend)).toEqual(['cpu']);
  });

  // The GPU package is absent on the build machines and installed by `npm ci` on GPU hosts: a worker
  // forced onto `tensorflow` must run on it where it loads, and refuse to start, saying why, where not.
  it('a worker forced onto tensorflow runs on it where the GPU module loads, and refuses to start, naming why, where not', async () => {
    await expectForcedTensorflowWorker('forced', {}, await probeGpuModule());
  });

  it('a worker forced onto tensorflow refuses to start when the GPU module throws on load, and runs on it when it loads', async () => {
    // At thread isolation: a sandbox (uid 65534) would import the fixtures from a checkout it may not read.
    const onThreads = { AUTOGLM_ISOLATION: 'thread' };
    await expectForcedTensorflowWorker('forced-throws', { ...onThreads, AUTOGLM_TF_GPU_MODULE: fixturePath('backends/throws-on-load.ts') }, { installed: true, loads: false, reason: 'libcudart.so.11.0' });
    await expectForcedTensorflowWorker('forced-loads', { ...onThreads, AUTOGLM_TF_GPU_MODULE: fixturePath('backends/fake-tensorflow.ts') }, { installed: true, loads: true });
  });
});

/**
 * Starts a pool of one worker forced onto `tensorflow` (under its own key prefix) and checks what
 * `gpu`, the GPU module's state, requires: a live worker on `tensorflow`, or a worker that gives up
 * naming the backend and the reason while its slot crash-loops.
 */
async function expectForcedTensorflowWorker(prefix: string, env: Record<string, string>, gpu: GpuModuleState): Promise<void> {
  const pool = spawn(process.execPath, [...TS_EXEC_ARGV, fileURLToPath(new URL('../../gpu-pool/main.ts', import.meta.url))], {
    env: poolEnv({ PATH: process.env.PATH, REDIS_URL: redis.url, AUTOGLM_REDIS_PREFIX: prefix, AUTOGLM_WORKERS: '1', AUTOGLM_TF_BACKEND: 'tensorflow', AUTOGLM_STATE_DIR: join(redis.dir, prefix), AUTOGLM_ENCRYPTION_KEYS: newKeyringSpec('t'), ...env }),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  pool.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => pool.once('exit', () => resolve()));
  const conn = new Redis(redis.url);
  try {
    if (gpu.installed && gpu.loads) {
      const [w] = await eventually(async () => {
        const live = await new WorkerRoster(conn, prefix).live();
        return live.length === 1 && live;
      }, 'a live worker on tensorflow', 60_000);
      expect(w!.backend).toBe('tensorflow');
      expect(stderr).not.toMatch(/worker cannot start/);
      return;
    }
    await eventually(async () => stderr.includes('worker cannot start'), 'the worker to give up', 30_000);
    expect(stderr).toMatch(/BACKEND_UNAVAILABLE|backend 'tensorflow' is not available/);
    // The reason as the log line carries it: JSON, so up to a character JSON would escape.
    expect(stderr).toContain(gpu.installed ? gpu.reason.split(/["\\]/)[0]!.slice(0, 80) : 'not installed');
    // No worker heartbeat, but the pool says what its slot is doing: crash-looping.
    const [slot] = await eventually(async () => {
      const [pool] = await new PoolRoster(conn, prefix).live();
      return pool && pool.slots[0]!.restarts >= 2 && pool.slots;
    }, 'the crash loop in the pool registry');
    expect(slot).toMatchObject({ device: 'cpu:0', lastRestart: 'exited' });
    expect(['backoff', 'starting']).toContain(slot!.state);
    expect(await new WorkerRoster(conn, prefix).liveCount()).toBe(0);
  } finally {
    pool.kill('SIGTERM');
    await exited;
    conn.disconnect();
  }
}

describe('devices and placement', () => {
  it('runs one worker per declared slot, pins the GPU worker, and places functions by device', async () => {
    p = await startPlatform(redis.url, { workers: 2, env: { AUTOGLM_FUNCTIONS_DIR: functionSet('gpu'), AUTOGLM_DEVICES: 'gpu:0@512MiB,cpu@256MiB' } });
    const ws = await eventually(async () => {
      const all = await workers(p!);
      return all.length === 2 && all.every((w) => w.functions.length > 0) && all;
    }, 'both workers consuming');
    const byDevice = Object.fromEntries(ws.map((w) => [w.device, w]));
    expect(byDevice['gpu:0']!.slot).toEqual({ id: 'gpu:0', kind: 'gpu', index: 0, name: 'gpu', memoryBytes: 512 * 1024 ** 2 });
    expect(byDevice['gpu:0']!.functions.sort()).toEqual(['gpu-only', 'tiny-model']);
    expect(byDevice['cpu:0']!.functions).toEqual(['tiny-model']); // a gpu-only function is not taken by a cpu worker

    const r = await p.call('POST', '/v1/functions/gpu-only/invoke', { input: {} });
    expect(r.status).toBe(200);
    expect(r.json.output).toEqual({ device: 'gpu:0', cuda: '0' });
    expect(r.json.device).toBe('gpu:0');

    const inventory = await new WorkerRoster(p.redis, p.prefix).inventory();
    expect(inventory.map((s) => s.id).sort()).toEqual(['cpu:0', 'gpu:0']);
    expect(placeFunction(manifestOf('gpu-only'), inventory)).toMatchObject({ ok: true, slots: [expect.objectContaining({ id: 'gpu:0' })] });

    // A deploy's load check runs on a device that can serve the candidate: a gpu-only version is
    // never loaded on the cpu worker, however often it is deployed (each deploy is a new version).
    const devices: string[] = [];
    for (let i = 0; i < 4; i++) {
      const b = await gpuOnlyVariant('gpu-only', 'gpu', i);
      const d = await p.api.deploy(b.archive, b.hash);
      expect(d.status).toBe(201);
      devices.push(d.body.check.device);
    }
    expect(devices).toEqual(['gpu:0', 'gpu:0', 'gpu:0', 'gpu:0']);
  });

  it('runs each version of a function only on devices that can serve it, when versions need different devices', async () => {
    p = await startPlatform(redis.url, { workers: 2, env: { AUTOGLM_FUNCTIONS_DIR: functionSet('gpu'), AUTOGLM_DEVICES: 'gpu:0@512MiB,cpu@256MiB' } });
    // Stable runs anywhere; the canary needs a GPU. Both serve, so both workers consume the queue.
    const stable = await gpuOnlyVariant('place-mix', 'any', 0);
    await p.api.deploy(stable.archive, stable.hash);
    const canary = await gpuOnlyVariant('place-mix', 'gpu', 1);
    const d = await p.api.deploy(canary.archive, canary.hash, { canary: 50 });
    const version = d.body.version as string;
    await eventually(async () => (await workers(p!)).every((w) => w.functions.includes('place-mix')), 'both workers consuming place-mix');
    const calls = await Promise.all(Array.from({ length: 24 }, () => p!.call('POST', `/v1/functions/place-mix@${version}/invoke`, { input: {} })));
    expect(calls.map((r) => r.status)).toEqual(calls.map(() => 200));
    expect(new Set(calls.map((r) => r.json.device))).toEqual(new Set(['gpu:0']));
  });

  it('reports a GPU worker\'s device live, as nvidia-smi reads it, in /readyz and /metrics', async () => {
    // This machine has no GPU: an nvidia-smi on PATH that prints recorded output, which the test changes.
    const bin = join(scratch, 'fake-nvidia-smi');
    const output = join(bin, 'output.txt');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'nvidia-smi'), `#!/bin/sh\ncat '${output}'\n`);
    chmodSync(join(bin, 'nvidia-smi'), 0o755);
    const recorded = readFileSync(fixturePath('nvidia-smi/dgx-a100-2gpu.txt'), 'utf8');
    writeFileSync(output, recorded);
    p = await startPlatform(redis.url, { workers: 2, env: { PATH: `${bin}:${process.env.PATH}`, AUTOGLM_DEVICES: 'gpu:1,cpu@256MiB', AUTOGLM_GPU_POLL: '200ms' } });
    const ready = await eventually(async () => {
      const r = (await p!.call('GET', '/readyz')).json;
      return r.workers.length === 2 && r.workers.some((w: { gpu?: object }) => w.gpu) && r;
    }, 'the GPU worker reporting its device');
    const gpuWorker = ready.workers.find((w: { device: string }) => w.device === 'gpu:1');
    expect(gpuWorker.gpu).toMatchObject({ name: 'NVIDIA A100-SXM4-40GB', memoryTotalBytes: 40960 * 1024 ** 2, memoryUsedBytes: 17843 * 1024 ** 2, utilizationPct: 87, temperatureC: 64 });
    expect(ready.workers.find((w: { device: string }) => w.device === 'cpu:0').gpu).toBeUndefined();

    // The GPU gets busier: the next readings say so.
    writeFileSync(output, recorded.replace('17843, 87, 64', '30000, 100, 71'));
    const gpuSeries = async () => {
      const m = parseExposition(await (await fetch(`${p!.url}/metrics`, { headers: { authorization: `Bearer ${p!.adminToken}` } })).text());
      return Object.fromEntries(['autoglm_gpu_memory_used_bytes', 'autoglm_gpu_utilization_ratio', 'autoglm_gpu_temperature_celsius', 'autoglm_gpu_memory_total_bytes'].map((n) => [n, findSamples(m, n)]));
    };
    const series = await eventually(async () => {
      const s = await gpuSeries();
      return s.autoglm_gpu_utilization_ratio![0]?.value === 1 && s;
    }, 'the new reading in /metrics');
    for (const samples of Object.values(series)) {
      expect(samples.map((x) => x.labels.device)).toEqual(['gpu:1']); // none for the CPU worker
    }
    expect(series.autoglm_gpu_memory_used_bytes![0]!.value).toBe(30000 * 1024 ** 2);
    expect(series.autoglm_gpu_temperature_celsius![0]!.value).toBe(71);
  });

  it('refuses a gpu-only function on a cpu-only pool, and a model too large for every slot, with a clear reason', async () => {
    p = await startPlatform(redis.url, { env: { AUTOGLM_FUNCTIONS_DIR: functionSet('backend'), AUTOGLM_DEVICES: 'cpu@1GiB' } });
    const inventory = await new WorkerRoster(p.redis, p.prefix).inventory();
    expect(placeFunction(manifestOf('gpu-only'), inventory)).toEqual({ ok: false, reason: 'needs a gpu device; the pool has only cpu slots (cpu:0)' });
    expect(placeFunction({ ...manifestOf('tiny-model'), memory: 3 * 1024 ** 3 }, inventory)).toEqual({
      ok: false,
      reason: 'needs 3 GiB of model memory; the largest slot offers 1 GiB (cpu:0)',
    });
  });
});
