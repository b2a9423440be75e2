/**
 * State that routers and pools share through Redis, outside any job: the function catalogue,
 * worker and pool registries (heartbeats), placement, secrets and the payload cipher, function
 * logs and per-version figures, and the namespace limiter. Never imports `queue/jobs/` or `bullmq`.
 */
// Connections, timeouts and randomness
export { RELEASE_REDIS_MS, connectRedis, evictionPolicy, releaseRedis } from './connection.ts';
export type { ConnectionRole, RedisTarget } from './connection.ts';
export { SENTINEL_ONLY_URL, isReadOnlyReply, parseSentinels, sentinelOptions, type SentinelAddress, type SentinelSettings } from './redis-sentinel.ts';
export { NoAnswerError, withTimeout } from './with-timeout.ts';
export { ReplicaWait, ReplicaWaitFailedError, ReplicasBehindError } from './replica-wait.ts';
export { STORE_FULL_RETRY_AFTER_S, StoreFullError, isStoreFull, whenStored } from './store-full.ts';
export { randomHex, randomPooled } from './random.ts';
export { functionOfJobId, isItemId, isJobId, itemId, newJobId, splitItemId, timeOfJobId } from './job-ids.ts';

// Function catalogue: which functions and versions exist, and their traffic
export { FunctionCatalog, recordOf, servingVersions } from './function-catalog.ts';
export type { FunctionRecord, FunctionState, Mutator, TrafficTable, VersionRecord, VersionTraining } from './function-catalog.ts';

// Liveness, and the device inventory placement checks against
export { WorkerRoster } from './worker-roster.ts';
export type { GpuReading, LoadedModel, WorkerState } from './worker-roster.ts';
export { PoolRoster } from './pool-roster.ts';
export type { PoolSlotState, PoolState } from './pool-roster.ts';
export { canServe, formatBytes, needsOf, placeFunction, servesNamespace } from './placement.ts';
export type { DeviceSlot, Fit, PlacementNeeds } from './placement.ts';

// Per-version running figures and shadow comparisons
export { DriftCounts } from './drift-counts.ts';
export { CallRollups, MAX_MINUTES, emptyMinute } from './call-rollups.ts';
export type { MinuteCalls, MinutePoint } from './call-rollups.ts';
export type { DriftTally } from './drift-counts.ts';
export { BATCH_SIZE_BOUNDS, SECONDS_BOUNDS, addCounts, emptyCounts, observe, quantileOf, versionRunStats } from './function-stat.ts';
export type { BucketCounts, FunctionStat, VersionRunStats } from './function-stat.ts';
export { ShadowStats } from './shadow-stats.ts';
export { LATENCY_BOUNDS, VersionCalls, emptyVersionCalls, p95Of, type VersionCallCounts } from './version-calls.ts';

// Rollouts: the record on a function's catalogue entry, and the lease of the router driving it
export { stageOf, stagesOf, weightIn, weightOf } from './rollout-record.ts';
export type { AppliedStep, GateReading, RolloutRecord, RolloutStage, RolloutState, RolloutWindow, ShadowMark } from './rollout-record.ts';
export { RolloutLeases } from './rollout-lease.ts';
export { BuiltinsClaim, type InstalledBuiltins } from './builtins-claim.ts';
export type { ShadowReport, ShadowSample } from './shadow-stats.ts';

// Sealing payloads at rest, and secrets sealed per namespace
export { PayloadCipher, deriveNamespaceKey, isSealed, isSealedApart, newKeyringSpec, parseKeyring, poolKeyringSpec } from './payload-cipher.ts';
export type { Keyring, Sealed } from './payload-cipher.ts';
export { SECRET_MAX_BYTES, SecretMissingError, SecretStore, type SecretChange, type SecretInfo } from './secret-store.ts';
// Knowledge collections: documents functions ground on, sealed per namespace, updated without a deploy
export { COLLECTION_NAME, KnowledgeInvalidError, KnowledgeMissingError, KnowledgeStore, collectionVersion } from './knowledge-store.ts';
export type { CollectionInfo, KnowledgeChange, KnowledgeStoreOptions } from './knowledge-store.ts';
// Answers of deterministic functions kept for calls that repeat, sealed, bounded per function (routers only)
export { ResultCache, SECRET_SETTLE_MS, type CacheBounds, type CacheCall, type CacheLookup, type CachedAnswer, type CachedResult } from './result-cache.ts';
export { TRAINING_ENDS, TrainingStore } from './training-store.ts';
export type { TrainedFiles, TrainingOutcome, TrainingRequest, TrainingStatus, TrainingThen, TrainingView } from './training-store.ts';

// The console's one-time sign-in codes, and the bound on failed attempts
export { LOGIN_CODE, LoginCodes, type IssuedLoginCode, type LoginCodesOptions } from './login-codes.ts';
export { LoginAttempts, type LoginAttemptsOptions } from './login-attempts.ts';

// Namespace quotas (rate and concurrency)
export { InputsOverLimitError, NamespaceLimiter, QuotaExceededError, RateLimitedError } from './namespace-limiter.ts';
export type { AdmitOptions, NamespaceLimits } from './namespace-limiter.ts';

// Function logs: workers ship what function code writes, sealed, to a stream per function; the router reads it.
export { FunctionLogWriter, JOB_RUNS_KEPT, jobRuns, namesJob, type FunctionLogLine, type LogWriterOptions } from './function-log-writer.ts';
export { clearFunctionLogs, readFunctionLogs, type LogPage, type LogQuery } from './function-log-reader.ts';

// Recent traces, sealed, for the traces API (routers and workers write, routers read)
export { NAMESPACE_ATTRIBUTE, TraceStore, type CarriedSpan, type FinishedSpan, type StoredSpan, type TraceStoreOptions } from './trace-store.ts';
export { SpanCarrier, type SpanWriter } from './span-carrier.ts';
export { TIMING_ATTRIBUTES } from './trace-timings.ts';

// The pool's configuration as the launcher hands it to the pool (declared here: both sides import it).
export { BACKEND_CHOICES, INFERENCE_MODES, ISOLATION_CHOICES, POOL_CONFIG_VARIABLE } from './pool-config.ts';
export type { DeclaredDevice, InferenceMode, IsolationLevel, PoolConfig } from './pool-config.ts';
// Audit chain heads, anchored outside the audit files (written and read by routers only)
export { AuditHeadStore, type AuditHead } from './audit-heads.ts';
// Sessions of the console's server-rendered board (routers only)
export { ConsoleSessions, type ConsoleSession } from './console-sessions.ts';
// Feedback on outputs: records kept past their jobs, and each version's counts and score (routers only)
export { FeedbackStore, decodeFeedbackCursor, encodeFeedbackCursor, type FeedbackCursor, type FeedbackFigures, type FeedbackRecord, type FeedbackStoreOptions } from './feedback-store.ts';
export { feedbackScore, type Feedback } from './feedback-score.ts';
