import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { parseDuration } from '../../../functions/sdk/index.ts';
import { authorize } from '../../auth/index.ts';
import type { AppDeps, AppEnv } from '../app-deps.ts';
import { auditAction } from '../audit-action.ts';
import { ValidationError } from '../errors.ts';
import { nameString, problems } from '../schemas.ts';

const name = nameString();

const TokenRequest = z
  .object({
    sub: z.string().min(1).max(128).openapi({ description: 'who the token is for (recorded in the audit log)' }),
    roles: z.array(z.enum(['admin', 'deployer', 'invoker', 'viewer', 'worker'])).min(1),
    namespaces: z.array(name.or(z.literal('*'))).min(1).optional().openapi({ description: "default ['default']" }),
    functions: z.array(z.string().regex(/^([a-z][a-z0-9-]{0,62}\/)?[a-z][a-z0-9-]{0,62}$/)).optional().openapi({ description: 'limit an invoker to these functions' }),
    ttl: z.string().default('30d').openapi({ description: 'lifetime, e.g. 1h, 30d (max 365d)' }),
  })
  .strict()
  .openapi('TokenRequest');

const createTokenRoute = createRoute({
  method: 'post',
  path: '/v1/tokens',
  middleware: auditAction('token.create'),
  summary: 'Mint a token from the built-in issuer (admin only)',
  security: [{ bearer: [] }],
  request: { body: { content: { 'application/json': { schema: TokenRequest } }, required: true } },
  responses: {
    201: { description: 'The token', content: { 'application/json': { schema: z.object({ token: z.string(), expiresAt: z.string(), sub: z.string(), roles: z.array(z.string()) }) } } },
    ...problems(400, 401, 403),
  },
});

/** `POST /v1/tokens`: what `autoglm token create` calls. */
export function tokenRoutes(deps: AppDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(createTokenRoute, async (c) => {
    authorize(c.var.principal, 'token.create', { namespace: '*' });
    const b = c.req.valid('json');
    const ttlMs = parseDuration(b.ttl);
    if (ttlMs === undefined || ttlMs < 60_000 || ttlMs > 365 * 86_400_000) throw new ValidationError('ttl', 'must be a duration from 1m to 365d, e.g. 30d');
    const token = await deps.verifier.mint({ sub: b.sub, roles: b.roles, ...(b.namespaces ? { namespaces: b.namespaces } : {}), ...(b.functions ? { functions: b.functions } : {}) }, Math.round(ttlMs / 1000));
    c.set('auditDetail', { detail: { sub: b.sub, roles: b.roles.join(','), namespaces: (b.namespaces ?? ['default']).join(',') } });
    return c.json({ token, sub: b.sub, roles: b.roles, expiresAt: new Date(Date.now() + ttlMs).toISOString() }, 201);
  });
  return app;
}
