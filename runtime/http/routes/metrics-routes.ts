import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { authorize } from '../../auth/index.ts';
import { EXPOSITION_CONTENT_TYPE, type Scraper } from '../../metrics/index.ts';
import type { AppEnv } from '../app-deps.ts';
import { problems } from '../schemas.ts';

const metricsRoute = createRoute({
  method: 'get',
  path: '/metrics',
  summary: 'Prometheus metrics (text exposition format 0.0.4)',
  description: 'Needs a token allowed `metrics.read` (admin, or viewer of every namespace) unless `AUTOGLM_METRICS_PUBLIC=1`.',
  security: [{ bearer: [] }],
  responses: {
    200: { description: 'Every series of this router, its queues and the live workers.', content: { 'text/plain': { schema: z.string() } } },
    ...problems(401, 403),
  },
});

/**
 * `GET /metrics`. Access is decided by the caller: with `public` false, the app mounts bearer
 * authentication on `/metrics` and this route requires `metrics.read`; with `public` true
 * (`AUTOGLM_METRICS_PUBLIC=1`, for scrapers inside the cluster) it answers anyone.
 */
export function metricsRoutes(scraper: Scraper, opts: { public: boolean }): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(metricsRoute, async (c) => {
    if (!opts.public) authorize(c.var.principal, 'metrics.read', { namespace: '*', allNamespaces: true });
    return c.text(await scraper.scrape(), 200, { 'content-type': EXPOSITION_CONTENT_TYPE });
  });
  return app;
}
