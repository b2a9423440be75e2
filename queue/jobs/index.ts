/**
 * The BullMQ transport: the only code that imports `bullmq`. The router submits, groups, waits
 * for, reads and cancels jobs; the pool consumes them; deploy checks and webhook deliveries ride
 * the same queues. Shared state outside jobs is `queue/cluster/`; Redis keys are in `queue/keys.ts`.
 */
// Names and job shapes
export { TRAINING_FINISH_QUEUE, functionQueueName, trainingQueue } from './names.ts';
export type { DoneMessage, ItemData, ItemView, JobData, JobStatus, JobView } from './job-data.ts';

// Errors (codes, statuses and meanings: ../problem-codes.ts, the error catalogue)
export {
  DeadlineExceededError,
  FunctionLoadError,
  FunctionTimeoutError,
  IdempotencyConflictError,
  ItemNotCancellableError,
  JobCancelledError,
  JobExpiredError,
  JobFailedError,
  JobNotCancellableError,
  JobNotFinishedError,
  JobNotFoundError,
  JobNotRetryableError,
  PoisonInputError,
  QueueFullError,
  QueueUnavailableError,
  JobLostError,
  queueError,
} from './errors.ts';

// Router side
export { QueueSet } from './queue-set.ts';
export { QUEUE_STATES, QueueStats } from './queue-stats.ts';
export type { QueueCounts, QueueState } from './queue-stats.ts';
export { DEFAULT_PRIORITY, JobSubmitter, MAX_PRIORITY, MIN_PRIORITY } from './job-submitter.ts';
export type { SubmitRequest, SubmitterOptions } from './job-submitter.ts';
export { ResultBus } from './result-bus.ts';
export type { ResultBusOptions } from './result-bus.ts';
export { JobReader } from './job-reader.ts';
export { JobLister, decodeCursor, encodeCursor } from './job-lister.ts';
export type { ListCursor, ListedStatus, ListPage, ListRequest } from './job-lister.ts';
export { JobRetrier } from './job-retrier.ts';
export { RetentionSweeper } from './retention-sweeper.ts';
export type { RetentionOptions } from './retention-sweeper.ts';
export { CallGrouper } from './call-grouper.ts';
export type { GrouperOptions, PendingCall, SyncCall } from './call-grouper.ts';
export { ChunkReader } from './chunk-reader.ts';
export type { ChunkReaderOptions, FollowedCall } from './chunk-reader.ts';
export { CallbackConsumer } from './callback-consumer.ts';
export type { Deliver } from './callback-consumer.ts';
export { CALLBACK_POLICY } from './callback-policy.ts';
export { BoardQueues, type BoardQueue } from './board-queues.ts';

// Deploy checks: the router asks a worker to load a candidate
export { DeployCheckConsumer, DeployChecker } from './deploy-check.ts';
export type { CheckOutcome, CheckReport } from './deploy-check.ts';

// Pool side
export { FunctionConsumer } from './function-consumer.ts';
export { SoloGate } from './solo-gate.ts';
export type { ConsumerOptions, Executor } from './function-consumer.ts';
export { SentInput, SentJson, inputValue } from './sent-input.ts';
export { TrainingJobs } from './training-jobs.ts';
export type { TrainingFinishData, TrainingJobData } from './training-jobs.ts';
export { TrainingFinishConsumer } from './training-finish-consumer.ts';
export { TrainingConsumer } from './training-consumer.ts';
export type { TrainingConsumerOptions, TrainingRunner } from './training-consumer.ts';
