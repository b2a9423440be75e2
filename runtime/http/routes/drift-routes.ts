import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { recordOf, type DriftCounts } from '../../../queue/cluster/index.ts';
import { DriftNotWatchedError, driftReport } from '../../drift/index.ts';
import { NotServingError } from '../../registry/registry-errors.ts';
import type { AppEnv } from '../app-deps.ts';
import { readableFunction } from './readable-function.ts';
import type { CatalogMirror } from '../../registry/catalog-mirror.ts';
import { ValidationError } from '../errors.ts';
import { FunctionNameParam, problems, versionString } from '../schemas.ts';

const Bin = z.object({ upTo: z.number().nullable().openapi({ description: "The bin's upper edge (values ≤ it); null for the last bin." }), expected: z.number(), actual: z.number() });

const Report = z
  .object({
    function: z.string(),
    version: z.string(),
    windowMs: z.number().int(),
    minCount: z.number().int(),
    thresholds: z.object({ warn: z.number(), drift: z.number() }),
    features: z.array(
      z.object({
        name: z.string(),
        psi: z.number().openapi({ description: 'Population stability index of the window against the baseline.' }),
        status: z.enum(['ok', 'warn', 'drift', 'insufficient']).openapi({ description: '`insufficient` until `minCount` values were counted in the window.' }),
        count: z.number().int(),
        bins: z.array(Bin),
      }),
    ),
    skipped: z.number().int().openapi({ description: 'Inputs in the window whose features could not all be computed.' }),
  })
  .openapi('DriftReport');

const driftRoute = createRoute({
  method: 'get',
  path: '/v1/functions/{name}/drift',
  summary: "How a version's live inputs compare with its training data (PSI per feature over its window)",
  security: [{ bearer: [] }],
  request: {
    params: FunctionNameParam,
    query: z.object({ version: versionString().optional().openapi({ description: 'A version of the function [its stable version].' }) }),
  },
  responses: { 200: { description: 'The drift report', content: { 'application/json': { schema: Report } } }, ...problems(400, 401, 403, 404, 409) },
});

/** `GET /v1/functions/{name}/drift`, for whoever may read the function. */
export function driftRoutes(deps: { functions: CatalogMirror; driftCounts: Pick<DriftCounts, 'window'> }): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(driftRoute, async (c) => {
    const { name } = c.req.valid('param');
    const { version } = c.req.valid('query');
    const s = readableFunction(deps.functions, name, c.var.principal);
    const v = version ?? s.traffic.stable;
    if (!v) throw new NotServingError(name);
    const rec = recordOf(s, v);
    if (!rec) throw new ValidationError('version', `is not a version of ${name}`, 'query');
    const report = await driftReport(rec, deps.driftCounts);
    if (!report) throw new DriftNotWatchedError(name, v, version !== undefined);
    return c.json(report, 200);
  });
  return app;
}
