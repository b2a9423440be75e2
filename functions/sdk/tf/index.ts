/**
 * The function SDK's TensorFlow.js face (`open-autoglm/sdk/tf`): helpers for function code that
 * runs a TF.js model. Apart from the main face so that functions without a model (echo) never
 * load TensorFlow.js. Bundles keep it external, like the main face: the worker provides it, with
 * its own `@tensorflow/tfjs` and the backend it chose, with {@link selectBackend} (which the CLI
 * uses too).
 */
export { BackendUnavailableError, selectBackend, type BackendChoice, type BackendName, type BackendOptions, type BackendSelection } from './select-backend.ts';
export { folderIO } from './folder-io.ts';
export { fitEpoch, type FitEpochOptions } from './fit-epoch.ts';
export { plainPredictor, sequencePredictor, type SequencePredictor } from './sequence-predictor.ts';
export { modelFunction, type ModelFunctionOptions } from './model-function.ts';
export { loadServedModel, UnservableModelError, type OutputSpec, type ServedModel } from './served-model.ts';
export { exampleSchema, inputSchema, shapeText, zerosExample, zerosInput, type TensorDtype, type TensorSpec } from './tensor-spec.ts';
