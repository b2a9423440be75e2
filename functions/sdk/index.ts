/**
 * The function SDK: the contract shared by function code, the worker pool, the router and the CLI.
 * Function code imports only this module, its TensorFlow.js face `./tf/` (`open-autoglm/sdk/tf`)
 * and TensorFlow.js. Nothing here imports TensorFlow.js: functions without a model never load it.
 */
export { defineFunction, isFunctionDefinition } from './define-function.ts';
export type {
  BatchResult,
  FunctionDefinition,
  FunctionSpec,
  InvocationContext,
  InvocationResult,
  LoadContext,
} from './define-function.ts';
export {
  AutoglmError,
  FunctionError,
  InvalidInputError,
  fromErrorRecord,
  toErrorRecord,
} from './errors.ts';
export type { ErrorRecord } from './errors.ts';
export { isHeldOut, splitRecords } from './training.ts';
export { jsonLinesDataset, jsonLinesRecords } from './json-lines.ts';
export { readFitSettings } from './training-settings.ts';
export type { FitSettings } from './training-settings.ts';
export { offlineTraining } from './offline-training.ts';
export type { OfflineTraining } from './offline-training.ts';
export type { TrainFunction, TrainingContext, TrainingData, TrainingProgress, TrainingResult } from './training.ts';
export { CACHE_DEFAULTS, COLLECTION_NAME, ROLLOUT_DEFAULTS, ROLLOUT_INTERVAL_RANGE, SECRET_NAME, TRAINING_DEFAULTS, manifestSchema, parseManifest, cacheSchema, rolloutSchema, trainingSchema } from './manifest.ts';
export type { CacheSettings, Manifest, ManifestIssue, RolloutSettings, TrainingSettings } from './manifest.ts';
export { parseDuration } from './duration.ts';
export { parseJsonPointer, resolveJsonPointer } from './json-pointer.ts';
export { fieldPath, inputField, pointerSegments } from './field-path.ts';
export { sseEvents } from './sse-events.ts';
export type { SseEvent } from './sse-events.ts';
export { createLogger } from './logger.ts';
export type { LogLevel, Logger } from './logger.ts';
export { EnvReader } from './env-reader.ts';
export { Rng } from './rng.ts';
export { buildBaseline } from './drift/index.ts';
export type { DriftBaseline, FeatureBaseline } from './drift/index.ts';
// Knowledge collections function code reads as `ctx.knowledge[name]` (manifest `knowledge`)
export { KNOWLEDGE_EXTENSIONS, KnowledgeFormatError, documentsOf } from './knowledge/index.ts';
export type { KnowledgeCollection, KnowledgeDocument, KnowledgeFile } from './knowledge/index.ts';
