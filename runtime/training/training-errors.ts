import { PlatformError } from '../../queue/platform-error.ts';

/**
 * The version cannot be trained: no `training` section in its manifest. The field named is the
 * `version` of the query when the request chose it, else the function (the path's `name`).
 */
export class NotTrainableError extends PlatformError {
  override readonly name = 'NotTrainableError';
  constructor(fn: string, version: string, chosen: boolean) {
    super('NOT_TRAINABLE', `${fn}@${version} has no \`training\` section in its manifest: it cannot be trained (export \`train\` and declare \`training: { primaryMetric: … }\`)`, {
      extra: chosen ? { field: 'version', in: 'query' } : { field: 'name', in: 'path' },
    });
  }
}

/** A line of the dataset is not a record: `line` is 1-based, `field` the part that is wrong. */
export class DatasetInvalidError extends PlatformError {
  override readonly name = 'DatasetInvalidError';
  constructor(
    readonly line: number,
    message: string,
    field = 'body',
  ) {
    super('INVALID_DATASET', `line ${line}: ${message}`, { extra: { field, in: 'body', line } });
  }
}

/** A training from feedback (`fromFeedback=true`) found no feedback records to learn from. */
export class NoFeedbackError extends PlatformError {
  override readonly name = 'NoFeedbackError';
  constructor(fn: string, since: number) {
    const when = since > 0 ? ` since ${new Date(since).toISOString()}` : '';
    super('INVALID_DATASET', `${fn} has no feedback records${when} to train from: feedback on its answers (POST /v1/jobs/{id}/feedback, autoglm feedback) makes them`, {
      extra: since > 0 ? { field: 'since', in: 'query' } : { field: 'fromFeedback', in: 'query' },
    });
  }
}

/** The dataset passes `AUTOGLM_TRAINING_DATA_LIMIT`. */
export class DatasetTooLargeError extends PlatformError {
  override readonly name = 'DatasetTooLargeError';
  constructor(limit: number) {
    super('DATASET_TOO_LARGE', `the dataset passes the limit of ${limit} bytes (AUTOGLM_TRAINING_DATA_LIMIT)`, { extra: { field: 'body', in: 'body', limit } });
  }
}

export class TrainingNotFoundError extends PlatformError {
  override readonly name = 'TrainingNotFoundError';
  constructor(id: string) {
    super('TRAINING_NOT_FOUND', `no training '${id}'`, { extra: { field: 'id', in: 'path' } });
  }
}

export class TrainingEndedError extends PlatformError {
  override readonly name = 'TrainingEndedError';
  constructor(id: string, status: string) {
    super('TRAINING_ENDED', `training '${id}' already ended: ${status}`, { extra: { ended: status } });
  }
}
