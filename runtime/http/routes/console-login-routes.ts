import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import type { LoginAttempts, LoginCodes } from '../../../queue/cluster/index.ts';
import { LoginCodeInvalidError, TooManyLoginAttemptsError, UnauthorizedError, authorize } from '../../auth/index.ts';
import type { AppDeps, AppEnv } from '../app-deps.ts';
import { auditAction } from '../audit-action.ts';
import { problems } from '../schemas.ts';

/** The routes that need no bearer token: `POST /v1/console/login` trades a code for one. */
export const isPublicConsoleRoute = (method: string, path: string): boolean => method === 'POST' && path === '/v1/console/login';

const Link = z.object({
  code: z.string().openapi({ description: 'one-time code: open `<url>/console/#/login?code=<code>`' }),
  expiresAt: z.string().openapi({ description: 'when the code stops working (10 minutes after it was made)' }),
});

const createLinkRoute = createRoute({
  method: 'post',
  path: '/v1/console/links',
  middleware: auditAction('console.link'),
  summary: "A one-time console sign-in code for the caller's own token",
  description: 'The code stands for the bearer token of this request, unchanged (same identity, roles, namespaces and expiry): it grants nothing the token lacks.',
  security: [{ bearer: [] }],
  responses: { 201: { description: 'The code', content: { 'application/json': { schema: Link } } }, ...problems(401, 403) },
});

// Any string is taken as a code: one not of the form (43 characters of base64url) is refused as an
// unknown one (LOGIN_CODE_INVALID) and counts toward the address's limit, so no guess goes uncounted.
const LoginRequest = z.object({ code: z.string().openapi({ description: 'the sign-in code: 43 characters of base64url' }) }).strict().openapi('ConsoleLoginRequest');

const loginRoute = createRoute({
  method: 'post',
  path: '/v1/console/login',
  middleware: auditAction('console.login'),
  summary: 'Trade a one-time sign-in code for the token it stands for (no bearer token needed)',
  security: [],
  request: { body: { content: { 'application/json': { schema: LoginRequest } }, required: true } },
  responses: {
    200: {
      description: 'The token, and who it is for',
      content: { 'application/json': { schema: z.object({ token: z.string(), sub: z.string(), roles: z.array(z.string()), namespaces: z.array(z.string()) }) } },
    },
    ...problems(400, 429),
  },
});

/** The connection's peer address (not X-Forwarded-For, which the caller writes); `unknown` without a socket (`app.request`). */
const peer = (c: Context): string => {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
};

/**
 * The console's one-time sign-in links: `POST /v1/console/links` (any console role, its own token)
 * and `POST /v1/console/login` (public: the code is the credential). Both are audited; the
 * login's record names who signed in.
 */
export function consoleLoginRoutes(deps: Pick<AppDeps, 'verifier'> & { codes: LoginCodes; attempts: LoginAttempts }): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(createLinkRoute, async (c) => {
    authorize(c.var.principal, 'console.link', { namespace: '*' });
    // bearerAuth accepted exactly this header's token.
    const token = /^Bearer\s+(\S+)/i.exec(c.req.header('authorization')!)![1]!;
    const issued = await deps.codes.issue(token);
    return c.json({ code: issued.code, expiresAt: new Date(issued.expiresAt).toISOString() }, 201);
  });
  app.openapi(loginRoute, async (c) => {
    const address = peer(c);
    const wait = await deps.attempts.blockedFor(address);
    if (wait > 0) throw new TooManyLoginAttemptsError(wait);
    const token = await deps.codes.redeem(c.req.valid('json').code);
    if (!token) {
      await deps.attempts.failed(address);
      throw new LoginCodeInvalidError();
    }
    let principal;
    try {
      principal = await deps.verifier.verify(token);
    } catch (err) {
      // Expired, or signed with a key since rotated: the code was good, what it stood for is not.
      if (err instanceof UnauthorizedError) throw new LoginCodeInvalidError('the token this code stood for is no longer valid (expired or its key rotated): sign in again to get a new link');
      throw err;
    }
    // Who signed in is the one the audit record names (the request itself carried no token).
    c.set('principal', principal);
    return c.json({ token, sub: principal.sub, roles: [...principal.roles], namespaces: [...principal.namespaces] }, 200);
  });
  return app;
}
