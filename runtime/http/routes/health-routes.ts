import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { allowed, type Principal } from '../../auth/index.ts';
import type { AppDeps, AppEnv } from '../app-deps.ts';

const Readiness = z
  .object({
    ready: z.boolean(),
    redis: z.boolean(),
    counts: z
      .object({ workers: z.number(), slots: z.number().optional() })
      .openapi({ description: 'Live workers, and device slots of every pool (slots: when pools report).' }),
    /** Every device slot of every pool, from its supervisor: also one without a live worker. */
    slots: z
      .array(
        z.object({
          host: z.string(),
          slot: z.number(),
          device: z.string(),
          kind: z.enum(['cpu', 'gpu']),
          state: z.enum(['starting', 'running', 'draining', 'backoff', 'stopped']).openapi({ description: '`backoff`: its worker ended and the next starts after a delay (a crash loop stays here)' }),
          pid: z.number().optional(),
          restarts: z.number(),
          lastRestart: z.string().optional().openapi({ description: 'why its worker was last replaced: exited, hung, memory, start-timeout' }),
          lastRestartAt: z.string().optional().openapi({ description: 'ISO 8601' }),
        }),
      )
      .optional(),
    workers: z
      .array(
        z.object({
          id: z.string(),
          pid: z.number(),
          host: z.string(),
          device: z.string(),
          deviceKind: z.enum(['cpu', 'gpu']).optional(),
          deviceName: z.string().optional(),
          /** Model-cache budget of the device slot, bytes. */
          memoryBudget: z.number().optional(),
          /** The namespaces its pool runs (`AUTOGLM_POOL_NAMESPACES`); absent: every one. */
          namespaces: z.array(z.string()).optional(),
          backend: z.string(),
          /** Where its function code runs: `sandbox` (bubblewrap namespaces), `process` (own process, unprivileged user, Node's permission model) or `thread` (in the worker). */
          isolation: z.string().optional(),
          inFlight: z.number(),
          jobsDone: z.number(),
          batches: z.number().optional(),
          restarts: z.number().optional(),
          functions: z.array(z.string()),
          /** Loaded models (`function@version`), least recently used first. */
          models: z.array(z.string()).optional(),
          rss: z.number().optional(),
          tensors: z.number().optional(),
          /** A GPU worker's device, as nvidia-smi last read it. */
          gpu: z
            .object({
              name: z.string(),
              memoryTotalBytes: z.number(),
              memoryUsedBytes: z.number(),
              utilizationPct: z.number().optional(),
              temperatureC: z.number().optional(),
              readAt: z.string().openapi({ description: 'ISO 8601' }),
            })
            .optional(),
        }),
      )
      .optional()
      .openapi({ description: '`slots` and `workers` (hosts, pids, functions, models): only for a token of admin or a viewer of every namespace.' }),
    reasons: z.array(z.string()),
  })
  .openapi('Readiness');

const healthRoute = createRoute({
  method: 'get',
  path: '/healthz',
  summary: 'Liveness: the router process answers',
  responses: { 200: { description: 'alive', content: { 'application/json': { schema: z.object({ status: z.literal('ok') }) } } } },
});

const readyRoute = createRoute({
  method: 'get',
  path: '/readyz',
  summary: 'Readiness: Redis reachable, at least one live worker, and the node done starting (the built-in functions deployed)',
  description:
    'Without a token: ready or not, why not, and counts. With a token of admin or of a viewer of every namespace (`*`), as for /metrics: every slot and worker in detail (hosts, pids, functions and models of every namespace).',
  security: [{}, { bearer: [] }],
  responses: {
    200: { description: 'ready', content: { 'application/json': { schema: Readiness } } },
    503: { description: 'not ready', content: { 'application/json': { schema: Readiness } } },
  },
});

/**
 * Whether the caller may see the pools in detail: it names every namespace's functions, hosts and
 * pids, so, like /metrics, only admin or a viewer of every namespace.
 */
const seesDetail = (p: Principal | undefined): boolean => !!p && allowed(p, 'metrics.read', { namespace: '*', allNamespaces: true });

/** `GET /healthz` and `GET /readyz` (no token needed: probes must not need one; /readyz says more to a token that may see it). */
export function healthRoutes(deps: AppDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(healthRoute, (c) => c.json({ status: 'ok' as const }, 200));
  app.openapi(readyRoute, async (c) => {
    const reasons: string[] = [];
    const redis = await deps.pingRedis();
    if (!redis) reasons.push('redis unreachable');
    else if (await deps.redisFull?.()) reasons.push('redis is full (maxmemory reached): writes are refused');
    const [workers, pools] = redis ? await Promise.all([deps.workers.live().catch(() => []), deps.pools?.live().catch(() => []) ?? []]) : [[], []];
    if (redis && workers.length === 0) reasons.push('no live worker');
    const starting = deps.starting?.();
    if (starting) reasons.push(starting);
    if (deps.draining?.()) reasons.push('shutting down');
    const summary = { ready: reasons.length === 0, redis, counts: { workers: workers.length, ...(deps.pools ? { slots: pools.reduce((n, pool) => n + pool.slots.length, 0) } : {}) }, reasons };
    if (!seesDetail(c.get('principal') as Principal | undefined)) return c.json(summary, summary.ready ? 200 : 503);
    const body = {
      ...summary,
      ...(deps.pools ? { slots: pools.flatMap((pool) => pool.slots.map(({ lastRestartAt, ...s }) => ({ host: pool.host, ...s, ...(lastRestartAt === undefined ? {} : { lastRestartAt: new Date(lastRestartAt).toISOString() }) }))) } : {}),
      workers: workers.map((w) => ({
        id: w.id,
        pid: w.pid,
        host: w.host,
        device: w.device,
        deviceKind: w.slot?.kind,
        deviceName: w.slot?.name,
        memoryBudget: w.slot?.memoryBytes,
        ...(w.slot?.namespaces ? { namespaces: w.slot.namespaces } : {}),
        backend: w.backend,
        ...(w.isolation ? { isolation: w.isolation } : {}),
        inFlight: w.inFlight,
        jobsDone: w.jobsDone,
        batches: w.batches,
        restarts: w.restarts,
        functions: w.functions,
        models: w.models?.map((m) => m.key),
        rss: w.rss,
        tensors: w.tensors,
        ...(w.gpu ? { gpu: { ...w.gpu, readAt: new Date(w.gpu.readAt).toISOString() } } : {}),
      })),
    };
    return c.json(body, reasons.length === 0 ? 200 : 503);
  });
  return app;
}
