import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { TrainingView } from '../../../queue/cluster/index.ts';
import { allowed, authorize, authorizeNamed, type Principal } from '../../auth/index.ts';
import type { CatalogMirror } from '../../registry/catalog-mirror.ts';
import { FunctionNotFoundError } from '../../registry/registry-errors.ts';
import { TrainingNotFoundError, type Trainings } from '../../training/index.ts';
import type { AppEnv } from '../app-deps.ts';
import { auditAction } from '../audit-action.ts';
import { UnsupportedMediaTypeError, ValidationError } from '../errors.ts';
import { responseHeaders } from '../response-headers.ts';
import { FunctionNameParam, nameString, problems, versionString } from '../schemas.ts';
import { sinceMs } from '../since-time.ts';

/** Media types a dataset upload may declare: JSON Lines by its usual names. */
const DATASET_TYPES = ['application/x-ndjson', 'application/jsonl', 'application/json-lines', 'application/jsonlines'];

/** Whether a request is a dataset upload: the app leaves its body to the route, which streams it (its limit is `AUTOGLM_TRAINING_DATA_LIMIT`). */
export const isTrainingUpload = (method: string, path: string): boolean => method === 'POST' && /^\/v1\/functions\/[^/]+\/trainings$/.test(path);

const StartQuery = z.object({
  then: z.enum(['shadow', 'rollout', 'none']).default('none').openapi({ description: 'What to do with the new version when its primary metric is not worse than stable\'s: a shadow of stable (copies of calls, outputs compared), the function\'s metric-gated rollout, or nothing (record it) [none].' }),
  version: versionString().optional().openapi({ description: 'The version to retrain [stable, else the newest].' }),
  fromFeedback: z.enum(['true', 'false']).optional().openapi({ description: "Learn from the function's feedback records (`POST /v1/jobs/{id}/feedback`) instead of an uploaded body." }),
  since: z.string().max(40).optional().openapi({ description: 'With fromFeedback: records given from this time on (ISO 8601, or a duration back from now such as `30d`) [all kept].' }),
});

const IdParam = z.object({ id: z.string().max(64).openapi({ param: { name: 'id', in: 'path' }, example: 'trn-0193a1b2c3d4e5f60718' }) });

const Training = z
  .object({
    id: z.string(),
    function: z.string(),
    namespace: z.string(),
    version: z.string().openapi({ description: 'The version retrained.' }),
    status: z.enum(['queued', 'running', 'finishing', 'succeeded', 'rejected', 'failed', 'cancelled']),
    then: z.enum(['shadow', 'rollout', 'none']),
    primaryMetric: z.string().openapi({ description: "The manifest's `training.primaryMetric`: what the new version is judged by against stable." }),
    device: z.enum(['cpu', 'gpu']),
    dataset: z.object({ hash: z.string(), records: z.number(), bytes: z.number(), chunks: z.number(), source: z.enum(['upload', 'feedback']), heldOut: z.number() }),
    progress: z.record(z.string(), z.unknown()).optional().openapi({ description: 'The last progress `train` reported: epoch, epochs, step, steps, loss, metrics, message, at.' }),
    result: z.record(z.string(), z.unknown()).optional().openapi({ description: 'How it ended well: the new `version`, `metrics` and `baseline` on the held-out records, `verdict`, `deployed`, and `reason` when not deployed.' }),
    error: z.object({ code: z.string(), message: z.string(), retryable: z.boolean() }).passthrough().optional(),
    worker: z.string().optional(),
    attempt: z.number().optional(),
    cancel: z.object({ by: z.string(), at: z.string() }).optional(),
    createdAt: z.string(),
    createdBy: z.string(),
    startedAt: z.string().optional(),
    finishedAt: z.string().optional(),
  })
  .openapi('Training');

const sec = [{ bearer: [] }];
const body = (description: string) => ({ description, content: { 'application/json': { schema: Training } } });

const startRoute = createRoute({
  method: 'post',
  path: '/v1/functions/{name}/trainings',
  middleware: auditAction('training.start', 'function'),
  summary: 'Train a new version: upload a JSON Lines dataset (streamed, checked line by line, sealed), or learn from the feedback; answered 202 with the training to poll',
  security: sec,
  request: {
    params: FunctionNameParam,
    query: StartQuery,
    body: { content: { 'application/x-ndjson': { schema: z.string().openapi({ description: "One record a line, as the manifest's `training.record` describes." }) } }, required: false },
  },
  responses: { 202: { ...body('Queued; `Location` is the training'), headers: responseHeaders('Location') }, ...problems(400, 401, 403, 404, 409, 413, 415) },
});
const listRoute = createRoute({
  method: 'get',
  path: '/v1/functions/{name}/trainings',
  summary: "A function's trainings, newest first",
  security: sec,
  request: { params: FunctionNameParam },
  responses: { 200: { description: 'Trainings', content: { 'application/json': { schema: z.object({ items: z.array(Training) }) } } }, ...problems(401, 403, 404) },
});
const recentRoute = createRoute({
  method: 'get',
  path: '/v1/trainings',
  summary: 'Recent trainings of every function the caller may read (or of one), newest first',
  security: sec,
  request: { query: z.object({ function: nameString().optional().openapi({ description: 'Only this function’s.' }), limit: z.coerce.number().int().min(1).max(200).default(50).openapi({ description: 'At most this many [50].' }) }) },
  responses: { 200: { description: 'Trainings', content: { 'application/json': { schema: z.object({ items: z.array(Training) }) } } }, ...problems(400, 401, 403, 404) },
});
const getRoute = createRoute({ method: 'get', path: '/v1/trainings/{id}', summary: 'A training: status, progress, and the version it made', security: sec, request: { params: IdParam }, responses: { 200: body('The training'), ...problems(401, 403, 404) } });
const cancelRoute = createRoute({
  method: 'post',
  path: '/v1/trainings/{id}/cancel',
  middleware: auditAction('training.cancel'),
  summary: 'Stop a training: no version is made and its slot is freed',
  security: sec,
  request: { params: IdParam },
  responses: { 202: body('Cancelled, or stopping (`cancel` set; the status turns `cancelled` when its worker stopped it)'), ...problems(401, 403, 404, 409) },
});

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

function wire(v: TrainingView) {
  const { createdAt, startedAt, finishedAt, cancel, hash: _hash, ...rest } = v;
  return {
    ...rest,
    createdAt: iso(createdAt)!,
    ...(startedAt ? { startedAt: iso(startedAt) } : {}),
    ...(finishedAt ? { finishedAt: iso(finishedAt) } : {}),
    ...(cancel ? { cancel: { by: cancel.by, at: iso(cancel.at)! } } : {}),
  };
}

/** What the training routes need. */
export interface TrainingRouteDeps {
  functions: CatalogMirror;
  trainings: Trainings;
}

/** Trainings: start (upload or feedback), list, read, cancel. Starting and cancelling need `function.deploy` in the namespace. */
export function trainingRoutes(deps: TrainingRouteDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  const fn = (p: Principal, name: string, action: 'function.read' | 'function.deploy', where?: { field: string; in: 'query' }) => {
    const missing = () => new FunctionNotFoundError(name, where);
    const s = deps.functions.get(name);
    if (!s) throw missing();
    authorizeNamed(p, action, { namespace: s.namespace }, missing);
    return s;
  };
  const training = async (p: Principal, id: string, action: 'function.read' | 'function.deploy') => {
    const v = await deps.trainings.get(id);
    authorizeNamed(p, action, { namespace: v.namespace }, () => new TrainingNotFoundError(id));
    return v;
  };

  app.openapi(startRoute, async (c) => {
    const { name } = c.req.valid('param');
    const q = c.req.valid('query');
    const s = fn(c.var.principal, name, 'function.deploy');
    const fromFeedback = q.fromFeedback === 'true';
    if (q.since !== undefined && !fromFeedback) throw new ValidationError('since', 'applies only with fromFeedback=true', 'query');
    let source;
    if (fromFeedback) {
      source = { feedbackSince: q.since === undefined ? 0 : sinceMs(q.since) };
    } else {
      const type = c.req.header('content-type')?.split(';')[0]!.trim().toLowerCase();
      if (!type || !DATASET_TYPES.includes(type)) throw new UnsupportedMediaTypeError(type, 'application/x-ndjson (a JSON Lines dataset), or fromFeedback=true');
      const body = c.req.raw.body;
      if (!body) throw new ValidationError('body', 'the dataset is empty: send JSON Lines, one record a line');
      source = { upload: body as unknown as AsyncIterable<Uint8Array> };
    }
    const v = await deps.trainings.start(s, { ...(q.version ? { version: q.version } : {}), then: q.then, source, by: c.var.principal.sub });
    c.set('auditDetail', { function: name, version: v.version, detail: { training: v.id, then: v.then, records: v.dataset.records, bytes: v.dataset.bytes, dataset: v.dataset.hash.slice(0, 16) } });
    c.header('Location', `/v1/trainings/${v.id}`);
    return c.json(wire(v), 202);
  });

  app.openapi(listRoute, async (c) => {
    const { name } = c.req.valid('param');
    fn(c.var.principal, name, 'function.read');
    return c.json({ items: (await deps.trainings.list(name)).map(wire) }, 200);
  });

  app.openapi(recentRoute, async (c) => {
    const q = c.req.valid('query');
    const p = c.var.principal;
    // A role that reads no function anywhere (a pool's `worker` token) is refused, not shown an
    // empty list; a function named is checked as on the jobs listing (404 when unknown or unseen).
    authorize(p, 'function.read', { namespace: '*' });
    const readable = q.function !== undefined ? [fn(p, q.function, 'function.read', { field: 'function', in: 'query' })] : deps.functions.list().filter((s) => allowed(p, 'function.read', { namespace: s.namespace }));
    const all = (await Promise.all(readable.map((s) => deps.trainings.list(s.name, q.limit)))).flat();
    return c.json({ items: all.sort((a, b) => b.createdAt - a.createdAt).slice(0, q.limit).map(wire) }, 200);
  });

  app.openapi(getRoute, async (c) => c.json(wire(await training(c.var.principal, c.req.valid('param').id, 'function.read')), 200));

  app.openapi(cancelRoute, async (c) => {
    const { id } = c.req.valid('param');
    const before = await training(c.var.principal, id, 'function.deploy');
    const v = await deps.trainings.cancel(id, c.var.principal.sub);
    c.set('auditDetail', { function: before.function, version: before.version, detail: { training: id, status: v.status } });
    return c.json(wire(v), 202);
  });
  return app;
}
