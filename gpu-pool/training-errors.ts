import { PlatformError } from '../queue/platform-error.ts';

/** A training ran past its manifest's `training.timeout` and was stopped. Not retried: it would run as long again. */
export class TrainingTimeoutError extends PlatformError {
  override readonly name = 'TrainingTimeoutError';
  constructor(key: string, timeoutMs: number) {
    super('TRAINING_TIMEOUT', `the training of ${key} ran longer than its training.timeout (${timeoutMs} ms) and was stopped`, { extra: { timeoutMs } });
  }
}

/** The version has no `training` section, or its module exports no `train` (as the router says when asked to train it). Not retried. */
export class NotTrainableError extends PlatformError {
  override readonly name = 'NotTrainableError';
  constructor(message: string) {
    super('NOT_TRAINABLE', message);
  }
}

/** `train` returned a report without the manifest's primary metric. A bug in the function: not retried. */
export class TrainingMetricMissingError extends PlatformError {
  override readonly name = 'TrainingMetricMissingError';
  constructor(key: string, metric: string) {
    super('TRAINING_METRIC_MISSING', `${key}: train returned no metrics.${metric}, the manifest's training.primaryMetric`, { extra: { field: `metrics.${metric}` } });
  }
}

/** What `train` wrote cannot become a version's files (an unsafe path, a link, too many bytes). Not retried. */
export class TrainingOutputRefusedError extends PlatformError {
  override readonly name = 'TrainingOutputRefusedError';
  constructor(message: string, limit?: number) {
    super('TRAINING_OUTPUT_REFUSED', message, limit === undefined ? {} : { extra: { limit } });
  }
}

/** The training process ended before `train` returned. Retryable (within the manifest's `training.retries`). */
export class TrainingProcessLostError extends PlatformError {
  override readonly name = 'TrainingProcessLostError';
  constructor(reason: string) {
    super('TRAINING_PROCESS_LOST', `the training process ended before train returned: ${reason}`);
  }
}
