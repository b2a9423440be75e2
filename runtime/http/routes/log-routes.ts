import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { authorizeNamed } from '../../auth/index.ts';
import { FunctionNotFoundError } from '../../registry/registry-errors.ts';
import type { AppDeps, AppEnv } from '../app-deps.ts';
import { FunctionNameParam, problems, versionString } from '../schemas.ts';
import { sinceMs } from '../since-time.ts';

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

const LogsQuery = z.object({
  since: z.string().max(40).optional().openapi({ description: 'Lines from this time on: an ISO 8601 time, or a duration back from now (`10m`, `2h`, `1d`).', example: '10m' }),
  after: z
    .string()
    .regex(/^\d{1,20}-\d{1,20}$/, 'must be the `next` of a previous page')
    .optional()
    .openapi({ description: "Lines after this point: the previous page's `next` (how `autoglm logs --follow` polls)." }),
  limit: z.coerce.number().int().min(1).max(1000).default(100).openapi({ description: 'At most this many lines [100]. Without `since` or `after`, the newest ones.' }),
  version: versionString().optional().openapi({ description: 'Only lines of this version.' }),
  level: z.enum(LEVELS).optional().openapi({ description: 'Only lines at this level or above.' }),
  job: z.string().min(1).max(128).optional().openapi({ description: 'Only lines of the handler calls that ran this job or item; a job id also finds the lines of all its items (bulk inputs, grouped calls).' }),
});

const LogLine = z
  .object({
    id: z.string(),
    t: z.number().openapi({ description: 'Epoch ms.' }),
    level: z.enum(LEVELS),
    msg: z.string(),
    fields: z.record(z.string(), z.unknown()).optional(),
    version: z.string(),
    device: z.string(),
    worker: z.string().optional(),
    source: z.enum(['log', 'console', 'platform']).openapi({ description: '`log`: `ctx.log`; `console`: `console.*` in function code; `platform`: about the log itself (lines dropped over the rate).' }),
    batch: z.number().int().optional().openapi({ description: 'Items in the handler call that wrote it (absent while loading).' }),
    jobs: z
      .array(z.string())
      .optional()
      .openapi({ description: "The jobs of that call's batch: consecutive items of one job as one run `<job id>.<first>-<last>`; at most 64 entries." }),
    training: z.string().optional().openapi({ description: 'The training whose `train` wrote it (not an invocation).' }),
  })
  .openapi('FunctionLogLine');

const LogPage = z
  .object({ lines: z.array(LogLine), next: z.string().nullable().openapi({ description: 'Pass as `after` for the lines that follow; null while the log is empty.' }) })
  .openapi('FunctionLogPage');

const logsRoute = createRoute({
  method: 'get',
  path: '/v1/functions/{name}/logs',
  summary: "Read what a function's code wrote (`ctx.log`, `console.*`), oldest first",
  security: [{ bearer: [] }],
  request: { params: FunctionNameParam, query: LogsQuery },
  responses: { 200: { description: 'Log lines', content: { 'application/json': { schema: LogPage } } }, ...problems(400, 401, 403, 404) },
});

/**
 * A function's logs, for those who may deploy or watch it (its lines can hold what its inputs
 * held): not for invokers, whose view stops at their own jobs.
 */
export function logRoutes(deps: AppDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(logsRoute, async (c) => {
    const { name } = c.req.valid('param');
    const q = c.req.valid('query');
    const s = await deps.registry.get(name);
    authorizeNamed(c.var.principal, 'function.logs', { namespace: s.namespace }, () => new FunctionNotFoundError(name));
    const page = await deps.logs.read(name, {
      limit: q.limit,
      ...(q.after ? { after: q.after } : q.since ? { sinceMs: sinceMs(q.since) } : {}),
      ...(q.version ? { version: q.version } : {}),
      ...(q.level ? { level: q.level } : {}),
      ...(q.job ? { job: q.job } : {}),
    });
    return c.json({ lines: page.lines.map(({ fn: _fn, ...line }) => line), next: page.next }, 200);
  });
  return app;
}
