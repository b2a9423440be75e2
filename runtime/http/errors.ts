import { PlatformError } from '../../queue/platform-error.ts';

/** A request field failed validation. `field` names it (`input.amount`, `timeoutMs`); `in` says where. */
export class ValidationError extends PlatformError {
  override readonly name = 'ValidationError';
  constructor(
    field: string,
    message: string,
    where: 'body' | 'query' | 'path' | 'header' = 'body',
    errors: { field: string; message: string }[] = [{ field, message }],
  ) {
    super('INVALID_REQUEST', `${field}: ${message}`, { extra: { field, in: where, errors } });
  }
}

/** The version's input schema does not compile (recorded before deploys compiled schemas), so no call can be checked. */
export class UnsupportedSchemaError extends PlatformError {
  override readonly name = 'UnsupportedSchemaError';
  constructor(message: string) {
    super('INPUT_SCHEMA_UNSUPPORTED', message);
  }
}

export class MalformedJsonError extends PlatformError {
  override readonly name = 'MalformedJsonError';
  constructor() {
    super('MALFORMED_JSON', 'the request body is not valid JSON', { extra: { field: 'body', in: 'body' } });
  }
}

export class UnsupportedMediaTypeError extends PlatformError {
  override readonly name = 'UnsupportedMediaTypeError';
  constructor(got: string | undefined, expected = 'application/json') {
    super('UNSUPPORTED_MEDIA_TYPE', `expected Content-Type: ${expected}, got ${got ? JSON.stringify(got) : 'none'}`, {
      extra: { field: 'Content-Type', in: 'header' },
    });
  }
}

export class PayloadTooLargeError extends PlatformError {
  override readonly name = 'PayloadTooLargeError';
  constructor(limit: number) {
    super('PAYLOAD_TOO_LARGE', `the request body exceeds the ${limit}-byte limit`, { extra: { limit } });
  }
}

export class RouteNotFoundError extends PlatformError {
  override readonly name = 'RouteNotFoundError';
  constructor(method: string, path: string) {
    super('ROUTE_NOT_FOUND', `no route for ${method} ${path}`);
  }
}

/** The path is a route's, but not with this method; `allow` lists those it takes (the answer's `Allow`). */
export class MethodNotAllowedError extends PlatformError {
  override readonly name = 'MethodNotAllowedError';
  constructor(method: string, path: string, allow: readonly string[]) {
    super('METHOD_NOT_ALLOWED', `${path} does not take ${method}; it takes ${allow.join(', ')}`);
  }
}

export class TimedOutWaitingError extends PlatformError {
  override readonly name = 'TimedOutWaitingError';
  constructor(jobId: string, waitedMs: number) {
    super('DEADLINE_EXCEEDED', `the function did not answer within ${waitedMs} ms`, { extra: { jobId } });
  }
}

/** The platform is shutting down or not ready. */
export class UnavailableError extends PlatformError {
  override readonly name = 'UnavailableError';
  constructor(message: string) {
    super('UNAVAILABLE', message);
  }
}

/**
 * The trace of a job that is queued, running or ended moments ago is not written yet: routers and
 * workers write spans in batches (a worker's span of a call waits up to a second for the router's).
 */
export class TracePendingError extends PlatformError {
  override readonly name = 'TracePendingError';
  readonly retryAfterSeconds = 1;
  constructor(id: string) {
    super('TRACE_PENDING', `the trace of job '${id}' is not written yet: spans are written within a few seconds of a job's end; retry`);
  }
}

/** The trace of a job the caller may read is not kept (trimmed, expired, the store off, or the job never ran). */
export class TraceNotFoundError extends PlatformError {
  override readonly name = 'TraceNotFoundError';
  constructor(id: string) {
    super('TRACE_NOT_FOUND', `the trace of job '${id}' is not kept (only the most recent traces are, and failed ones for a day)`);
  }
}
