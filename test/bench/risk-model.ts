/**
 * `risk-scoring`'s own handler and artifacts loaded in the calling process on the wasm backend, as
 * the benches' stand-ins for the platform run them: one call scores one batch of inputs.
 */
import { fileURLToPath } from 'node:url';
import { createLogger, type FunctionDefinition } from '../../functions/sdk/index.ts';
import { selectBackend } from '../../functions/sdk/tf/index.ts';

const DIR = fileURLToPath(new URL('../../functions/risk-scoring/', import.meta.url));

/** Scores a batch; an item's result is its output, or an Error for a refused input. */
export type ScoreBatch = (inputs: unknown[]) => Promise<unknown[]>;

/** Loads the model once; the returned function runs the handler on a batch. */
export async function loadRiskScoring(): Promise<ScoreBatch> {
  await selectBackend({ choice: 'wasm' });
  const fn = (await import(`${DIR}handler.ts`)).default as FunctionDefinition<unknown, unknown, unknown>;
  const log = createLogger({}, 'error');
  const state = await fn.load!({ dir: DIR, device: 'cpu:0', log, env: {}, secrets: {}, knowledge: {} });
  const ctx = { function: 'risk-scoring', version: 'bench', device: 'cpu:0', deadline: Infinity, signal: new AbortController().signal, log, env: {}, secrets: {}, knowledge: {}, emit: () => undefined, wantsChunks: () => false };
  return async (inputs) => fn.handle(inputs, state, { ...ctx, deadline: Date.now() + 30_000 });
}
