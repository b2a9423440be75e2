import { AutoglmError } from '../../functions/sdk/index.ts';

/** A request field failed validation. `field` names it (`input.amount`, `timeoutMs`); `in` says where. */
export class ValidationError extends AutoglmError {
  override readonly name = 'ValidationError';
  constructor(
    field: string,
    message: string,
    where: 'body' | 'query' | 'path' | 'header' = 'body',
    errors: { field: string; message: string }[] = [{ field, message }],
  ) {
    super('INVALID_REQUEST', `${field}: ${message}`, { status: 400, extra: { field, in: where, errors } });
  }
}

export class MalformedJsonError extends AutoglmError {
  override readonly name = 'MalformedJsonError';
  constructor() {
    super('MALFORMED_JSON', 'the request body is not valid JSON', { status: 400, extra: { field: 'body', in: 'body' } });
  }
}

export class UnsupportedMediaTypeError extends AutoglmError {
  override readonly name = 'UnsupportedMediaTypeError';
  constructor(got: string | undefined, expected = 'application/json') {
    super('UNSUPPORTED_MEDIA_TYPE', `expected Content-Type: ${expected}, got ${got ? JSON.stringify(got) : 'none'}`, {
      status: 415,
      extra: { field: 'Content-Type', in: 'header' },
    });
  }
}

export class PayloadTooLargeError extends AutoglmError {
  override readonly name = 'PayloadTooLargeError';
  constructor(limit: number) {
    super('PAYLOAD_TOO_LARGE', `the request body exceeds the ${limit}-byte limit`, { status: 413, extra: { limit } });
  }
}

export class UnauthorizedError extends AutoglmError {
  override readonly name = 'UnauthorizedError';
  constructor(message = 'a valid bearer token is required') {
    super('UNAUTHORIZED', message, { status: 401 });
  }
}

export class ForbiddenError extends AutoglmError {
  override readonly name = 'ForbiddenError';
  constructor(message: string) {
    super('FORBIDDEN', message, { status: 403 });
  }
}

export class FunctionNotFoundError extends AutoglmError {
  override readonly name = 'FunctionNotFoundError';
  constructor(name: string) {
    super('FUNCTION_NOT_FOUND', `no function named '${name}'`, { status: 404, extra: { field: 'name', in: 'path' } });
  }
}

export class RouteNotFoundError extends AutoglmError {
  override readonly name = 'RouteNotFoundError';
  constructor(method: string, path: string) {
    super('ROUTE_NOT_FOUND', `no route for ${method} ${path}`, { status: 404 });
  }
}

export class TimedOutWaitingError extends AutoglmError {
  override readonly name = 'TimedOutWaitingError';
  constructor(jobId: string, waitedMs: number) {
    super('DEADLINE_EXCEEDED', `the function did not answer within ${waitedMs} ms`, { status: 504, extra: { jobId } });
  }
}

/** The platform is shutting down or not ready. */
export class UnavailableError extends AutoglmError {
  override readonly name = 'UnavailableError';
  constructor(message: string) {
    super('UNAVAILABLE', message, { status: 503, retryable: true });
  }
}
