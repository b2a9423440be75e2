import { PlatformError } from '../../queue/platform-error.ts';

/** No valid bearer token: missing, malformed, forged or expired. */
export class UnauthorizedError extends PlatformError {
  override readonly name = 'UnauthorizedError';
  constructor(message = 'a valid bearer token is required') {
    super('UNAUTHORIZED', message);
  }
}

/** The token's roles or namespaces do not allow the action. */
export class ForbiddenError extends PlatformError {
  override readonly name = 'ForbiddenError';
  constructor(message: string) {
    super('FORBIDDEN', message);
  }
}
