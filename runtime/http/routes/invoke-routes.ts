import { createHash } from 'node:crypto';
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { SpanKind, SpanStatusCode, ROOT_CONTEXT, context, propagation, trace, type Span } from '@opentelemetry/api';
import type { Context } from 'hono';
import { AutoglmError, fromErrorRecord, toErrorRecord } from '../../../functions/sdk/index.ts';
import { DEFAULT_PRIORITY, JobFailedError, queueError, type DoneMessage, type PendingCall, type SubmitRequest } from '../../../queue/jobs/index.ts';
import { canonicalJson } from '../../audit/index.ts';
import { authorize, authorizeNamed } from '../../auth/index.ts';
import type { Resolved } from '../../registry/catalog-mirror.ts';
import { FunctionNotFoundError } from '../../registry/registry-errors.ts';
import { CallbackGuard } from '../../webhooks/index.ts';
import type { AppDeps, AppEnv } from '../app-deps.ts';
import { auditAction } from '../audit-action.ts';
import { answerBody, cachedAnswer, keepAnswer, lookupCached } from '../cached-call.ts';
import { TimedOutWaitingError, UnavailableError } from '../errors.ts';
import { jsonMember } from '../json-member.ts';
import { namedHeaders } from '../named-headers.ts';
import { streamAnswer, wantsEvents } from './invoke-stream.ts';
import { responseHeaders } from '../response-headers.ts';
import { Accepted, FunctionTargetParam, InvokeBody, InvokeEvents, InvokeResponse, SubmitBody, problems } from '../schemas.ts';
import { NAMESPACE_ATTRIBUTE, itemId, newJobId } from '../../../queue/cluster/index.ts';

const tracer = trace.getTracer('autoglm-router');

/** A job submission's body, as validated. */
type SubmitRequestBody = z.infer<typeof SubmitBody>;

const RoutingKey = z.string().max(256).optional().openapi({ description: 'callers with the same key stay on the same version' });
const InvokeHeaders = z.object({ 'x-routing-key': RoutingKey });
const SubmitHeaders = z.object({ 'idempotency-key': z.string().min(1).max(255).optional(), 'x-routing-key': RoutingKey });

/** Problems of a call that ran: they keep the headers already chosen, naming its job, version and trace. */
const ranAndFailed = Object.fromEntries(
  Object.entries(problems(422, 500, 503, 504)).map(([status, r]) => [status, { ...r, headers: responseHeaders('X-Job-Id', 'X-Function-Version', 'traceparent') }]),
);

// The headers are read with `namedHeaders` (cheaper than Hono's validator); the document still lists them (`documented`).
const invokeRoute = createRoute({
  method: 'post',
  path: '/v1/functions/{name}/invoke',
  middleware: auditAction('invoke', 'function-target'),
  summary: 'Invoke a function and wait for its output',
  security: [{ bearer: [] }],
  request: { params: FunctionTargetParam, body: { content: { 'application/json': { schema: InvokeBody } }, required: true } },
  responses: {
    200: {
      description: 'The output; with `Accept: text/event-stream`, Server-Sent Events ending with it.',
      headers: responseHeaders('X-Job-Id', 'X-Function-Version', 'traceparent', 'X-Cache'),
      content: { 'application/json': { schema: InvokeResponse }, 'text/event-stream': { schema: InvokeEvents } },
    },
    ...problems(400, 401, 403, 404, 413, 415, 429),
    ...ranAndFailed,
  },
});

const submitRoute = createRoute({
  method: 'post',
  path: '/v1/functions/{name}/jobs',
  operationId: 'submitJob',
  middleware: auditAction('job.submit', 'function-target'),
  summary: 'Submit an asynchronous job',
  security: [{ bearer: [] }],
  request: { params: FunctionTargetParam, body: { content: { 'application/json': { schema: SubmitBody } }, required: true } },
  responses: {
    202: {
      description: 'Accepted. `Location` points at the job.',
      headers: responseHeaders('Location', 'X-Job-Id', 'X-Function-Version', 'traceparent', 'Idempotent-Replayed'),
      content: { 'application/json': { schema: Accepted } },
    },
    ...problems(400, 401, 403, 404, 409, 413, 415, 429, 503),
  },
});

/** Starts the server span for an invocation, continuing the caller's trace when it sent one. */
function startSpan(c: Context<AppEnv>, rec: Resolved['rec'], kind: 'sync' | 'async'): { span: Span; traceparent?: string; tracestate?: string } {
  const parent = propagation.extract(ROOT_CONTEXT, { traceparent: c.req.header('traceparent'), tracestate: c.req.header('tracestate') });
  const attributes = { [NAMESPACE_ATTRIBUTE]: rec.namespace, 'autoglm.function': rec.name, 'autoglm.version': rec.version, 'autoglm.mode': kind };
  const span = tracer.startSpan(`invoke ${rec.name}`, { kind: SpanKind.SERVER, attributes }, parent);
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(context.active(), span), carrier);
  c.set('traceId', span.spanContext().traceId);
  if (carrier.traceparent) c.header('traceparent', carrier.traceparent);
  return { span, ...(carrier.traceparent ? { traceparent: carrier.traceparent } : {}), ...(carrier.tracestate ? { tracestate: carrier.tracestate } : {}) };
}

/**
 * Picks the version this call runs (pinned, or by traffic) and checks the caller may invoke it.
 * Another namespace's function is as missing, before anything about its versions is said.
 */
function resolveFunction(deps: AppDeps, c: Context<AppEnv>, target: string, routingKey: string | undefined): Resolved {
  if (deps.draining?.()) throw new UnavailableError('the router is shutting down; retry on another instance');
  const name = target.split('@', 1)[0]!;
  const state = deps.functions.get(name);
  if (state) authorizeNamed(c.var.principal, 'invoke', { namespace: state.namespace, function: name }, () => new FunctionNotFoundError(name));
  const r = deps.functions.resolve(target, routingKey);
  authorize(c.var.principal, 'invoke', { namespace: r.rec.namespace, function: r.rec.name });
  return r;
}

/** The bytes the client sent `key` as: sealed as they are, not serialized again (see {@link jsonMember}). */
function sentJson(c: Context<AppEnv>, key: 'input' | 'inputs'): Uint8Array | undefined {
  const body = c.var.bodyBytes;
  return body && jsonMember(body, key, c.var.bodyMembers === 1);
}

/** `route` as the OpenAPI document shows it: with the headers its handler reads by name, without its middleware (not a document field). */
function documented<R extends typeof invokeRoute | typeof submitRoute>({ middleware: _, ...route }: R, headers: z.ZodObject): Omit<R, 'middleware'> {
  return { ...route, request: { ...route.request, headers } };
}

/** Checks each input the body carries (`input`, or every one of a bulk job's `inputs`) against the version's schema. */
function checkInputs(deps: AppDeps, rec: Resolved['rec'], body: SubmitRequestBody): void {
  if (body.inputs) body.inputs.forEach((input, i) => deps.validator.check(rec, input, `inputs[${i}]`));
  else deps.validator.check(rec, body.input);
}

/**
 * The outcome of a synchronous call, once its span is ended: the result, or the error the client
 * gets (its deadline passed: 504; the job failed: the job's error, naming the job).
 */
function syncResult(deps: AppDeps, msg: DoneMessage | undefined, span: Span, id: string, waitMs: number): NonNullable<DoneMessage['result']> {
  span.setAttribute('autoglm.job_id', id);
  if (!msg) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'deadline' }).end();
    // Nobody will read the result: drop the job if no worker has taken it yet (an item of a
    // group cannot be dropped alone, cancel refuses it; its deadline keeps a worker from starting it).
    deps.jobs.cancel(id).catch(() => undefined);
    throw new TimedOutWaitingError(id, waitMs);
  }
  if (!msg.ok || !msg.result) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: msg.error?.code ?? 'failed' }).end();
    const rec = msg.error ?? toErrorRecord(new JobFailedError());
    throw fromErrorRecord({ ...rec, extra: { ...rec.extra, jobId: id } });
  }
  span.end();
  return msg.result;
}

/** The body of a synchronous call's answer: the output, where it ran, and how long each part took. */
function invokeAnswer(id: string, name: string, r: NonNullable<DoneMessage['result']>, received: number) {
  return answerBody(id, name, r, { queuedMs: r.timings.started - received, runMs: r.timings.finished - r.timings.started, totalMs: Date.now() - received });
}

/** What an async job is submitted as, from the request body and what the router worked out. */
function jobRequest(
  rec: Resolved['rec'],
  body: SubmitRequestBody,
  job: { inputJson: Uint8Array | undefined; by: string; deadline: number | null; trace: { traceparent?: string; tracestate?: string }; idempotencyKey: string | undefined },
): SubmitRequest {
  return {
    rec,
    input: body.input,
    ...(body.inputs ? { items: body.inputs.map((input) => ({ input, deadline: job.deadline })) } : {}),
    inputJson: job.inputJson,
    ns: rec.namespace,
    by: job.by,
    deadline: job.deadline,
    ...job.trace,
    ...(body.callbackUrl ? { callbackUrl: body.callbackUrl } : {}),
    ...(body.priority ? { priority: body.priority } : {}),
    ...(job.idempotencyKey ? { idempotencyKey: job.idempotencyKey, bodyHash: hashBody(body) } : {}),
  };
}

/** `POST /v1/functions/{name}/invoke` (synchronous) and `POST /v1/functions/{name}/jobs` (asynchronous). */
export function invokeRoutes(deps: AppDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  const callbackGuard = deps.callbackGuard ?? new CallbackGuard();

  app.openAPIRegistry.registerPath(documented(invokeRoute, InvokeHeaders));
  app.openapi({ ...invokeRoute, hide: true }, async (c) => {
    const received = Date.now();
    const body = c.req.valid('json');
    const { rec, shadow } = resolveFunction(deps, c, c.req.valid('param').name, namedHeaders(c, InvokeHeaders)['x-routing-key']);
    deps.validator.check(rec, body.input);
    c.header('x-function-version', rec.version);
    const waitMs = Math.min(body.timeoutMs ?? rec.manifest.timeout, rec.manifest.timeout);
    const deadline = received + waitMs;
    const cache = await lookupCached(deps, c, rec, body.input);
    const { span, ...trace } = startSpan(c, rec, 'sync');
    const streaming = deps.chunks !== undefined && wantsEvents(c.req.header('accept'));
    if (cache?.hit) {
      // Answered as the call that computed it did, without the queue: same job id, same output.
      span.setAttributes({ 'autoglm.job_id': cache.hit.job, 'autoglm.cache': 'hit' }).end();
      c.header('x-job-id', cache.hit.job);
      const kept = cachedAnswer(cache.hit, rec.name, received);
      // A kept answer has no chunks: a caller that streams gets the final event alone.
      if (streaming) return streamAnswer(c, { id: cache.hit.job, answer: Promise.resolve(kept), abandon: () => undefined, log: deps.log });
      return c.json(kept, 200);
    }
    const inputJson = sentJson(c, 'input');
    let pending: PendingCall;
    try {
      // Concurrent calls ride the queue together; each keeps its own id, deadline and outcome.
      pending = await deps.calls.call({ rec, input: body.input, inputJson, ns: rec.namespace, by: c.var.principal.sub, deadline, ...trace, ...(streaming ? { stream: true } : {}) });
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR }).end();
      throw err;
    }
    const { id, done: waiting } = pending;
    c.header('x-job-id', id);
    const submitted = Date.now();
    const primary = waiting.then((msg) => ({ msg, ms: Date.now() - submitted }));
    if (shadow) deps.shadow.mirror(shadow, { input: body.input, ...(inputJson ? { inputJson } : {}), by: c.var.principal.sub, deadline }, primary);
    if (streaming) {
      const answer = waiting.then((msg) => {
        const r = syncResult(deps, msg, span, id, waitMs);
        if (cache) keepAnswer(deps, rec, cache, id, r);
        return invokeAnswer(id, rec.name, r, received);
      });
      // A call nobody reads any more is cancelled: dropped if queued, stopped at its next chunk if running.
      return streamAnswer(c, { reader: deps.chunks!, id, answer, abandon: () => void deps.jobs.cancel(id).catch(() => undefined), log: deps.log });
    }
    const r = syncResult(deps, await waiting, span, id, waitMs);
    c.header('x-function-version', r.version);
    if (cache) keepAnswer(deps, rec, cache, id, r);
    return c.json(invokeAnswer(id, rec.name, r, received), 200);
  });

  app.openAPIRegistry.registerPath(documented(submitRoute, SubmitHeaders));
  app.openapi({ ...submitRoute, hide: true }, async (c) => {
    const body = c.req.valid('json');
    const headers = namedHeaders(c, SubmitHeaders);
    const { rec, shadow } = resolveFunction(deps, c, c.req.valid('param').name, headers['x-routing-key']);
    checkInputs(deps, rec, body);
    // Refused here, where the caller can fix it, rather than failing unseen at delivery.
    if (body.callbackUrl) await callbackGuard.check(body.callbackUrl);
    const { span, ...trace } = startSpan(c, rec, 'async');
    const inputJson = sentJson(c, body.inputs ? 'inputs' : 'input');
    const newId = newJobId(rec.name);
    // Limits count inputs: a bulk job takes a slot (and a rate token) per item.
    const slots = body.inputs ? body.inputs.map((_, i) => itemId(newId, i)) : [newId];
    try {
      // A Redis that is away (a failover) is a 503, as for the submission itself.
      await deps.limiter.admit(rec.namespace, slots, body.timeoutMs).catch((err: unknown) => {
        throw err instanceof AutoglmError ? err : queueError(err);
      });
      const deadline = body.timeoutMs ? Date.now() + body.timeoutMs : null;
      const by = c.var.principal.sub;
      const { id, created } = await deps.submitter.submit(jobRequest(rec, body, { inputJson, by, deadline, trace, idempotencyKey: headers['idempotency-key'] }), newId);
      // An idempotent replay found the earlier job: the new slot was never used.
      if (!created) void deps.limiter.release(rec.namespace, slots).catch(() => undefined);
      span.setAttribute('autoglm.job_id', id).end();
      const statusUrl = `/v1/jobs/${id}`;
      c.header('location', statusUrl);
      c.header('x-job-id', id);
      c.header('x-function-version', rec.version);
      if (!created) c.header('idempotent-replayed', 'true');
      // Metrics count a bulk job's inputs; a replay accepted nothing new.
      c.set('inputCount', created ? (body.inputs?.length ?? 1) : 0);
      if (shadow && created) {
        // A bulk job's inputs each as a call of its own, compared with its item's outcome.
        const copies = body.inputs ? body.inputs.map((input, i) => ({ input, outcomeOf: itemId(id, i) })) : [{ input: body.input, ...(inputJson ? { inputJson } : {}), outcomeOf: id }];
        mirrorAsync(deps, shadow, id, copies, { by, deadline, priority: body.priority ?? DEFAULT_PRIORITY });
      }
      return c.json({ id, status: 'queued', statusUrl }, 202);
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR }).end();
      void deps.limiter.release(rec.namespace, slots).catch(() => undefined);
      throw err;
    }
  });

  return app;
}

/** Longest the router watches an async job for its shadow comparison; later ones go unsampled. */
const SHADOW_ASYNC_WATCH_MS = 10 * 60_000;

/**
 * Mirrors an async job to the shadow candidate: the copies run now, queued as the job is (its
 * priority), and each is compared with the outcome it copies (`outcomeOf`: the job, or an item of
 * a bulk job) once the job ends; async jobs announce only their id, so that record is read.
 */
function mirrorAsync(deps: AppDeps, shadow: Resolved['rec'], id: string, copies: { input: unknown; inputJson?: Uint8Array; outcomeOf: string }[], job: { by: string; deadline: number | null; priority: number }): void {
  const until = Math.min(job.deadline ?? Infinity, Date.now() + SHADOW_ASYNC_WATCH_MS);
  const submitted = Date.now();
  const ended = deps.results.wait(id, until);
  for (const { input, inputJson, outcomeOf } of copies) {
    const primary = ended.then(async (msg) => ({ msg: msg && (await deps.jobs.check(outcomeOf)), ms: Date.now() - submitted }));
    deps.shadow.mirror(shadow, { input, ...(inputJson ? { inputJson } : {}), by: job.by, deadline: until, priority: job.priority }, primary);
  }
}

/** Hash of the request body as parsed (key order normalised), to tell a retry from a different request. */
function hashBody(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}
