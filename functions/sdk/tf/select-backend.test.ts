import * as tf from '@tensorflow/tfjs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BackendUnavailableError, selectBackend } from './select-backend.ts';

const fixture = (name: string) => fileURLToPath(new URL(`../../../test/fixtures/backends/${name}`, import.meta.url));
const real = (s: string) => import(s);
/** An importer for which the named modules fail to load the way a broken native binding does. */
const failing =
  (specs: Record<string, string>) =>
  (s: string): Promise<unknown> =>
    s in specs ? Promise.reject(new Error(specs[s])) : real(s);

describe('selectBackend', () => {
  it('falls back to wasm (SIMD reported) when the GPU module is not installed', async () => {
    const sel = await selectBackend({ choice: 'auto' });
    expect(sel.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(typeof sel.simd).toBe('boolean');
    expect(sel.skipped).toEqual([{ backend: 'tensorflow', reason: expect.stringMatching(/^not installed/) }]);
  });

  it('falls back to wasm when the GPU module throws while loading', async () => {
    const sel = await selectBackend({ choice: 'auto', importModule: failing({ '@tensorflow/tfjs-node-gpu': 'libcuda.so.1: cannot open shared object file' }) });
    expect(sel.name).toBe('wasm');
    expect(sel.skipped[0]).toEqual({ backend: 'tensorflow', reason: 'libcuda.so.1: cannot open shared object file' });
  });

  it('takes the GPU module from a path, and falls back when that module throws', async () => {
    const sel = await selectBackend({ choice: 'auto', gpuModule: fixture('throws-on-load.ts') });
    expect(sel.name).toBe('wasm');
    expect(sel.skipped[0]!.reason).toMatch(/libcudart\.so\.11\.0/);
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
    const err = await selectBackend({ choice: 'tensorflow' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect((err as BackendUnavailableError).code).toBe('BACKEND_UNAVAILABLE');
    expect((err as Error).message).toMatch(/'tensorflow' is not available: not installed/);
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
  it('selects tensorflow when the GPU module loads and registers it', async () => {
    const sel = await selectBackend({ choice: 'auto', gpuModule: fixture('fake-tensorflow.ts') });
    expect(sel).toMatchObject({ name: 'tensorflow', skipped: [] });
    expect(tf.getBackend()).toBe('tensorflow');
    expect(tf.mul(tf.scalar(3), tf.scalar(4)).dataSync()[0]).toBe(12);
  });
});
