import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { FunctionRecord } from '../../../queue/index.ts';
import { authorize } from '../../auth/index.ts';
import type { AppDeps, AppEnv } from '../app-env.ts';
import { FunctionNotFoundError } from '../errors.ts';
import { FunctionNameParam, FunctionSummary, problems } from '../schemas.ts';

const listRoute = createRoute({
  method: 'get',
  path: '/v1/functions',
  summary: 'List deployed functions',
  security: [{ bearer: [] }],
  responses: { 200: { description: 'Functions', content: { 'application/json': { schema: z.object({ items: z.array(FunctionSummary) }) } } }, ...problems(401, 403) },
});

const getRoute = createRoute({
  method: 'get',
  path: '/v1/functions/{name}',
  summary: 'Describe a function',
  security: [{ bearer: [] }],
  request: { params: FunctionNameParam },
  responses: { 200: { description: 'The function', content: { 'application/json': { schema: FunctionSummary } } }, ...problems(401, 403, 404) },
});

const summary = (r: FunctionRecord) => ({
  name: r.name,
  version: r.version,
  description: r.manifest.description,
  timeoutMs: r.manifest.timeout,
  retries: r.manifest.retries,
  device: r.manifest.device,
  inputSchema: r.manifest.input,
  deployedAt: new Date(r.deployedAt).toISOString(),
});

/** Read-only views of the function catalogue. */
export function functionRoutes(deps: AppDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(listRoute, (c) => {
    authorize(c.var.principal, 'read', 'default');
    return c.json({ items: deps.functions.list().map(summary) }, 200);
  });
  app.openapi(getRoute, (c) => {
    const { name } = c.req.valid('param');
    const rec = deps.functions.get(name);
    if (!rec) throw new FunctionNotFoundError(name);
    authorize(c.var.principal, 'read', 'default');
    return c.json(summary(rec), 200);
  });
  return app;
}
