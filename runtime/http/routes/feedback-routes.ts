import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { JobExpiredError, JobNotFinishedError, JobNotFoundError, type JobReader, type JobView } from '../../../queue/jobs/index.ts';
import { decodeFeedbackCursor, encodeFeedbackCursor, feedbackScore, functionOfJobId, timeOfJobId, type Feedback, type FeedbackRecord, type FeedbackStore } from '../../../queue/cluster/index.ts';
import { allowed, authorize, authorizeNamed, type Principal } from '../../auth/index.ts';
import type { CatalogMirror } from '../../registry/catalog-mirror.ts';
import type { AppEnv } from '../app-deps.ts';
import { auditAction } from '../audit-action.ts';
import { ValidationError } from '../errors.ts';
import { FunctionNameParam, JobIdParam, problems, versionString } from '../schemas.ts';
import { sinceMs } from '../since-time.ts';
import { readableFunction } from './readable-function.ts';

/** Longest comment kept with a feedback record, characters. */
export const FEEDBACK_COMMENT_MAX = 2000;

const FeedbackBody = z
  .object({
    correct: z.boolean().optional().openapi({ description: 'Whether the output was right (score 1 or 0).' }),
    score: z.number().min(0).max(1).optional().openapi({ description: 'How good the output was, 0..1.' }),
    label: z.unknown().optional().openapi({ description: "The right answer (any JSON): it agrees (score 1) when it equals the part of the output the version's manifest names (`feedback.label`, a JSON Pointer), or the whole output." }),
    comment: z.string().max(FEEDBACK_COMMENT_MAX).optional(),
  })
  .strict()
  .openapi('FeedbackRequest', { description: 'Exactly one of `correct`, `score` or `label`, and an optional `comment`.' });

const FeedbackAnswer = z
  .object({
    jobId: z.string(),
    function: z.string(),
    version: z.string(),
    score: z.number().openapi({ description: "This record's score, 0..1." }),
    replaced: z.boolean().openapi({ description: "Whether it replaced the job's earlier feedback (one record per job)." }),
    by: z.string(),
    at: z.string(),
  })
  .openapi('FeedbackRecorded');

const ExportQuery = z.object({
  version: versionString().optional().openapi({ description: 'Only records of this version.' }),
  since: z.string().max(40).optional().openapi({ description: 'Records given from this time on: an ISO 8601 time, or a duration back from now (`7d`) [all kept].', example: '7d' }),
  cursor: z.string().max(400).optional().openapi({ description: "Where the previous page ended: its `X-Next-Cursor` header, as it came." }),
  limit: z.coerce.number().int().min(1).max(1000).default(500).openapi({ description: 'At most this many records [500].' }),
});

const ExportLine = z
  .object({
    jobId: z.string(),
    function: z.string(),
    version: z.string(),
    input: z.unknown().optional().openapi({ description: 'The job\'s input as it was; absent when it was no longer stored (a large input is dropped once its job succeeds).' }),
    output: z.unknown().openapi({ description: 'The output judged; for a failed job, its error (`{code, message, …}`).' }),
    failed: z.boolean(),
    feedback: z.object({ correct: z.boolean().optional(), score: z.number().optional(), label: z.unknown().optional(), comment: z.string().optional() }),
    score: z.number(),
    by: z.string(),
    at: z.string(),
  })
  .openapi('FeedbackExportLine');

const postRoute = createRoute({
  method: 'post',
  path: '/v1/jobs/{id}/feedback',
  middleware: auditAction('job.feedback', 'job'),
  summary: "Judge a job's output (or an item's: `<job>.<index>`): correct or not, a score, or the right answer. One record per job; a second replaces the first",
  security: [{ bearer: [] }],
  request: { params: JobIdParam, body: { content: { 'application/json': { schema: FeedbackBody } }, required: true } },
  responses: { 200: { description: 'Recorded', content: { 'application/json': { schema: FeedbackAnswer } } }, ...problems(400, 401, 403, 404, 409, 410) },
});

const exportRoute = createRoute({
  method: 'get',
  path: '/v1/functions/{name}/feedback',
  summary: "Export a function's feedback records as JSON Lines, oldest first, a page at a time: `X-Next-Cursor` is set while more follow",
  security: [{ bearer: [] }],
  request: { params: FunctionNameParam, query: ExportQuery },
  responses: {
    200: {
      description: 'One record a line (each a `FeedbackExportLine`); `X-Next-Cursor`, when set, is the `cursor` of the next page',
      headers: z.object({ 'X-Next-Cursor': z.string().optional().openapi({ description: 'Where the next page starts; absent on the last page.' }) }),
      content: { 'application/x-ndjson': { schema: z.string().openapi({ description: 'JSON Lines of FeedbackExportLine' }) } },
    },
    ...problems(400, 401, 403, 404),
  },
});

/** What the feedback routes need. */
export interface FeedbackDeps {
  functions: CatalogMirror;
  jobs: Pick<JobReader, 'get' | 'inputOf' | 'ownerOf'>;
  store: Pick<FeedbackStore, 'record' | 'page'>;
  /** `AUTOGLM_RESULT_TTL`: a job gone and made longer ago than this expired (410), else it never was (404). */
  resultTtlMs: number;
}

/** The one judgement of a body, or a 400 naming the field. */
function judgement(body: z.infer<typeof FeedbackBody>): Feedback {
  const given = (['correct', 'score', 'label'] as const).filter((k) => Object.hasOwn(body, k));
  if (given.length === 0) throw new ValidationError('correct', 'give one of `correct`, `score` or `label`');
  if (given.length > 1) throw new ValidationError(given[1]!, `give only one of ${given.map((k) => `\`${k}\``).join(', ')}`);
  const k = given[0]!;
  const comment = body.comment === undefined ? {} : { comment: body.comment };
  if (k === 'correct') return { correct: body.correct!, ...comment };
  if (k === 'score') return { score: body.score!, ...comment };
  return { label: body.label, ...comment };
}

/** A record as an export line: times in ISO 8601. */
const lineOf = (r: FeedbackRecord): string =>
  JSON.stringify({ jobId: r.jobId, function: r.function, version: r.version, ...(r.input === undefined ? {} : { input: r.input }), output: r.output, failed: r.failed, feedback: r.feedback, score: r.score, by: r.by, at: new Date(r.at).toISOString() });

/** `POST /v1/jobs/{id}/feedback` and `GET /v1/functions/{name}/feedback`. */
export function feedbackRoutes(deps: FeedbackDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  app.openAPIRegistry.register('FeedbackExportLine', ExportLine);

  /**
   * The job, as `GET /v1/jobs/{id}` reads it. Gone: 410 when it was made longer ago than the
   * shortest retention and names a function the caller may read (so it existed and expired as
   * far as an id can tell), else 404.
   */
  const judged = async (id: string, p: Principal): Promise<JobView> => {
    let view: JobView;
    try {
      view = await deps.jobs.get(id);
    } catch (err) {
      if (err instanceof JobNotFoundError && (await expired(id, p))) throw new JobExpiredError(id);
      throw err;
    }
    authorizeNamed(p, 'job.read', { namespace: view.namespace, owner: view.submittedBy }, () => new JobNotFoundError(id));
    return view;
  };
  const expired = async (id: string, p: Principal): Promise<boolean> => {
    const fn = functionOfJobId(id);
    const made = timeOfJobId(id);
    const s = fn === undefined ? undefined : deps.functions.get(fn);
    if (!s || made === undefined || !allowed(p, 'job.read', { namespace: s.namespace })) return false;
    // An item id whose job is still kept names an item that never was.
    return made < Date.now() - deps.resultTtlMs && (await deps.jobs.ownerOf(id)) === undefined;
  };

  app.openapi(postRoute, async (c) => {
    const { id } = c.req.valid('param');
    const feedback = judgement(c.req.valid('json'));
    const p = c.var.principal;
    const view = await judged(id, p);
    if (view.status !== 'succeeded' && view.status !== 'failed') throw new JobNotFinishedError(id, view.status);
    if (view.itemCount !== undefined && !view.partOf) {
      throw new ValidationError('id', `job '${id}' carries ${view.itemCount} inputs: give feedback on each item (\`${id}.<index>\`)`, 'path');
    }
    const failed = view.status === 'failed';
    const output = failed ? view.error : view.output;
    const pointer = deps.functions.get(view.function)?.versions[view.version]?.manifest.feedback?.label;
    const at = Date.now();
    const record: FeedbackRecord = {
      jobId: id,
      function: view.function,
      version: view.version,
      namespace: view.namespace,
      ...(await deps.jobs.inputOf(id)),
      output,
      failed,
      feedback,
      score: feedbackScore(feedback, output, pointer),
      by: p.sub,
      at,
    };
    const { replaced } = await deps.store.record(record);
    c.set('auditDetail', { function: view.function, detail: { version: view.version, score: record.score, replaced } });
    return c.json({ jobId: id, function: view.function, version: view.version, score: record.score, replaced, by: p.sub, at: new Date(at).toISOString() }, 200);
  });

  // Records carry every caller's inputs and outputs: only roles that read all of the namespace's jobs export them.
  app.openapi(exportRoute, async (c) => {
    const { name } = c.req.valid('param');
    const q = c.req.valid('query');
    const s = readableFunction(deps.functions, name, c.var.principal);
    authorize(c.var.principal, 'job.read', { namespace: s.namespace, owner: null });
    const after = q.cursor === undefined ? undefined : decodeFeedbackCursor(q.cursor);
    if (q.cursor !== undefined && !after) throw new ValidationError('cursor', "not a cursor this API handed out: pass the previous page's X-Next-Cursor as it came", 'query');
    const page = await deps.store.page(name, { sinceMs: q.since === undefined ? 0 : sinceMs(q.since), limit: q.limit, ...(q.version ? { version: q.version } : {}), ...(after ? { after } : {}) });
    const headers: Record<string, string> = { 'content-type': 'application/x-ndjson; charset=utf-8' };
    if (page.next) headers['x-next-cursor'] = encodeFeedbackCursor(page.next);
    // Names are global: records left by an earlier function of this name in another namespace are not this one's.
    const lines = page.items.filter((r) => r.namespace === s.namespace).map((r) => `${lineOf(r)}\n`);
    // The route's types take any `…json` media type for JSON, so a JSON Lines body needs the cast.
    return c.body(lines.join(''), 200, headers) as never;
  });

  return app;
}
