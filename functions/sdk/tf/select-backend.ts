import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { AutoglmError } from '../index.ts';

/** TensorFlow.js backends a process can run on, best first. */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
/** What the operator asks for: `auto` takes the best that loads. */
export type BackendChoice = 'auto' | BackendName;

const PREFERENCE: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

/** Options of {@link selectBackend}. */
export interface BackendOptions {
  /** `auto` tries tensorflow, then wasm, then cpu; a named backend must load or selection throws. */
  choice: BackendChoice;
  /** Module registering the `tensorflow` backend [`@tensorflow/tfjs-node-gpu`]; a path is allowed. */
  gpuModule?: string;
  /** Imports a module by specifier [dynamic `import()`]. Tests hand in one that fails like a missing CUDA. */
  importModule?: (specifier: string) => Promise<unknown>;
}

/** The backend a process runs on, and why better ones were passed over. */
export interface BackendSelection {
  name: BackendName;
  /** Better backends that did not load, in the order tried. */
  skipped: { backend: BackendName; reason: string }[];
  /** For wasm: whether the SIMD build runs. */
  simd: boolean | undefined;
  /** Live tensors now (`tf.memory().numTensors`). */
  numTensors(): number;
  /** Bytes the live tensors hold now (`tf.memory().numBytes`). */
  numBytes(): number;
}

/**
 * A forced TensorFlow.js backend (or, with `auto`, every one) does not load here: a worker cannot
 * start. Its code, `BACKEND_UNAVAILABLE`, is in the platform's error catalogue.
 */
export class BackendUnavailableError extends AutoglmError {
  override readonly name = 'BackendUnavailableError';
  constructor(readonly backend: string, reason: string) {
    super('BACKEND_UNAVAILABLE', `TensorFlow.js backend '${backend}' is not available: ${reason}`);
  }
}

const defaultImport = (specifier: string): Promise<unknown> => import(specifier);

/**
 * Selects the process's TensorFlow.js backend (for the pool's workers and the CLI's model checks):
 * `tensorflow` through the native binding (`@tensorflow/tfjs-node-gpu`, an optional dependency
 * that needs CUDA and libtensorflow) when it loads, else the WebAssembly backend (SIMD where the
 * CPU has it), else pure-JS `cpu`. Each candidate counts only once `tf.setBackend` says it
 * initialised. Nothing assumes the GPU package is absent: it is tried whenever `auto` is asked.
 * @throws BackendUnavailableError when a forced backend does not load
 */
export async function selectBackend(opts: BackendOptions): Promise<BackendSelection> {
  const importModule = opts.importModule ?? defaultImport;
  const gpuModule = opts.gpuModule ?? '@tensorflow/tfjs-node-gpu';
  const candidates = opts.choice === 'auto' ? PREFERENCE : [opts.choice];
  const skipped: BackendSelection['skipped'] = [];
  for (const name of candidates) {
    try {
      const simd = await activate(name, importModule, gpuModule);
      return { name, skipped, simd, numTensors: () => tf.memory().numTensors, numBytes: () => tf.memory().numBytes };
    } catch (err) {
      const reason = describe(err);
      if (opts.choice !== 'auto') throw new BackendUnavailableError(name, reason);
      skipped.push({ backend: name, reason });
    }
  }
  throw new BackendUnavailableError('auto', skipped.map((s) => `${s.backend}: ${s.reason}`).join('; '));
}

async function activate(name: BackendName, importModule: (s: string) => Promise<unknown>, gpuModule: string): Promise<boolean | undefined> {
  let simd: boolean | undefined;
  if (name === 'tensorflow') {
    await importModule(specifierOf(gpuModule));
    if (!tf.findBackendFactory('tensorflow')) throw new Error(`${gpuModule} loaded but registered no 'tensorflow' backend`);
  } else if (name === 'wasm') {
    await importModule('@tensorflow/tfjs-backend-wasm');
    if (!tf.findBackendFactory('wasm')) throw new Error('@tensorflow/tfjs-backend-wasm registered no backend');
    // The wasm backend loads its SIMD build by itself when the CPU supports it; we report which.
    simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  }
  if (!(await tf.setBackend(name))) throw new Error('the backend failed to initialise');
  await tf.ready();
  if (tf.getBackend() !== name) throw new Error(`TensorFlow.js is on '${tf.getBackend()}' after selecting it`);
  return simd;
}

function specifierOf(mod: string): string {
  return mod.startsWith('.') || isAbsolute(mod) ? pathToFileURL(resolve(mod)).href : mod;
}

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string };
  if (e?.code === 'ERR_MODULE_NOT_FOUND') return `not installed (${firstLine(e.message)})`;
  return firstLine(e?.message ?? String(err));
}

function firstLine(s: string | undefined): string {
  return (s ?? '').split('\n', 1)[0]!.slice(0, 300);
}
