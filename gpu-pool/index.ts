/**
 * The worker pool: device discovery and slot planning, the function host (model cache, dynamic
 * batching), and the supervisor that keeps one worker per device slot healthy. Entry point: `gpu-pool/main.ts`. Placement (`canServe`, `placeFunction`)
 * lives in `queue/` so the router can use it without importing the pool.
 */
// Supervision
export { Supervisor, TS_EXEC_ARGV } from './supervisor.ts';
export type { RestartReason, SlotState, SupervisorOptions } from './supervisor.ts';
export type { WorkerMessage } from './worker-messages.ts';

// Devices (the TensorFlow.js backend is selected by the SDK's `selectBackend`)
export { NVIDIA_SMI_ARGS, parseNvidiaSmi, planSlots, probeGpus } from './devices.ts';
export type { GpuInfo, RunCommand, SlotPlanInput } from './devices.ts';

// Running function code
export { FunctionHost, notDeployed } from './function-host.ts';
export type { FunctionHostOptions, Host, HostInput, HostJob, HostStats } from './function-host.ts';
export { CatalogIndex, versionKey } from './catalog-index.ts';
export { HostThread } from './host-thread.ts';
export type { HostThreadOptions } from './host-thread.ts';
export { ModelCache } from './model-cache.ts';
export type { CacheEntryView, ModelCacheOptions } from './model-cache.ts';
export { Batcher, batchPlan } from './batcher.ts';
export type { BatchPlan } from './batcher.ts';

// Trainings: each in a niced process of its own (entry `train-entry.ts`), fed by the worker
export { Trainer, cleanProgress } from './trainer.ts';
export type { TrainerOptions } from './trainer.ts';

// Errors
export { BadBatchResultError, HostLostError, ModelTooLargeError } from './errors.ts';
export { NotTrainableError, TrainingMetricMissingError, TrainingOutputRefusedError, TrainingProcessLostError, TrainingTimeoutError } from './training-errors.ts';

// Configuration: handed in by the launcher (its type, PoolConfig, is in queue/ since both sides use it)
export { SECRET_VARIABLES, loadWorkerIdentity, readPoolConfig } from './config.ts';
export type { WorkerIdentity } from './config.ts';
