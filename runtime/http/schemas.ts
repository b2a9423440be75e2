import { z } from '@hono/zod-openapi';
import { DEFAULT_PRIORITY, MAX_PRIORITY, MIN_PRIORITY } from '../../queue/jobs/index.ts';
import { PROBLEM_CODES, type ProblemCode } from '../../queue/problem-codes.ts';

const NAME = /^[a-z][a-z0-9-]{0,62}$/;

// The API's recurring string forms, each saying what it takes when it refuses a value.
/** A function, namespace or other name. */
export const nameString = () => z.string().regex(NAME, 'must be 1–63 lowercase letters, digits and dashes, starting with a letter');
/** A function version: the first 12 hex digits of its bundle's sha256. */
export const versionString = () => z.string().regex(/^[0-9a-f]{12}$/, 'must be a version: 12 hex digits');
/** A sha256 in hex; `anyCase`: upper-case digits too (a header a client computed). */
export const sha256String = (anyCase = false) => z.string().regex(anyCase ? /^[0-9a-fA-F]{64}$/ : /^[0-9a-f]{64}$/, 'must be a sha256: 64 hex digits');

/** Path parameter: a function name. */
export const FunctionNameParam = z.object({
  name: nameString().openapi({ param: { name: 'name', in: 'path' }, example: 'echo' }),
});

/** A function, optionally pinned to a version: `echo` or `echo@4f948aff2795`. */
export const FunctionTargetParam = z.object({
  name: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,62}(@[0-9a-f]{12})?$/, 'must be a function name, optionally with @version')
    .openapi({ param: { name: 'name', in: 'path' }, example: 'echo', description: '`name` or `name@version` to pin a version' }),
});

export const JobIdParam = z.object({
  id: z.string().min(1).max(128).openapi({ param: { name: 'id', in: 'path' }, example: 'echo.m3x9k2a1b4c5d6e7f8a9' }),
});

const input = z.unknown().openapi({ description: "The function's input, checked against its manifest's input schema.", example: { message: 'hello' } });

export const InvokeBody = z
  .object({
    input,
    timeoutMs: z.number().int().min(1).max(3_600_000).optional().openapi({ description: "Wait at most this long; capped at the function's timeout." }),
  })
  .strict()
  // `input` takes any value, so the generator thinks it optional; the server refuses a body without it.
  .openapi('InvokeRequest', { required: ['input'] });

/** Most inputs one bulk job may carry. */
export const MAX_BULK_INPUTS = 10_000;

export const SubmitBody = z
  .object({
    input: input.optional(),
    inputs: z
      .array(z.unknown())
      .min(1)
      .max(MAX_BULK_INPUTS)
      .optional()
      .openapi({
        description: `Bulk job: many inputs (up to ${MAX_BULK_INPUTS}) in one job, instead of \`input\`. Each is checked, run (in batches), retried and reported on its own; the job's \`items\` hold the outcomes in order, and item \`i\` is readable as \`<job id>.<i>\`.`,
        example: [{ message: 'a' }, { message: 'b' }],
      }),
    timeoutMs: z
      .number()
      .int()
      .min(1)
      .max(7 * 86_400_000)
      .optional()
      .openapi({ description: 'Deadline from now: the job is not started after it. Default: none.' }),
    // Its scheme is the callback guard's to refuse (CALLBACK_URL_REFUSED), with where it may post.
    callbackUrl: z
      .url()
      .max(2048)
      .optional()
      .openapi({
        description:
          'Receives a signed POST with the final job record. Refused with 400 `CALLBACK_URL_REFUSED`: a scheme other than http: and https:, loopback, link-local and unspecified addresses, also as what a name resolves to, and, when `AUTOGLM_CALLBACK_ALLOW` is set, what it does not list. Redirects are not followed.',
      }),
    priority: z
      .number()
      .int()
      .min(MIN_PRIORITY)
      .max(MAX_PRIORITY)
      .optional()
      .openapi({
        description: `Order among the function's queued async jobs: ${MIN_PRIORITY} runs first, ${MAX_PRIORITY} last, submission order within one. Default ${DEFAULT_PRIORITY}. Sync calls always go ahead of queued async jobs.`,
      }),
  })
  .strict()
  .refine((b) => (b.input === undefined) !== (b.inputs === undefined), { message: 'give exactly one of input (one call) or inputs (a bulk job)', path: ['input'] })
  // The refinement, as JSON Schema: a body with both matches both branches, and oneOf refuses it.
  .openapi('SubmitRequest', { oneOf: [{ required: ['input'] }, { required: ['inputs'] }] });

/** Which knowledge collection versions grounded a result. */
const KnowledgeUsed = z
  .record(z.string(), z.string())
  .openapi({ description: "The knowledge collections the function's load read, name → collection version (only when its manifest lists any): the text that grounded the output.", example: { 'store-policies': '3f9a1c07b2de' } });

export const Timings = z.object({ queuedMs: z.number(), runMs: z.number(), totalMs: z.number() });

export const InvokeResponse = z
  .object({
    id: z.string(),
    function: z.string(),
    version: z.string(),
    output: z.unknown(),
    device: z.string(),
    backend: z.string().optional().openapi({ description: 'TensorFlow.js backend: tensorflow (GPU), wasm or cpu' }),
    batchSize: z.number().int(),
    knowledge: KnowledgeUsed.optional(),
    timings: Timings,
  })
  .openapi('InvokeResponse');

/** A streamed call's answer (`Accept: text/event-stream`, see `routes/invoke-stream.ts`): text, not JSON. */
export const InvokeEvents = z.string().openapi({
  description:
    'Server-Sent Events as the function writes: `event: chunk` for each chunk it emits (`ctx.emit`; `data`: the chunk as JSON, a string chunk a JSON string), then one final event: `event: result` (`data`: the InvokeResponse body the same call answers without streaming, with `dropped`: n when a slow client missed chunks past 1 MiB) or `event: error` (`data`: the problem+json body). Errors found before the call is queued (a bad input, a quota) are ordinary problem answers, not a stream.',
  example: 'event: chunk\ndata: "Hello, "\n\nevent: result\ndata: {"id":"echo.mxdtkvqx31839b48a841","function":"echo","version":"ac47291a0f73","output":"Hello, world",…}\n\n',
});

export const Accepted = z
  .object({ id: z.string(), status: z.literal('queued').or(z.string()), statusUrl: z.string() })
  .openapi('JobAccepted');

const JobStatus = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']);
const JobError = z.object({ code: z.string(), message: z.string(), retryable: z.boolean() }).passthrough();

export const JobViewSchema = z
  .object({
    id: z.string(),
    function: z.string(),
    version: z.string(),
    namespace: z.string(),
    submittedBy: z.string().nullable().openapi({ description: 'The token subject that submitted it; null for a group of calls by several callers, whose items each name their own.' }),
    status: JobStatus,
    output: z.unknown().optional(),
    error: JobError.optional(),
    attempts: z.number().int(),
    maxAttempts: z.number().int(),
    priority: z.number().int().optional().openapi({ description: "An async job's priority (1 first); none for sync calls, which go ahead of all of them." }),
    timings: z.object({ queued: z.string(), started: z.string().optional(), finished: z.string().optional() }),
    device: z.string().optional(),
    backend: z.string().optional(),
    batchSize: z.number().int().optional(),
    knowledge: KnowledgeUsed.optional(),
    callback: z
      .object({
        url: z.string(),
        status: z.enum(['pending', 'delivered', 'failed']),
        attempts: z.number().int(),
        refused: z.string().optional().openapi({ description: 'Why the webhook was not sent at all (failed at once): a refused address at delivery time, or a redirect (never followed).' }),
      })
      .optional(),
    itemCount: z.number().int().optional().openapi({ description: 'A job with many inputs (bulk, or grouped calls): how many.' }),
    itemsFailed: z.number().int().optional(),
    items: z
      .array(
        z.object({
          id: z.string(),
          status: JobStatus,
          output: z.unknown().optional(),
          error: JobError.optional(),
          attempts: z.number().int(),
          submittedBy: z.string().optional().openapi({ description: 'Who made the call, in a group of calls by several callers.' }),
        }),
      )
      .optional()
      .openapi({ description: "Each input's outcome, in input order, once the job has ended." }),
    partOf: z.string().optional().openapi({ description: 'An item: the job it belongs to.' }),
  })
  .openapi('Job');

export const JobQuery = z.object({
  wait: z
    .string()
    .regex(/^\d+(ms|s|m)?$/, 'must be a duration such as 500ms, 30s or 1m')
    .optional()
    .openapi({ description: 'Long-poll: hold the request until the job ends or this long passes (max 60s), e.g. `30s`.' }),
});

export const JobListQuery = z.object({
  function: nameString().optional().openapi({ description: "Only this function's jobs [every function the caller may read]." }),
  namespace: nameString().optional().openapi({ description: 'Only the jobs of functions in this namespace.' }),
  status: z.enum(['queued', 'running', 'succeeded', 'failed']).optional().openapi({ description: 'Only jobs in this status (`failed`: the dead letters) [all].' }),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(400).optional().openapi({ description: 'The `next` of the page before: the page after it.' }),
});

export const JobListSchema = z
  .object({
    items: z.array(JobViewSchema),
    next: z.string().optional().openapi({ description: 'Pass as `cursor` for the next page; absent on the last one. A page may hold fewer than `limit` and still have a next.' }),
  })
  .openapi('JobList');

const catalogue = Object.entries(PROBLEM_CODES).map(([code, e]) => `- \`${code}\` (${e.status}${e.retryable ? ', retryable' : ''}): ${e.meaning}`);

/** A problem's `code`: one of the catalogue (`queue/problem-codes.ts`), or the code a function's own error chose. */
export const ProblemCodeSchema = z
  .union([
    z.enum(Object.keys(PROBLEM_CODES) as [ProblemCode, ...ProblemCode[]]).openapi({ description: `A platform code, with its status:\n${catalogue.join('\n')}` }),
    z.string().openapi({ description: "A code the function's own `FunctionError` chose (answered 500)." }),
  ])
  .openapi('ProblemCode');

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: ProblemCodeSchema,
    field: z.string().optional(),
    instance: z.string().optional(),
    traceId: z.string().optional(),
  })
  .passthrough()
  .openapi('Problem');

export const Traffic = z
  .object({
    stable: z.string().nullable(),
    routes: z.array(z.object({ version: z.string(), weight: z.number().int() })),
    shadow: z.object({ version: z.string(), percent: z.number().int() }).nullable(),
    history: z.array(z.string()),
    updatedAt: z.string(),
    updatedBy: z.string(),
  })
  .openapi('Traffic');

export const VersionSummary = z
  .object({
    version: z.string(),
    hash: z.string(),
    size: z.number().int(),
    createdAt: z.string(),
    createdBy: z.string(),
    description: z.string(),
    timeoutMs: z.number(),
    retries: z.number(),
    device: z.string(),
    batching: z.object({ maxSize: z.number(), maxDelay: z.number() }),
    env: z.record(z.string(), z.string()).openapi({ description: "the version's settings (`ctx.env`)" }),
    secrets: z.array(z.string()).openapi({ description: "names of the namespace's secrets it reads (`ctx.secrets`)" }),
    knowledge: z.array(z.string()).openapi({ description: "names of the namespace's knowledge collections it reads (`ctx.knowledge`)" }),
    traffic: z.number().int().openapi({ description: 'percent of calls this version serves' }),
    shadow: z.number().int().openapi({ description: 'percent of calls mirrored to it' }),
    running: z
      .object({
        workers: z.number().int(),
        ok: z.number().int(),
        failed: z.number().int(),
        batches: z.number().int(),
        meanBatchSize: z.number(),
        runP50Ms: z.number().optional(),
        runP95Ms: z.number().optional(),
        queueP50Ms: z.number().optional(),
        queueP95Ms: z.number().optional(),
      })
      .optional()
      .openapi({
        description:
          'What the live workers report of running it since they started: items by outcome, handler calls (batches) and items per call, p50/p95 of a call\'s length and of an item\'s wait before its call (ms, estimated from histogram buckets). Absent when no live worker has run it.',
      }),
    feedback: z
      .object({ count: z.number().int(), score: z.number().nullable() })
      .optional()
      .openapi({ description: "Feedback on its outputs (`POST /v1/jobs/{id}/feedback`): records, and their mean score 0..1 (share correct, mean score, or label agreement; null with none). Absent when the router keeps no feedback." }),
  })
  .openapi('Version');

export const FunctionSummary = z
  .object({
    name: z.string(),
    namespace: z.string(),
    description: z.string(),
    stable: z.string().nullable(),
    traffic: Traffic,
    versionCount: z.number().int(),
    inputSchema: z.record(z.string(), z.unknown()),
    createdAt: z.string(),
    rollout: z
      .object({ state: z.string(), version: z.string(), stable: z.string(), step: z.number(), steps: z.number(), reason: z.string().nullable() })
      .nullable()
      .openapi({ description: 'the latest rollout, in brief (the whole of it: `GET /v1/functions/{name}/rollout`); null when it never rolled out' }),
  })
  .openapi('Function');

export const FunctionDetail = FunctionSummary.extend({ versions: z.array(VersionSummary) }).openapi('FunctionDetail');

export const TrafficBody = z
  .object({
    routes: z.array(z.object({ version: z.string(), weight: z.number().int().min(0).max(100) })).min(1).optional(),
    shadow: z.object({ version: z.string(), percent: z.number().int().min(1).max(100) }).nullable().optional(),
  })
  .strict()
  .openapi('TrafficChange');

export const DeployQuery = z.object({
  namespace: nameString().optional().openapi({ description: "namespace of a new function (default: 'default'); an existing function keeps its own" }),
  promote: z.enum(['true', 'false']).optional().openapi({ description: 'false: record the version without traffic' }),
  canary: z.coerce.number().int().min(1).max(99).optional().openapi({ description: 'send this percent of calls to the new version' }),
  shadow: z.coerce.number().int().min(1).max(100).optional().openapi({ description: 'mirror this percent of calls to the new version' }),
  rollout: z.enum(['true', 'false']).optional().openapi({ description: "true: roll the version out under analysis (manifest `rollout` or defaults); false: don't, even if the manifest declares one. Absent: as the manifest declares" }),
  rolloutSteps: z.string().regex(/^\d{1,3}(,\d{1,3}){0,19}$/, 'percents separated by commas, e.g. 5,50,100').optional().openapi({ description: 'rollout steps, percent, rising' }),
  rolloutInterval: z.string().max(20).optional().openapi({ description: "length of a rollout's analysis window, e.g. 30s" }),
  rolloutMinCalls: z.coerce.number().int().min(1).optional().openapi({ description: "calls of the new version a window needs for a verdict" }),
  shadowFirst: z.coerce.number().int().min(1).max(100).optional().openapi({ description: 'a shadow step of this percent before the first canary step' }),
});

export const DeployResponse = z
  .object({
    name: z.string(),
    version: z.string(),
    hash: z.string(),
    created: z.boolean(),
    traffic: Traffic,
    check: z.object({ worker: z.string().openapi({ description: 'the worker that loaded it' }), device: z.string(), loadMs: z.number() }).optional(),
    rollout: z.object({ state: z.string(), step: z.number(), steps: z.array(z.number()), intervalMs: z.number() }).optional().openapi({ description: 'the rollout the deploy started: follow it at /v1/functions/{name}/rollout' }),
  })
  .openapi('DeployResult');

/** `?namespace=` of a route about something a namespace owns (a secret, a knowledge collection): `default` when not given. */
export const namespaceQuery = (description: string) =>
  z.object({ namespace: nameString().default('default').openapi({ description: `${description} [default]` }) });

/** Problem responses every authenticated route can give. */
export const problems = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((s) => [s, { description: `problem (${s})`, content: { 'application/problem+json': { schema: Problem } } }]),
  );

export const TraceSchema = z
  .object({
    jobId: z.string(),
    traceId: z.string().openapi({ description: 'W3C trace id: the same one an OTLP collector shows.' }),
    spans: z.array(
      z.object({
        spanId: z.string(),
        parentId: z.string().optional().openapi({ description: "The parent span's id; absent for a root. A parent not in the list is a caller's span." }),
        name: z.string().openapi({ example: 'execute echo' }),
        service: z.string().openapi({ example: 'autoglm-worker' }),
        start: z.number().openapi({ description: 'Epoch milliseconds (fractional).' }),
        durationMs: z.number(),
        status: z.enum(['unset', 'ok', 'error']),
        statusMessage: z.string().optional(),
        attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).openapi({ description: 'The span\'s `autoglm.*` attributes, without the prefix (job_id, device, batch_size…).' }),
      }),
    ),
  })
  .openapi('Trace');
