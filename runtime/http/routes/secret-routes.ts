import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { SECRET_NAME } from '../../../functions/sdk/index.ts';
import { PlatformError } from '../../../queue/platform-error.ts';
import { SECRET_MAX_BYTES, type SecretInfo } from '../../../queue/cluster/index.ts';
import { authorize } from '../../auth/index.ts';
import type { AppDeps, AppEnv } from '../app-deps.ts';
import { auditAction } from '../audit-action.ts';
import { ValidationError } from '../errors.ts';
import { namespaceQuery, problems } from '../schemas.ts';
import { responseHeaders } from '../response-headers.ts';

const SecretNameParam = z.object({
  name: z
    .string()
    .regex(SECRET_NAME, 'must be 1–63 lowercase letters, digits, _ and -, starting with a letter')
    .openapi({ param: { name: 'name', in: 'path' }, example: 'crm-api-key' }),
});

const NamespaceQuery = namespaceQuery("The namespace the secret belongs to: its functions' namespace.");

const SetBody = z
  .object({ value: z.string().min(1).openapi({ description: `The value, at most ${SECRET_MAX_BYTES / 1024} KiB of UTF-8. Never returned.` }) })
  .strict()
  .openapi('SecretValue');

const Secret = z
  .object({
    name: z.string(),
    namespace: z.string(),
    createdAt: z.string().openapi({ description: 'ISO 8601' }),
    updatedAt: z.string().openapi({ description: 'ISO 8601: when the current value was set.' }),
    updatedBy: z.string().openapi({ description: 'Who set the current value.' }),
    size: z.number().int().openapi({ description: 'Bytes of the value.' }),
    usedBy: z.array(z.string()).openapi({ description: 'Functions with a serving version that lists it: a new value reaches them without a deploy.' }),
  })
  .openapi('Secret');

const setRoute = createRoute({
  method: 'put',
  path: '/v1/secrets/{name}',
  // The name goes in the detail: as `function` it would read as a function's.
  middleware: auditAction('secret.set'),
  summary: "Create or replace a secret's value; the functions that list it load again with it",
  security: [{ bearer: [] }],
  request: { params: SecretNameParam, query: NamespaceQuery, body: { content: { 'application/json': { schema: SetBody } }, required: true } },
  responses: {
    200: { description: 'Replaced', content: { 'application/json': { schema: Secret } } },
    201: { description: 'Created; `Location` is the secret', content: { 'application/json': { schema: Secret } }, headers: responseHeaders('Location') },
    ...problems(400, 401, 403, 413, 503),
  },
});

const listRoute = createRoute({
  method: 'get',
  path: '/v1/secrets',
  summary: "A namespace's secrets: names and dates, never values",
  security: [{ bearer: [] }],
  request: { query: NamespaceQuery },
  responses: { 200: { description: 'Secrets', content: { 'application/json': { schema: z.object({ items: z.array(Secret) }) } } }, ...problems(400, 401, 403) },
});

const getRoute = createRoute({
  method: 'get',
  path: '/v1/secrets/{name}',
  summary: 'One secret: name and dates, never its value',
  security: [{ bearer: [] }],
  request: { params: SecretNameParam, query: NamespaceQuery },
  responses: { 200: { description: 'The secret', content: { 'application/json': { schema: Secret } } }, ...problems(400, 401, 403, 404) },
});

const deleteRoute = createRoute({
  method: 'delete',
  path: '/v1/secrets/{name}',
  middleware: auditAction('secret.remove'),
  summary: 'Remove a secret (refused while a serving version lists it, unless force=true)',
  security: [{ bearer: [] }],
  request: { params: SecretNameParam, query: NamespaceQuery.extend({ force: z.enum(['true', 'false']).optional() }) },
  responses: { 204: { description: 'Removed' }, ...problems(400, 401, 403, 404, 409, 503) },
});

/** No secret of that name in the namespace. */
export class SecretNotFoundError extends PlatformError {
  override readonly name = 'SecretNotFoundError';
  constructor(namespace: string, name: string) {
    super('SECRET_NOT_FOUND', `namespace '${namespace}' has no secret '${name}'`, { extra: { field: 'name', in: 'path' } });
  }
}

/** Removing the secret would break the functions that list it. */
export class SecretInUseError extends PlatformError {
  override readonly name = 'SecretInUseError';
  constructor(name: string, users: string[]) {
    super('SECRET_IN_USE', `secret '${name}' is listed by serving versions of ${users.map((u) => `'${u}'`).join(', ')}; deploy them without it first, or remove with force=true (their next load fails)`, {
      extra: { functions: users },
    });
  }
}

/**
 * Secrets, as OpenFaaS users keep them with `faas-cli secret`: those who deploy set and remove
 * them, and with viewers see their names and dates; nobody reads a value back. Workers open the
 * values a version lists when it loads.
 */
export function secretRoutes(deps: AppDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  const view = (s: SecretInfo) => ({
    name: s.name,
    namespace: s.namespace,
    createdAt: new Date(s.createdAt).toISOString(),
    updatedAt: new Date(s.updatedAt).toISOString(),
    updatedBy: s.updatedBy,
    size: s.size,
    usedBy: deps.functions.usersOf(s.namespace, s.name),
  });

  app.openapi(setRoute, async (c) => {
    const { name } = c.req.valid('param');
    const { namespace } = c.req.valid('query');
    authorize(c.var.principal, 'secret.write', { namespace });
    const { value } = c.req.valid('json');
    if (Buffer.byteLength(value) > SECRET_MAX_BYTES) throw new ValidationError('value', `must be at most ${SECRET_MAX_BYTES} bytes of UTF-8`);
    const r = await deps.secrets.set(namespace, name, value, c.var.principal.sub);
    c.set('auditDetail', { namespace, detail: { secret: name, created: r.created, size: r.info.size } });
    if (r.created) c.header('Location', `/v1/secrets/${name}?namespace=${namespace}`);
    return c.json(view(r.info), r.created ? 201 : 200);
  });

  app.openapi(listRoute, async (c) => {
    const { namespace } = c.req.valid('query');
    authorize(c.var.principal, 'secret.read', { namespace });
    return c.json({ items: (await deps.secrets.list(namespace)).map(view) }, 200);
  });

  app.openapi(getRoute, async (c) => {
    const { name } = c.req.valid('param');
    const { namespace } = c.req.valid('query');
    authorize(c.var.principal, 'secret.read', { namespace });
    const info = await deps.secrets.info(namespace, name);
    if (!info) throw new SecretNotFoundError(namespace, name);
    return c.json(view(info), 200);
  });

  app.openapi(deleteRoute, async (c) => {
    const { name } = c.req.valid('param');
    const { namespace, force } = c.req.valid('query');
    authorize(c.var.principal, 'secret.write', { namespace });
    c.set('auditDetail', { namespace, detail: { secret: name, force: force === 'true' } });
    const users = deps.functions.usersOf(namespace, name);
    if (users.length && force !== 'true') throw new SecretInUseError(name, users);
    if (!(await deps.secrets.remove(namespace, name))) throw new SecretNotFoundError(namespace, name);
    return c.body(null, 204);
  });
  return app;
}
