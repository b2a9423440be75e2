import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { MAX_MINUTES, type CallRollups } from '../../../queue/cluster/index.ts';
import type { CatalogMirror } from '../../registry/catalog-mirror.ts';
import type { AppEnv } from '../app-deps.ts';
import { readableFunction } from './readable-function.ts';
import { FunctionNameParam, problems } from '../schemas.ts';

const Minute = z.object({
  t: z.number().int().openapi({ description: 'Start of the minute, epoch ms.' }),
  calls: z.number().int().openapi({ description: 'Calls answered (sync invocations and job submissions), by every router.' }),
  clientErrors: z.number().int().openapi({ description: 'Of them, answered 4xx.' }),
  serverErrors: z.number().int().openapi({ description: 'Of them, answered 5xx.' }),
  inputs: z.number().int().openapi({ description: 'Inputs accepted (a bulk job counts each).' }),
  p50: z.number().nullable().openapi({ description: "Synchronous calls' median answer time, seconds; null without any." }),
  p95: z.number().nullable(),
});

const callsRoute = createRoute({
  method: 'get',
  path: '/v1/functions/{name}/calls',
  summary: "A function's calls per minute (calls, errors, inputs, sync p50/p95), kept by the routers for two hours: what the console charts",
  security: [{ bearer: [] }],
  request: { params: FunctionNameParam, query: z.object({ minutes: z.coerce.number().int().min(1).max(MAX_MINUTES).default(60).openapi({ description: `The last this many minutes, oldest first [60, at most ${MAX_MINUTES}].` }) }) },
  responses: { 200: { description: 'Per-minute rollups', content: { 'application/json': { schema: z.object({ function: z.string(), minutes: z.array(Minute) }).openapi('FunctionCalls') } } }, ...problems(400, 401, 403, 404) },
});

/** `GET /v1/functions/{name}/calls`, for whoever may read the function. */
export function callRoutes(deps: { functions: CatalogMirror; rollups: Pick<CallRollups, 'last'> }): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(callsRoute, async (c) => {
    const { name } = c.req.valid('param');
    const { minutes } = c.req.valid('query');
    const s = readableFunction(deps.functions, name, c.var.principal);
    return c.json({ function: name, minutes: await deps.rollups.last(name, minutes) }, 200);
  });
  return app;
}
