export { TokenVerifier } from './token-verifier.ts';
export type { Principal, TokenVerifierOptions } from './token-verifier.ts';
export { bearerAuth } from './bearer-auth.ts';
export { ForbiddenError, LoginCodeInvalidError, TooManyLoginAttemptsError, UnauthorizedError } from './auth-errors.ts';
export { allowed, authorize, authorizeNamed, isConcealedDenial } from './policy.ts';
export type { Resource } from './policy.ts';
export type { Action } from './policy.ts';
export { ConsoleOidc } from './console-oidc.ts';
export type { ConsoleOidcOptions, ConsoleOidcSettings } from './console-oidc.ts';
