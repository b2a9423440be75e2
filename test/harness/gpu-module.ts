/**
 * What this host has of `@tensorflow/tfjs-node-gpu`, the optional dependency `npm ci` installs
 * where it can: tests of backend selection assert what the pool must do in each case rather than
 * assume the package is absent (docs: "nothing may assume the GPU package is absent").
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The module the pool imports for the `tensorflow` backend by default (`AUTOGLM_TF_GPU_MODULE`). */
export const GPU_MODULE = '@tensorflow/tfjs-node-gpu';

/**
 * The GPU package as backend selection will meet it: not installed; installed and registering the
 * `tensorflow` backend; or installed but failing to load (no CUDA driver, say), with the first line
 * of the error it throws.
 */
export type GpuModuleState = { installed: false } | { installed: true; loads: true } | { installed: true; loads: false; reason: string };

const REPO = fileURLToPath(new URL('../..', import.meta.url));

/** Whether `specifier` resolves from the checkout (it is installed), without loading it. */
export function gpuModuleInstalled(specifier = GPU_MODULE): boolean {
  try {
    createRequire(`${REPO}package.json`).resolve(specifier);
    return true;
  } catch {
    return false;
  }
}

/**
 * Probes the GPU package: installed, and if so whether it loads. The load is tried in a child
 * process: loading registers a backend for the rest of a process, and a broken native binding
 * must not take the test process with it.
 */
export async function probeGpuModule(): Promise<GpuModuleState> {
  if (!gpuModuleInstalled()) return { installed: false };
  const script = `
    try {
      await import(${JSON.stringify(GPU_MODULE)});
      const tf = await import('@tensorflow/tfjs');
      if (!tf.findBackendFactory('tensorflow')) throw new Error(${JSON.stringify(`${GPU_MODULE} loaded but registered no 'tensorflow' backend`)});
    } catch (err) {
      process.stderr.write(String(err?.message ?? err).split('\\n', 1)[0]);
      process.exit(1);
    }`;
  return new Promise((resolve) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO, timeout: 120_000 }, (err, _stdout, stderr) => {
      resolve(err ? { installed: true, loads: false, reason: stderr.trim() || err.message } : { installed: true, loads: true });
    });
  });
}

/** The backend `AUTOGLM_TF_BACKEND=auto` must choose with the GPU package in `gpu`. */
export const autoBackend = (gpu: GpuModuleState): 'tensorflow' | 'wasm' => (gpu.installed && gpu.loads ? 'tensorflow' : 'wasm');
