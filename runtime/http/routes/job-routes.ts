import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { parseDuration } from '../../../functions/sdk/index.ts';
import { JobNotFoundError, type JobView } from '../../../queue/jobs/index.ts';
import { allowed, authorizeNamed, type Principal } from '../../auth/index.ts';
import type { AppDeps, AppEnv } from '../app-deps.ts';
import { auditAction } from '../audit-action.ts';
import { FunctionNotFoundError } from '../../registry/registry-errors.ts';
import { JobIdParam, JobListQuery, JobQuery, JobViewSchema, problems } from '../schemas.ts';

/** Longest a long-poll holds a request. */
const MAX_WAIT_MS = 60_000;

const getRoute = createRoute({
  method: 'get',
  path: '/v1/jobs/{id}',
  summary: 'Read a job; with `wait`, long-poll until it ends',
  security: [{ bearer: [] }],
  request: { params: JobIdParam, query: JobQuery },
  responses: { 200: { description: 'The job', content: { 'application/json': { schema: JobViewSchema } } }, ...problems(400, 401, 403, 404) },
});

const cancelRoute = createRoute({
  method: 'delete',
  path: '/v1/jobs/{id}',
  middleware: auditAction('job.cancel', 'job'),
  summary: 'Cancel a job that has not started',
  security: [{ bearer: [] }],
  request: { params: JobIdParam },
  responses: { 200: { description: 'The cancelled job', content: { 'application/json': { schema: JobViewSchema } } }, ...problems(401, 403, 404, 409) },
});

const listRoute = createRoute({
  method: 'get',
  path: '/v1/jobs',
  summary: "List a function's jobs by status (failed jobs are the dead letters)",
  security: [{ bearer: [] }],
  request: { query: JobListQuery },
  responses: {
    200: { description: 'Jobs, newest first', content: { 'application/json': { schema: z.object({ items: z.array(JobViewSchema) }) } } },
    ...problems(400, 401, 403, 404),
  },
});

/** `GET/DELETE /v1/jobs/{id}` and `GET /v1/jobs`. */
export function jobRoutes(deps: AppDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();

  /** Reads a job the caller may see; a job outside the caller's namespaces is reported missing. */
  const readable = async (id: string, p: Principal): Promise<JobView> => {
    const view = await deps.jobs.get(id);
    authorizeNamed(p, 'job.read', { namespace: view.namespace, owner: view.submittedBy }, () => new JobNotFoundError(id));
    return view;
  };

  app.openapi(getRoute, async (c) => {
    const { id } = c.req.valid('param');
    const waitMs = Math.min(parseDuration(c.req.valid('query').wait ?? '0') ?? 0, MAX_WAIT_MS);
    let view = await readable(id, c.var.principal);
    if (waitMs > 0 && (view.status === 'queued' || view.status === 'running')) {
      const msg = await deps.results.wait(id, Date.now() + waitMs, c.req.raw.signal);
      if (msg) view = await deps.jobs.get(id);
    }
    return c.json(view, 200);
  });

  app.openapi(cancelRoute, async (c) => {
    const { id } = c.req.valid('param');
    const who = await deps.jobs.ownerOf(id);
    if (!who) throw new JobNotFoundError(id);
    // Another namespace's job is as missing; in the caller's namespaces, one it may not cancel is a 403.
    authorizeNamed(c.var.principal, 'job.cancel', who, () => new JobNotFoundError(id));
    return c.json(await deps.jobs.cancel(id), 200);
  });

  app.openapi(listRoute, async (c) => {
    const q = c.req.valid('query');
    const fn = deps.functions.get(q.function);
    if (!fn) throw new FunctionNotFoundError(q.function);
    const p = c.var.principal;
    authorizeNamed(p, 'job.read', { namespace: fn.namespace }, () => new FunctionNotFoundError(q.function));
    const items = (await deps.jobs.list(q.function, q.status, q.limit)).filter((j) => allowed(p, 'job.read', { namespace: j.namespace, owner: j.submittedBy }));
    return c.json({ items }, 200);
  });

  return app;
}
