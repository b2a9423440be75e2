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

/** A console sign-in code that does not redeem: unknown, used, expired, or its token no longer valid. */
export class LoginCodeInvalidError extends PlatformError {
  override readonly name = 'LoginCodeInvalidError';
  constructor(message = 'the sign-in code is unknown, used or expired: each works once, for 10 minutes; ask for a new link (`autoglm console`)') {
    super('LOGIN_CODE_INVALID', message, { extra: { field: 'code', in: 'body' } });
  }
}

/** The peer address tried too many codes that did not redeem; `retryAfterSeconds` until its window ends. */
export class TooManyLoginAttemptsError extends PlatformError {
  override readonly name = 'TooManyLoginAttemptsError';
  constructor(readonly retryAfterSeconds: number) {
    super('TOO_MANY_LOGIN_ATTEMPTS', `too many sign-in codes that did not work came from this address; try again in ${retryAfterSeconds} s`);
  }
}
