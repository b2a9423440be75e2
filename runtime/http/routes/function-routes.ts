import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { stagesOf, versionRunStats, type FeedbackFigures, type FunctionState, type TrafficTable, type VersionRecord, type VersionRunStats } from '../../../queue/cluster/index.ts';
import { allowed, authorize, authorizeNamed } from '../../auth/index.ts';
import { ArtifactNotFoundError, FunctionNotFoundError } from '../../registry/registry-errors.ts';
import type { DeployMode } from '../../registry/traffic.ts';
import { InvalidRolloutError, type RolloutOverrides } from '../../rollouts/index.ts';
import { parseDuration } from '../../../functions/sdk/index.ts';
import type { AppDeps, AppEnv } from '../app-deps.ts';
import { auditAction } from '../audit-action.ts';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../errors.ts';
import { responseHeaders } from '../response-headers.ts';
import { DeployQuery, DeployResponse, FunctionDetail, FunctionNameParam, FunctionSummary, Traffic, TrafficBody, VersionSummary, problems, sha256String, versionString } from '../schemas.ts';

const sec = [{ bearer: [] }];
const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });

const deployRoute = createRoute({
  method: 'post',
  path: '/v1/functions',
  operationId: 'deployFunction',
  middleware: auditAction('function.deploy'),
  summary: 'Deploy a bundle (built by `autoglm build`) as a new immutable version',
  security: sec,
  request: {
    query: DeployQuery,
    headers: z.object({ 'x-bundle-sha256': sha256String(true).optional().openapi({ description: 'sha256 of the body; refused if it differs' }) }),
    body: { content: { 'application/gzip': { schema: z.string().openapi({ format: 'binary' }) } }, required: true },
  },
  responses: {
    201: { ...json(DeployResponse, 'Deployed (or already deployed: `created` false)'), headers: responseHeaders('X-Function-Version') },
    ...problems(400, 401, 403, 413, 415, 422, 503),
  },
});
const listRoute = createRoute({ method: 'get', path: '/v1/functions', summary: 'List functions', security: sec, responses: { 200: json(z.object({ items: z.array(FunctionSummary) }), 'Functions'), ...problems(401, 403) } });
const getRoute = createRoute({ method: 'get', path: '/v1/functions/{name}', summary: 'Describe a function: versions and traffic', security: sec, request: { params: FunctionNameParam }, responses: { 200: json(FunctionDetail, 'The function'), ...problems(401, 403, 404) } });
const versionsRoute = createRoute({ method: 'get', path: '/v1/functions/{name}/versions', summary: "List a function's versions, newest first", security: sec, request: { params: FunctionNameParam }, responses: { 200: json(z.object({ items: z.array(VersionSummary) }), 'Versions'), ...problems(401, 403, 404) } });
const deleteRoute = createRoute({
  method: 'delete',
  path: '/v1/functions/{name}',
  middleware: auditAction('function.remove', 'function'),
  summary: 'Remove a function (refused while it has jobs unless force=true, which cancels queued ones)',
  security: sec,
  request: { params: FunctionNameParam, query: z.object({ force: z.enum(['true', 'false']).optional() }) },
  responses: { 204: { description: 'Removed' }, ...problems(401, 403, 404, 409) },
});
const trafficRoute = createRoute({
  method: 'put',
  path: '/v1/functions/{name}/traffic',
  middleware: auditAction('traffic.change', 'function'),
  summary: 'Set version weights and/or the shadow candidate',
  security: sec,
  request: { params: FunctionNameParam, body: { content: { 'application/json': { schema: TrafficBody } }, required: true } },
  responses: { 200: json(Traffic, 'The new traffic table'), ...problems(400, 401, 403, 404) },
});
const promoteRoute = createRoute({
  method: 'post',
  path: '/v1/functions/{name}/promote',
  middleware: auditAction('traffic.promote', 'function'),
  summary: 'Send all traffic to one version',
  security: sec,
  request: { params: FunctionNameParam, body: { content: { 'application/json': { schema: z.object({ version: z.string() }).strict() } }, required: true } },
  responses: { 200: json(Traffic, 'The new traffic table'), ...problems(400, 401, 403, 404) },
});
const rollbackRoute = createRoute({
  method: 'post',
  path: '/v1/functions/{name}/rollback',
  middleware: auditAction('traffic.rollback', 'function'),
  summary: 'Return all traffic to the stable version (dropping a canary or shadow), or to the previous stable one',
  security: sec,
  request: { params: FunctionNameParam },
  responses: { 200: json(Traffic, 'The new traffic table'), ...problems(400, 401, 403, 404) },
});
const shadowRoute = createRoute({
  method: 'get',
  path: '/v1/functions/{name}/shadow',
  summary: 'Shadow report: agreement of the candidate with the serving version, and both latencies',
  security: sec,
  request: { params: FunctionNameParam, query: z.object({ version: versionString().optional().openapi({ description: 'candidate, a version of the function (default: the current shadow)' }) }) },
  responses: {
    200: json(
      z.object({
        function: z.string(),
        serving: z.string().nullable(),
        shadow: z.object({ version: z.string(), percent: z.number() }).nullable(),
        report: z
          .object({
            candidate: z.string(),
            samples: z.number(),
            agreed: z.number(),
            agreement: z.number().nullable(),
            servingErrors: z.number(),
            shadowErrors: z.number(),
            latencyMs: z.object({ serving: z.object({ p50: z.number().nullable(), p95: z.number().nullable() }), shadow: z.object({ p50: z.number().nullable(), p95: z.number().nullable() }) }),
          })
          .nullable(),
      }),
      'The report',
    ),
    ...problems(401, 403, 404),
  },
});
const artifactRoute = createRoute({
  method: 'get',
  path: '/v1/artifacts/{hash}',
  summary: 'Download a bundle by sha256 (used by pool nodes that do not share the artifact directory)',
  security: sec,
  request: { params: z.object({ hash: sha256String() }) },
  responses: { 200: { description: 'The bundle', content: { 'application/gzip': { schema: z.string().openapi({ format: 'binary' }) } } }, ...problems(401, 403, 404) },
});

const iso = (ms: number) => new Date(ms).toISOString();

/** How the deploy's query says the version enters traffic: at most one of canary, shadow, promote=false, a rollout. */
function deployMode(q: z.infer<typeof DeployQuery>): DeployMode {
  const overrides: RolloutOverrides = {};
  if (q.rolloutSteps) overrides.steps = q.rolloutSteps.split(',').map(Number);
  if (q.rolloutInterval !== undefined) {
    const ms = parseDuration(q.rolloutInterval);
    if (ms === undefined) throw new InvalidRolloutError('rolloutInterval', `not a duration: ${JSON.stringify(q.rolloutInterval)} (use e.g. 30s, 5m)`);
    overrides.interval = ms;
  }
  if (q.rolloutMinCalls !== undefined) overrides.minCalls = q.rolloutMinCalls;
  if (q.shadowFirst !== undefined) overrides.shadowFirst = q.shadowFirst;
  const rollout = q.rollout === 'true' || Object.keys(overrides).length > 0;
  if (rollout && q.rollout === 'false') throw new ValidationError('rollout', 'rollout=false with rollout settings');
  const chosen = [q.canary && 'canary', q.shadow && 'shadow', q.promote === 'false' && 'promote=false', rollout && 'a rollout'].filter(Boolean);
  if (chosen.length > 1) throw new ValidationError(rollout ? 'rollout' : 'canary', `choose one of canary, shadow, promote=false, rollout (got ${chosen.join(' and ')})`);
  if (rollout) return { kind: 'rollout', overrides };
  if (q.canary) return { kind: 'canary', percent: q.canary };
  if (q.shadow) return { kind: 'shadow', percent: q.shadow };
  if (q.promote === 'false') return { kind: 'none' };
  if (q.promote === 'true' || q.rollout === 'false') return { kind: 'promote' };
  return { kind: 'rollout', overrides, ifDeclared: true };
}
const trafficView = (t: TrafficTable) => ({ ...t, updatedAt: iso(t.updatedAt) });

function versionView(s: FunctionState, v: VersionRecord, running?: VersionRunStats, feedback?: FeedbackFigures) {
  const m = v.manifest;
  return {
    version: v.version,
    hash: v.hash,
    size: v.size,
    createdAt: iso(v.createdAt),
    createdBy: v.createdBy,
    description: m.description,
    timeoutMs: m.timeout,
    retries: m.retries,
    device: m.device,
    batching: m.batching,
    env: m.env ?? {},
    secrets: m.secrets ?? [],
    knowledge: m.knowledge ?? [],
    traffic: s.traffic.routes.find((r) => r.version === v.version)?.weight ?? 0,
    shadow: s.traffic.shadow?.version === v.version ? s.traffic.shadow.percent : 0,
    ...(running ? { running } : {}),
    ...(feedback ? { feedback } : {}),
    // How a training made it: from which version, on which data (its hash), and the evaluation.
    ...(v.training ? { training: v.training } : {}),
  };
}

function summary(s: FunctionState) {
  const head = (s.traffic.stable && s.versions[s.traffic.stable]) || Object.values(s.versions).sort((a, b) => b.createdAt - a.createdAt)[0];
  return {
    name: s.name,
    namespace: s.namespace,
    description: head?.manifest.description ?? '',
    stable: s.traffic.stable,
    traffic: trafficView(s.traffic),
    versionCount: Object.keys(s.versions).length,
    inputSchema: head?.manifest.input ?? {},
    createdAt: iso(s.createdAt),
    rollout: s.rollout ? { state: s.rollout.state, version: s.rollout.version, stable: s.rollout.stable, step: s.rollout.stage, steps: stagesOf(s.rollout.plan).length, reason: s.rollout.reason } : null,
  };
}

/** The versions, newest first, each with what the live workers report of running it. */
async function versionsOf(deps: AppDeps, s: FunctionState) {
  // Without Redis the versions are still known; only their running figures are left out.
  const [live, feedback] = await Promise.all([deps.workers.live().catch(() => []), deps.feedback?.store.totals(s.name).catch(() => undefined)]);
  const stats = live.flatMap((w) => w.functionStats ?? []).filter((f) => f.function === s.name);
  return Object.values(s.versions)
    .sort((a, b) => b.createdAt - a.createdAt)
    .map((v) => versionView(s, v, versionRunStats(stats.filter((f) => f.version === v.version)), feedback && (feedback.get(v.version) ?? { count: 0, score: null })));
}

const BUNDLE_TYPES = new Set(['application/gzip', 'application/x-gzip', 'application/octet-stream']);

/** Reads the upload, refusing it as soon as it passes `limit` bytes. */
async function readBundle(c: Context, limit: number): Promise<Buffer> {
  const ct = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (!ct || !BUNDLE_TYPES.has(ct)) throw new UnsupportedMediaTypeError(ct, 'application/gzip');
  const declared = Number(c.req.header('content-length'));
  if (Number.isFinite(declared) && declared > limit) throw new PayloadTooLargeError(limit);
  const chunks: Buffer[] = [];
  let total = 0;
  const body = c.req.raw.body;
  if (!body) throw new ValidationError('body', 'a bundle is required');
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    total += chunk.length;
    if (total > limit) throw new PayloadTooLargeError(limit);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

/** The registry API: deploy, describe, traffic, rollback, shadow report, artifact download. */
export function functionRoutes(deps: AppDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  /** The function's state, once the caller is allowed `action` on it; another namespace's is as missing. */
  const guarded = async (c: Context<AppEnv>, name: string, action: 'function.read' | 'function.deploy'): Promise<FunctionState> => {
    const s = await deps.registry.get(name);
    authorizeNamed(c.var.principal, action, { namespace: s.namespace }, () => new FunctionNotFoundError(name));
    return s;
  };

  app.openapi(deployRoute, async (c) => {
    const q = c.req.valid('query');
    const p = c.var.principal;
    // A quick refusal before reading a large upload; the exact namespace is checked once known.
    if (!['admin', 'deployer'].some((r) => p.roles.includes(r))) authorize(p, 'function.deploy', { namespace: q.namespace ?? 'default' });
    const archive = await readBundle(c, deps.bundleLimit);
    const mode = deployMode(q);
    const declared = c.req.valid('header')['x-bundle-sha256'];
    const r = await deps.registry.deploy(archive, {
      mode,
      by: p.sub,
      ...(q.namespace ? { namespace: q.namespace } : {}),
      ...(declared ? { declaredHash: declared } : {}),
      authorize: (namespace) => authorize(p, 'function.deploy', { namespace }),
    });
    c.header('x-function-version', r.version);
    c.set('auditDetail', { function: r.name, detail: { created: r.created, hash: r.hash } });
    return c.json({ ...r, traffic: trafficView(r.traffic) }, 201);
  });

  app.openapi(listRoute, async (c) => {
    const p = c.var.principal;
    authorize(p, 'function.read', { namespace: '*' });
    return c.json({ items: deps.functions.list().filter((s) => allowed(p, 'function.read', { namespace: s.namespace })).map(summary) }, 200);
  });

  app.openapi(getRoute, async (c) => {
    const s = await guarded(c, c.req.valid('param').name, 'function.read');
    return c.json({ ...summary(s), versions: await versionsOf(deps, s) }, 200);
  });

  app.openapi(versionsRoute, async (c) => {
    const s = await guarded(c, c.req.valid('param').name, 'function.read');
    return c.json({ items: await versionsOf(deps, s) }, 200);
  });

  app.openapi(deleteRoute, async (c) => {
    await guarded(c, c.req.valid('param').name, 'function.deploy');
    await deps.registry.remove(c.req.valid('param').name, c.req.valid('query').force === 'true');
    await deps.logs.clear(c.req.valid('param').name);
    return c.body(null, 204);
  });

  app.openapi(trafficRoute, async (c) => {
    const { name } = c.req.valid('param');
    await guarded(c, name, 'function.deploy');
    const body = c.req.valid('json');
    if (!body.routes && body.shadow === undefined) throw new ValidationError('routes', 'give routes and/or shadow');
    let t: TrafficTable | undefined;
    if (body.routes) t = await deps.registry.setWeights(name, body.routes, c.var.principal.sub);
    if (body.shadow !== undefined) t = await deps.registry.setShadow(name, body.shadow, c.var.principal.sub);
    return c.json(trafficView(t!), 200);
  });

  app.openapi(promoteRoute, async (c) => {
    await guarded(c, c.req.valid('param').name, 'function.deploy');
    return c.json(trafficView(await deps.registry.promote(c.req.valid('param').name, c.req.valid('json').version, c.var.principal.sub)), 200);
  });

  app.openapi(rollbackRoute, async (c) => {
    await guarded(c, c.req.valid('param').name, 'function.deploy');
    return c.json(trafficView(await deps.registry.rollback(c.req.valid('param').name, c.var.principal.sub)), 200);
  });

  app.openapi(shadowRoute, async (c) => {
    const { name } = c.req.valid('param');
    const s = await guarded(c, name, 'function.read');
    const asked = c.req.valid('query').version;
    // As on the drift route: a version the function lacks is a mistake, not an empty report.
    if (asked !== undefined && !s.versions[asked]) throw new ValidationError('version', `is not a version of ${name}`, 'query');
    const candidate = asked ?? s.traffic.shadow?.version;
    const report = candidate ? await deps.shadowStats.report(name, candidate) : null;
    return c.json({ function: name, serving: s.traffic.stable, shadow: s.traffic.shadow, report }, 200);
  });

  app.openapi(artifactRoute, async (c) => {
    const p = c.var.principal;
    authorize(p, 'artifact.read', { namespace: '*' });
    const { hash } = c.req.valid('param');
    // A bundle is its namespace's code: only a caller that may act where it is deployed (or being
    // deployed) gets it; for others it does not exist, so the answer says nothing about it.
    const owners = [...deps.functions.namespacesOfBundle(hash), ...deps.registry.inCheck.namespacesOf(hash)];
    if (!p.roles.includes('admin') && !owners.some((namespace) => allowed(p, 'artifact.read', { namespace }))) throw new ArtifactNotFoundError();
    const data = await deps.artifacts.get(hash);
    if (!data) throw new ArtifactNotFoundError();
    return c.body(new Uint8Array(data), 200, { 'content-type': 'application/gzip' });
  });

  return app;
}
