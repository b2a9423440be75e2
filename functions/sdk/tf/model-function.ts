import { join } from 'node:path';
import { defineFunction, type FunctionDefinition } from '../index.ts';
import { loadServedModel, type ServedModel } from './served-model.ts';

export interface ModelFunctionOptions {
  /** The model file within the function folder [`artifacts/model.json`]; its weights lie beside it. */
  model?: string;
}

/**
 * A function that serves a TF.js model as it is, with no code of its own: a call's input is one
 * example (nested arrays of the model's input shape without the batch dimension, or an object
 * of them by input name), its output the model's row for it (or an object by output name). The
 * batch the platform forms becomes the model's batch dimension; an example that does not fit
 * the model fails alone, naming where it does not fit. `autoglm init --model` writes a folder
 * around it.
 */
export function modelFunction(options: ModelFunctionOptions = {}): FunctionDefinition<unknown, unknown, ServedModel> {
  return defineFunction<unknown, unknown, ServedModel>({
    load: ({ dir }) => loadServedModel(join(dir, options.model ?? 'artifacts/model.json')),
    handle: (inputs, model) => model.run(inputs),
    unload: (model) => model.dispose(),
  });
}
