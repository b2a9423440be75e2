/**
 * Everything BullMQ: the only folder that imports it. The router submits, waits for, reads and
 * cancels jobs; the pool consumes them; both meet here and nowhere else.
 */
// Connections and names
export { RELEASE_REDIS_MS, connectRedis, evictionPolicy, releaseRedis } from './connection.ts';
export { NoAnswerError, within } from './within.ts';
export type { ConnectionRole } from './connection.ts';
export { DEFAULT_PREFIX, functionOfJobId, functionQueueName, isItemId, itemId, newJobId, randomHex, splitItemId } from './names.ts';

// Job shapes
export type { DoneMessage, ItemData, ItemView, JobData, JobStatus, JobView } from './job-data.ts';

// Errors
export {
  IdempotencyConflictError,
  ItemNotCancellableError,
  JobNotCancellableError,
  JobNotFoundError,
  QueueFullError,
  QueueUnavailableError,
} from './errors.ts';

// Function catalogue (which functions exist, shared by router and pool)
export { FunctionCatalog, recordOf, servingVersions } from './function-catalog.ts';
export type { FunctionRecord, FunctionState, Mutator, TrafficTable, VersionRecord } from './function-catalog.ts';

// Router side
export { QueueSet } from './queue-set.ts';
export { QUEUE_STATES, QueueStats } from './queue-stats.ts';
export type { QueueCounts, QueueState } from './queue-stats.ts';
export { DEFAULT_PRIORITY, JobSubmitter, MAX_PRIORITY, MIN_PRIORITY } from './job-submitter.ts';
export type { SubmitRequest, SubmitterOptions } from './job-submitter.ts';
export { ResultBus } from './result-bus.ts';
export type { ResultBusOptions } from './result-bus.ts';
export { JobReader } from './job-reader.ts';
export { CallGrouper } from './call-grouper.ts';
export type { GrouperOptions, PendingCall, SyncCall } from './call-grouper.ts';
export { CallbackConsumer } from './callback-consumer.ts';
export type { Deliver } from './callback-consumer.ts';
export { CALLBACK_POLICY } from './callback-policy.ts';

// Deploy checks (router asks a worker to load a candidate) and shadow statistics
export { DeployCheckConsumer, DeployChecker } from './deploy-check.ts';
export type { CheckOutcome, CheckReport } from './deploy-check.ts';
export { ShadowStats } from './shadow-stats.ts';
export { PayloadCipher, newKeyringSpec, parseKeyring } from './payload-cipher.ts';
export type { Keyring, Sealed } from './payload-cipher.ts';
export type { ShadowReport, ShadowSample } from './shadow-stats.ts';

export { NamespaceLimiter, QuotaExceededError, RateLimitedError } from './namespace-limiter.ts';
export type { NamespaceLimits } from './namespace-limiter.ts';

// Pool side
export { FunctionConsumer } from './function-consumer.ts';
export type { ConsumerOptions, Executor } from './function-consumer.ts';

// Liveness, and the device inventory placement checks against
export { WorkerRegistry } from './worker-registry.ts';
export type { GpuReading, LoadedModel, WorkerState } from './worker-registry.ts';
export { PoolRegistry } from './pool-registry.ts';
export type { PoolSlotState, PoolState } from './pool-registry.ts';
export { BATCH_SIZE_BOUNDS, SECONDS_BOUNDS, emptyCounts, observe, quantileOf, versionRunStats } from './function-stat.ts';
export type { BucketCounts, FunctionStat, VersionRunStats } from './function-stat.ts';
export { canServe, formatBytes, needsOf, placeFunction, servesNamespace } from './placement.ts';
export type { DeviceSlot, Fit, PlacementNeeds } from './placement.ts';

// Function logs: workers ship what function code writes, sealed, to a stream per function; the router reads it.
export { FunctionLogWriter, JOB_RUNS_KEPT, jobRuns, logsKey, namesJob, type FunctionLogLine, type LogWriterOptions } from './function-logs.ts';
export { readFunctionLogs, type LogPage, type LogQuery } from './function-log-reader.ts';

// Tracing: trace context rides in job data from router to worker; entry points install the SDK.
export { flushTracing, installTracing } from './tracing.ts';

// Secrets: sealed per namespace; the router sets and lists them, workers open those a version names.
export { SECRET_MAX_BYTES, SecretMissingError, SecretStore, type SecretChange, type SecretInfo } from './secret-store.ts';
