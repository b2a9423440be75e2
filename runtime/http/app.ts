import { OpenAPIHono } from '@hono/zod-openapi';
import { randomHex } from '../../queue/cluster/index.ts';
import { auditDenials } from '../audit/index.ts';
import { bearerAuth } from '../auth/index.ts';
import { RouterMetrics, Scraper } from '../metrics/index.ts';
import type { AppDeps, AppEnv } from './app-deps.ts';
import { allowedMethods } from './allowed-methods.ts';
import { MethodNotAllowedError, RouteNotFoundError } from './errors.ts';
import { auditTrail } from './audit-trail.ts';
import { declaredLengthLimit, jsonBody } from './json-body.ts';
import { completeDocument, type OpenApiDocument } from './openapi-common.ts';
import { problemResponse } from './problem.ts';
import { Problem } from './schemas.ts';
import { requestMetrics } from './request-metrics.ts';
import { validationHook } from './validation-hook.ts';
import { auditRoutes } from './routes/audit-routes.ts';
import { consoleLoginRoutes, isPublicConsoleRoute } from './routes/console-login-routes.ts';
import { consoleRoutes } from './routes/console-routes.ts';
import { mountQueueBoard } from './routes/queue-board-routes.ts';
import { functionRoutes } from './routes/function-routes.ts';
import { healthRoutes } from './routes/health-routes.ts';
import { invokeRoutes } from './routes/invoke-routes.ts';
import { jobRoutes } from './routes/job-routes.ts';
import { logRoutes } from './routes/log-routes.ts';
import { driftRoutes } from './routes/drift-routes.ts';
import { rolloutRoutes } from './routes/rollout-routes.ts';
import { callRoutes } from './routes/call-routes.ts';
import { feedbackRoutes } from './routes/feedback-routes.ts';
import { isKnowledgeUpload, knowledgeBodyLimit, knowledgeRoutes } from './routes/knowledge-routes.ts';
import { isTrainingUpload, trainingRoutes } from './routes/training-routes.ts';
import { metricsRoutes } from './routes/metrics-routes.ts';
import { secretRoutes } from './routes/secret-routes.ts';
import { tokenRoutes } from './routes/token-routes.ts';
import { webhookRoutes } from './routes/webhook-routes.ts';

const DOCUMENT_CONFIG = {
  openapi: '3.1.0',
  info: {
    title: 'Open-AutoGLM API',
    version: '1',
    description:
      'Invoke AI functions synchronously or as jobs. Errors are RFC 9457 problem+json. Every answer carries `X-Request-Id` and `X-Router`. Any other method at a documented path answers 405 `METHOD_NOT_ALLOWED` with `Allow` (`components.responses.MethodNotAllowed`).',
  },
};

/**
 * Builds the HTTP API. Pure assembly: every dependency comes in through `deps`, so tests drive it
 * with `app.request()` or a real server against a Redis of their own.
 */
export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const metrics = new RouterMetrics();
  const scraper = new Scraper({
    router: metrics,
    functionNames: () => deps.functions.list().map((s) => s.name),
    catalog: () => deps.functions.list(),
    ...(deps.driftCounts ? { drift: deps.driftCounts } : {}),
    ...(deps.auditLog ? { audit: () => deps.auditLog!.lastVerification } : {}),
    workers: deps.workers,
    ...(deps.queueStats ? { queues: deps.queueStats } : {}),
    ...(deps.feedback ? { feedback: deps.feedback.store } : {}),
    ...(deps.resultCache ? { resultCache: deps.resultCache } : {}),
  });

  // First, so it times everything after it, and sees the final status of every answer.
  const recorder = deps.callRollups?.recorder;
  app.use('*', requestMetrics(metrics, { isFunction: (name) => deps.functions.get(name) !== undefined, ...(recorder ? { onCall: (call) => recorder.record(call) } : {}) }));
  app.use('*', async function requestId(c, next) {
    const id = randomHex(8);
    c.set('requestId', id);
    // The id the audit record and a problem's `instance` carry, on every answer, so a client can
    // quote it for a call that succeeded too. Always the router's own: a caller's would let it
    // pick the id its audit records are found by.
    c.header('x-request-id', id);
    // Which router process answered: several share a port (AUTOGLM_ROUTER_PROCESSES), and a
    // scrape of /metrics or a /readyz through it reads one of them. Set before the route
    // answers, so it travels in the response's own headers.
    c.header('x-router', deps.routerId);
    // Never touch `c.res` before the route answers: Hono would then merge two responses, and
    // building the web Response that takes costs more than the rest of a call. Headers a route
    // sets before it fails reach its problem response through `problemResponse`.
    await next();
    // While draining, ask keep-alive clients to reconnect (to another router) so shutdown
    // does not wait out the grace period on connections that never go idle.
    if (deps.draining?.()) c.header('connection', 'close');
  });
  const jsonLimit = declaredLengthLimit(deps.bodyLimit);
  const json = jsonBody(deps.bodyLimit, deps.maxJsonDepth);
  // Knowledge collections are JSON too, but up to AUTOGLM_KNOWLEDGE_LIMIT: read with a limit of their own.
  const knowledgeLimit = deps.knowledge ? knowledgeBodyLimit(deps.knowledge.maxBytes) : deps.bodyLimit;
  const knowledgeJsonLimit = declaredLengthLimit(knowledgeLimit);
  const knowledgeJson = jsonBody(knowledgeLimit, deps.maxJsonDepth);
  // Bundle uploads (POST /v1/functions) are binary and have their own, larger limit.
  // So are training datasets (JSON Lines, streamed by their route within AUTOGLM_TRAINING_DATA_LIMIT).
  const isUpload = (method: string, path: string) => (method === 'POST' && path === '/v1/functions') || (deps.trainings !== undefined && isTrainingUpload(method, path));
  const isKnowledge = (method: string, path: string) => deps.knowledge !== undefined && isKnowledgeUpload(method, path);
  app.use('/v1/*', (c, next) => (isUpload(c.req.method, c.req.path) ? next() : isKnowledge(c.req.method, c.req.path) ? knowledgeJsonLimit(c, next) : jsonLimit(c, next)));
  if (deps.auditLog) app.use('/v1/*', auditDenials(deps.auditLog, deps.log));
  // The console's sign-in trades a one-time code for a token: the code is the credential there.
  app.use('/v1/*', bearerAuth(deps.verifier, { isPublic: isPublicConsoleRoute }));
  app.use('/v1/*', auditTrail(deps));
  app.use('/v1/*', (c, next) => (isUpload(c.req.method, c.req.path) ? next() : isKnowledge(c.req.method, c.req.path) ? knowledgeJson(c, next) : json(c, next)));
  if (!deps.metricsPublic) {
    if (deps.auditLog) app.use('/metrics', auditDenials(deps.auditLog, deps.log));
    app.use('/metrics', bearerAuth(deps.verifier));
  }

  // /readyz answers probes without a token; a token of admin or an all-namespace viewer sees the pools in detail.
  if (deps.auditLog) app.use('/readyz', auditDenials(deps.auditLog, deps.log));
  app.use('/readyz', bearerAuth(deps.verifier, { optional: true }));
  app.route('/', healthRoutes(deps));
  app.route('/', invokeRoutes(deps));
  app.route('/', jobRoutes(deps));
  app.route('/', functionRoutes(deps));
  app.route('/', logRoutes(deps));
  if (deps.driftCounts) app.route('/', driftRoutes({ functions: deps.functions, driftCounts: deps.driftCounts }));
  if (deps.rollouts) app.route('/', rolloutRoutes({ ...deps.rollouts, get: (name) => deps.registry.get(name) }));
  if (deps.callRollups) app.route('/', callRoutes({ functions: deps.functions, rollups: deps.callRollups.rollups }));
  if (deps.feedback) app.route('/', feedbackRoutes({ functions: deps.functions, jobs: deps.jobs, ...deps.feedback }));
  if (deps.trainings) app.route('/', trainingRoutes({ functions: deps.functions, trainings: deps.trainings }));
  app.route('/', secretRoutes(deps));
  if (deps.knowledge) app.route('/', knowledgeRoutes({ knowledge: deps.knowledge, auditLog: deps.auditLog, usersOf: (ns, name) => deps.functions.usersOf(ns, name, 'knowledge') }));
  app.route('/', tokenRoutes(deps));
  if (deps.webhookKeys) app.route('/', webhookRoutes({ webhookKeys: deps.webhookKeys, auditLog: deps.auditLog }));
  if (deps.auditLog) app.route('/', auditRoutes({ auditLog: deps.auditLog }));
  app.route('/', metricsRoutes(scraper, { public: deps.metricsPublic ?? false }));
  if (deps.queueBoard) mountQueueBoard(app, { ...deps.queueBoard, functions: deps.functions, verifier: deps.verifier, ...(deps.auditLog ? { auditLog: deps.auditLog } : {}), log: deps.log });
  if (deps.loginCodes) app.route('/', consoleLoginRoutes({ verifier: deps.verifier, ...deps.loginCodes }));
  app.route('/', consoleRoutes({ ...(deps.consoleOidc ? { oidc: deps.consoleOidc } : {}), ...(deps.idpClaims ? { idpClaims: deps.idpClaims } : {}) }));

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  // The common responses refer to it by name, whichever routes are on.
  app.openAPIRegistry.register('Problem', Problem);
  // Built on the first request, once every route is registered; routes do not change after.
  let document: OpenApiDocument | undefined;
  app.get('/openapi.json', function openApiDocument(c) {
    document ??= completeDocument(app.getOpenAPI31Document(DOCUMENT_CONFIG));
    return c.json(document);
  });

  // A path some route takes with other methods is a 405 naming them; any other, a 404.
  const allowedAt = allowedMethods(app.routes);
  app.notFound(function routeNotFound(c) {
    const allow = allowedAt(c.req.path);
    if (allow.length === 0) return problemResponse(c, new RouteNotFoundError(c.req.method, c.req.path));
    c.header('allow', allow.join(', '));
    return problemResponse(c, new MethodNotAllowedError(c.req.method, c.req.path, allow));
  });
  app.onError((err, c) => problemResponse(c, err, deps.log));
  return app;
}
