import * as tf from '@tensorflow/tfjs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { autoBackend, probeGpuModule, type GpuModuleState } from '../../../test/harness/gpu-module.ts';
import { BackendUnavailableError, selectBackend, type BackendSelection } from './select-backend.ts';

const fixture = (name: string) => fileURLToPath(new URL(`../../../test/fixtures/backends/${name}`, import.meta.url));
const real = (s: string) => import(s);
/** An importer for which the named modules fail to load the way a broken native binding does. */
const failing =
  (specs: Record<string, string>) =>
  (s: string): Promise<unknown> =>
    s in specs ? Promise.reject(new Error(specs[s])) : real(s);

/** The GPU modules of the fixtures, as {@link probeGpuModule} would find them were they the real one. */
const LOADS: GpuModuleState = { installed: true, loads: true };
const THROWS: GpuModuleState = { installed: true, loads: false, reason: 'libcudart.so.11.0: cannot open shared object file: No such file or directory' };

/**
 * What `auto` must choose with the GPU module in `gpu`: `tensorflow` when it loads; else wasm
 * (SIMD reported), saying why tensorflow was passed over.
 */
function expectAuto(sel: BackendSelection, gpu: GpuModuleState): void {
  expect(sel.name).toBe(autoBackend(gpu));
  expect(tf.getBackend()).toBe(sel.name);
  if (gpu.installed && gpu.loads) return void expect(sel.skipped).toEqual([]);
  expect(typeof sel.simd).toBe('boolean');
  const why = gpu.installed ? expect.stringContaining(gpu.reason.slice(0, 200)) : expect.stringMatching(/^not installed/);
  expect(sel.skipped).toEqual([{ backend: 'tensorflow', reason: why }]);
}

/** What forcing `tensorflow` must do with the GPU module in `gpu`: run on it when it loads, else refuse saying why. */
async function expectForcedTensorflow(selecting: Promise<BackendSelection>, gpu: GpuModuleState): Promise<void> {
  const outcome = await selecting.catch((e: unknown) => e);
  if (gpu.installed && gpu.loads) {
    expect(outcome).toMatchObject({ name: 'tensorflow', skipped: [] });
    return void expect(tf.getBackend()).toBe('tensorflow');
  }
  expect(outcome).toBeInstanceOf(BackendUnavailableError);
  expect((outcome as BackendUnavailableError).code).toBe('BACKEND_UNAVAILABLE');
  const message = (outcome as Error).message;
  expect(message).toMatch(/^TensorFlow\.js backend 'tensorflow' is not available: /);
  if (gpu.installed) expect(message).toContain(gpu.reason.slice(0, 200));
  else expect(message).toMatch(/not available: not installed/);
}

describe('selectBackend', () => {
  // The real GPU package, as this host has it (absent on the build machines; `npm ci` installs it on GPU hosts).
  let gpu: GpuModuleState;
  beforeAll(async () => {
    gpu = await probeGpuModule();
  }, 150_000);

  it('takes tensorflow when the GPU module loads here, else falls back to wasm saying why', async () => {
    expectAuto(await selectBackend({ choice: 'auto' }), gpu);
  });

  it('falls back to wasm when the GPU module throws while loading', async () => {
    const sel = await selectBackend({ choice: 'auto', importModule: failing({ '@tensorflow/tfjs-node-gpu': 'libcuda.so.1: cannot open shared object file' }) });
    expect(sel.name).toBe('wasm');
    expect(sel.skipped[0]).toEqual({ backend: 'tensorflow', reason: 'libcuda.so.1: cannot open shared object file' });
  });

  it('takes the GPU module from a path, and falls back when that module throws', async () => {
    expectAuto(await selectBackend({ choice: 'auto', gpuModule: fixture('throws-on-load.ts') }), THROWS);
  });

  it('falls back to pure-JS cpu when wasm fails too', async () => {
    const sel = await selectBackend({ choice: 'auto', importModule: failing({ '@tensorflow/tfjs-node-gpu': 'no CUDA', '@tensorflow/tfjs-backend-wasm': 'no WebAssembly here' }) });
    expect(sel.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(sel.skipped.map((s) => s.backend)).toEqual(['tensorflow', 'wasm']);
    expect(tf.add(tf.scalar(1), tf.scalar(2)).dataSync()[0]).toBe(3);
  });

  it('obeys a forced backend', async () => {
    expect((await selectBackend({ choice: 'cpu' })).name).toBe('cpu');
    expect((await selectBackend({ choice: 'wasm' })).name).toBe('wasm');
  });

  it('refuses a forced backend that does not load, with the reason', async () => {
    await expectForcedTensorflow(selectBackend({ choice: 'tensorflow', gpuModule: fixture('throws-on-load.ts') }), THROWS);
  });

  it('runs on forced tensorflow when the GPU module loads here, else refuses it with the reason', async () => {
    await expectForcedTensorflow(selectBackend({ choice: 'tensorflow' }), gpu);
  });

  it('counts live tensors on the chosen backend', async () => {
    const sel = await selectBackend({ choice: 'wasm' });
    const before = sel.numTensors();
    const t = tf.zeros([4, 4]);
    expect(sel.numTensors()).toBe(before + 1);
    t.dispose();
    expect(sel.numTensors()).toBe(before);
  });

  // Last: it registers a `tensorflow` backend for the rest of this process.
  it('selects tensorflow when the GPU module loads and registers it, forced or not', async () => {
    expectAuto(await selectBackend({ choice: 'auto', gpuModule: fixture('fake-tensorflow.ts') }), LOADS);
    expect(tf.mul(tf.scalar(3), tf.scalar(4)).dataSync()[0]).toBe(12);
    await expectForcedTensorflow(selectBackend({ choice: 'tensorflow', gpuModule: fixture('fake-tensorflow.ts') }), LOADS);
    // Forced otherwise, the other backend even so.
    expect((await selectBackend({ choice: 'wasm', gpuModule: fixture('fake-tensorflow.ts') })).name).toBe('wasm');
  });
});
