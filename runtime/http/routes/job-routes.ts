import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { parseDuration } from '../../../functions/sdk/index.ts';
import { JobNotFoundError, JobNotRetryableError, decodeCursor, encodeCursor, type JobView, type ListedStatus } from '../../../queue/jobs/index.ts';
import { allowed, authorize, authorizeNamed, type Principal } from '../../auth/index.ts';
import type { AppDeps, AppEnv } from '../app-deps.ts';
import { auditAction } from '../audit-action.ts';
import { ValidationError } from '../errors.ts';
import { FunctionNotFoundError } from '../../registry/registry-errors.ts';
import { TraceNotFoundError, TracePendingError } from '../errors.ts';
import { traceOnItsWay } from '../trace-settle.ts';
import { responseHeaders } from '../response-headers.ts';
import { JobIdParam, JobListQuery, JobListSchema, JobQuery, JobViewSchema, TraceSchema, problems } from '../schemas.ts';

/** What a listing without `status` merges. */
const ALL_STATUSES: readonly ListedStatus[] = ['queued', 'running', 'succeeded', 'failed'];

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

const traceRoute = createRoute({
  method: 'get',
  path: '/v1/jobs/{id}/trace',
  summary: "Read a job's trace: the spans of the router, the queue wait, the worker, the batch and the handler",
  security: [{ bearer: [] }],
  request: { params: JobIdParam },
  responses: {
    200: { description: 'The spans, in start order', content: { 'application/json': { schema: TraceSchema } } },
    ...problems(401, 403),
    // TRACE_PENDING says when to read again; the other 404s do not.
    404: { ...problems(404)[404], headers: responseHeaders('Retry-After') },
  },
});

const cancelRoute = createRoute({
  method: 'delete',
  path: '/v1/jobs/{id}',
  operationId: 'cancelJob',
  middleware: auditAction('job.cancel', 'job'),
  summary: 'Cancel a job that has not started',
  security: [{ bearer: [] }],
  request: { params: JobIdParam },
  responses: { 200: { description: 'The cancelled job', content: { 'application/json': { schema: JobViewSchema } } }, ...problems(401, 403, 404, 409) },
});

const listRoute = createRoute({
  method: 'get',
  path: '/v1/jobs',
  summary: 'List recent jobs of every function the caller may read, newest first, a page at a time (failed jobs are the dead letters)',
  security: [{ bearer: [] }],
  request: { query: JobListQuery },
  responses: {
    200: { description: 'Jobs, newest first (a finished job by its finishing time, others by their queuing time)', content: { 'application/json': { schema: JobListSchema } } },
    ...problems(400, 401, 403, 404),
  },
});

const retryRoute = createRoute({
  method: 'post',
  path: '/v1/jobs/{id}/retry',
  middleware: auditAction('job.retry', 'job'),
  summary: 'Run a failed job (a dead letter) again: the same id, input and version, attempts counted afresh',
  security: [{ bearer: [] }],
  request: { params: JobIdParam },
  responses: { 200: { description: 'The job, queued again', content: { 'application/json': { schema: JobViewSchema } } }, ...problems(401, 403, 404, 409, 429) },
});

/** `GET/DELETE /v1/jobs/{id}`, `POST /v1/jobs/{id}/retry` and `GET /v1/jobs`. */
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

  // Read like the job itself: another namespace's job (and so its trace) is as missing.
  app.openapi(traceRoute, async (c) => {
    const { id } = c.req.valid('param');
    const job = await deps.jobs.traceOf(id);
    if (!job) throw new JobNotFoundError(id);
    authorizeNamed(c.var.principal, 'job.read', { namespace: job.namespace, owner: job.owner }, () => new JobNotFoundError(id));
    const spans = job.traceId ? await deps.traces?.read(job.traceId, job.namespace) : undefined;
    if (!spans) throw (await traceOnItsWay(deps.traces, job)) ? new TracePendingError(id) : new TraceNotFoundError(id);
    return c.json({ jobId: id, traceId: job.traceId!, spans }, 200);
  });

  app.openapi(cancelRoute, async (c) => {
    const { id } = c.req.valid('param');
    const who = await deps.jobs.ownerOf(id);
    if (!who) throw new JobNotFoundError(id);
    // Another namespace's job is as missing; in the caller's namespaces, one it may not cancel is a 403.
    authorizeNamed(c.var.principal, 'job.cancel', who, () => new JobNotFoundError(id));
    return c.json(await deps.jobs.cancel(id), 200);
  });

  app.openapi(retryRoute, async (c) => {
    const { id } = c.req.valid('param');
    const p = c.var.principal;
    const view = await readable(id, p);
    // Retrying submits the job again: who may invoke the function, and an invoker only its own jobs.
    authorize(p, 'job.retry', { namespace: view.namespace, function: view.function, owner: view.submittedBy });
    if (view.partOf) throw new JobNotRetryableError(id, { partOf: view.partOf });
    if (view.status !== 'failed') throw new JobNotRetryableError(id, { status: view.status });
    await deps.retrier.retry(id);
    return c.json(await deps.jobs.get(id), 200);
  });

  app.openapi(listRoute, async (c) => {
    const q = c.req.valid('query');
    const p = c.var.principal;
    // A role that reads no job anywhere (a pool's `worker` token) is refused, not shown an empty list.
    authorize(p, 'job.read', { namespace: '*' });
    const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
    if (q.cursor !== undefined && !after) throw new ValidationError('cursor', "not a cursor this API handed out: pass a page's `next` as it came", 'query');
    const page = await deps.jobLister.page(
      { functions: listedFunctions(deps, p, q), statuses: q.status ? [q.status] : ALL_STATUSES, limit: q.limit, ...(after ? { after } : {}) },
      (id) => deps.jobs.get(id).catch((err: unknown) => (err instanceof JobNotFoundError ? undefined : Promise.reject(err))),
      // A job may have moved on between the listing's read and its own (a retried dead letter is queued).
      (j) => (!q.status || j.status === q.status) && allowed(p, 'job.read', { namespace: j.namespace, owner: j.submittedBy }),
    );
    return c.json({ items: page.items, ...(page.next ? { next: encodeCursor(page.next) } : {}) }, 200);
  });

  return app;
}

/**
 * The functions a listing merges: the one named (404 when the caller may not see it, as for a
 * job), or every function of the catalogue the caller may read jobs of, in `namespace` if named.
 */
function listedFunctions(deps: AppDeps, p: Principal, q: { function?: string | undefined; namespace?: string | undefined }): string[] {
  if (q.function !== undefined) {
    const name = q.function;
    const missing = () => new FunctionNotFoundError(name, { field: 'function', in: 'query' });
    const fn = deps.functions.get(name);
    if (!fn) throw missing();
    authorizeNamed(p, 'job.read', { namespace: fn.namespace }, missing);
    return q.namespace === undefined || q.namespace === fn.namespace ? [name] : [];
  }
  if (q.namespace !== undefined) authorize(p, 'job.read', { namespace: q.namespace });
  return deps.functions
    .list()
    .filter((f) => (q.namespace === undefined || f.namespace === q.namespace) && allowed(p, 'job.read', { namespace: f.namespace }))
    .map((f) => f.name);
}
