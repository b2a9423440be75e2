import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { stagesOf, weightIn, type FunctionState, type RolloutLeases } from '../../../queue/cluster/index.ts';
import { authorizeNamed, type Principal } from '../../auth/index.ts';
import { FunctionNotFoundError } from '../../registry/registry-errors.ts';
import { RolloutNotFoundError, type RolloutControl } from '../../rollouts/index.ts';
import type { AppEnv } from '../app-deps.ts';
import { auditAction } from '../audit-action.ts';
import { FunctionNameParam, problems } from '../schemas.ts';

const sec = [{ bearer: [] }];

const Gate = z.object({ gate: z.string(), value: z.number().nullable(), limit: z.number(), ok: z.boolean().nullable() });
const Window = z.object({
  stage: z.number(),
  from: z.string(),
  to: z.string(),
  calls: z.number().openapi({ description: "the new version's calls in the window (shadowed calls in a shadow step)" }),
  failed: z.number(),
  stableCalls: z.number(),
  p95: z.number().nullable().openapi({ description: 'seconds' }),
  stableP95: z.number().nullable(),
  gates: z.array(Gate),
  verdict: z.enum(['passed', 'failed', 'waiting']),
  reason: z.string(),
});
const Rollout = z
  .object({
    function: z.string(),
    state: z.enum(['progressing', 'paused', 'promoted', 'rolled-back', 'aborted']),
    version: z.string(),
    stable: z.string(),
    step: z.number().openapi({ description: 'index into `steps` of the step in force' }),
    weight: z.number().openapi({ description: "the new version's share of calls now, percent" }),
    steps: z.array(z.object({ kind: z.enum(['shadow', 'canary', 'promote']), weight: z.number().optional(), percent: z.number().optional() })),
    plan: z.record(z.string(), z.unknown()),
    windowFrom: z.string(),
    nextVerdictAt: z.string().nullable(),
    failures: z.number(),
    waits: z.number(),
    windows: z.array(Window),
    applied: z.array(z.object({ stage: z.number(), kind: z.string(), weight: z.number(), at: z.string(), by: z.string() })),
    reason: z.string().nullable(),
    driver: z.string().nullable().openapi({ description: 'the router holding the lease, while progressing' }),
    startedAt: z.string(),
    startedBy: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Rollout');
const ok = { 200: { description: 'The rollout', content: { 'application/json': { schema: Rollout } } } };

const statusRoute = createRoute({ method: 'get', path: '/v1/functions/{name}/rollout', summary: "A function's rollout: state, step, weight, every window's figures and verdict", security: sec, request: { params: FunctionNameParam }, responses: { ...ok, ...problems(401, 403, 404) } });
const actionRoute = (action: 'pause' | 'resume' | 'abort', summary: string) =>
  createRoute({ method: 'post', path: `/v1/functions/{name}/rollout/${action}`, middleware: auditAction(`rollout.${action}`, 'function'), summary, security: sec, request: { params: FunctionNameParam }, responses: { ...ok, ...problems(401, 403, 404, 409) } });

const iso = (ms: number) => new Date(ms).toISOString();

async function view(s: FunctionState, leases: Pick<RolloutLeases, 'holder'>) {
  const r = s.rollout!;
  const progressing = r.state === 'progressing';
  return {
    function: s.name,
    state: r.state,
    version: r.version,
    stable: r.stable,
    step: r.stage,
    weight: weightIn(s.traffic, r.version),
    steps: stagesOf(r.plan),
    plan: r.plan,
    windowFrom: iso(r.windowFrom),
    nextVerdictAt: progressing ? iso(r.windowFrom + r.plan.interval) : null,
    failures: r.failures,
    waits: r.waits,
    windows: r.windows.map((w) => ({ ...w, from: iso(w.from), to: iso(w.to) })),
    applied: r.applied.map((a) => ({ ...a, at: iso(a.at) })),
    reason: r.reason,
    driver: progressing ? ((await leases.holder(s.name).catch(() => undefined)) ?? null) : null,
    startedAt: iso(r.startedAt),
    startedBy: r.startedBy,
    updatedAt: iso(r.updatedAt),
  };
}

/** The rollout API: status, pause, resume, abort (abort: the traffic from before returns now). */
export function rolloutRoutes(deps: { control: RolloutControl; leases: Pick<RolloutLeases, 'holder'>; /** The function from Redis; throws FunctionNotFoundError. */ get: (name: string) => Promise<FunctionState> }): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  const guarded = async (p: Principal, name: string, action: 'function.read' | 'function.deploy') => {
    // Read from Redis, not the mirror: a status just after a step shows that step.
    const s = await deps.get(name);
    authorizeNamed(p, action, { namespace: s.namespace }, () => new FunctionNotFoundError(name));
    if (!s.rollout) throw new RolloutNotFoundError(name);
    return s;
  };
  app.openapi(statusRoute, async (c) => c.json(await view(await guarded(c.var.principal, c.req.valid('param').name, 'function.read'), deps.leases), 200));
  for (const [action, summary] of [
    ['pause', 'Hold the rollout at its step (no verdicts until resumed)'],
    ['resume', 'Move a paused rollout on from its step, with a fresh window'],
    ['abort', 'Roll back now: the traffic from before the rollout returns exactly'],
  ] as const) {
    app.openapi(actionRoute(action, summary), async (c) => {
      const { name } = c.req.valid('param');
      await guarded(c.var.principal, name, 'function.deploy');
      const s = await deps.control.act(name, action, c.var.principal.sub);
      c.set('auditDetail', { function: name, version: s.rollout!.version, detail: { state: s.rollout!.state, step: s.rollout!.stage } });
      return c.json(await view(s, deps.leases), 200);
    });
  }
  return app;
}
