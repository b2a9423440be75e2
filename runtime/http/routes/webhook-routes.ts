import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { auditRequest, type AuditLog } from '../../audit/index.ts';
import { authorize } from '../../auth/index.ts';
import { formatWebhookKey, type WebhookKeys } from '../../webhooks/index.ts';
import type { AppEnv } from '../app-deps.ts';
import { nameString, problems } from '../schemas.ts';

const KeyQuery = z.object({
  namespace: nameString().openapi({ description: 'The namespace whose jobs the receiver takes webhooks for.', example: 'team-a' }),
});

const WebhookKeyList = z
  .object({
    namespace: z.string(),
    keys: z.array(
      z.object({
        id: z.string().openapi({ description: 'Named in `autoglm-webhook-key-id` beside each signature.' }),
        key: z.string().openapi({ description: 'HMAC-SHA256 key, `whsec_<base64>` (the Standard Webhooks form).' }),
        active: z.boolean().openapi({ description: 'False: an old key, still signed with until the operator drops it.' }),
      }),
    ),
  })
  .openapi('WebhookKeys');

const keysRoute = createRoute({
  method: 'get',
  path: '/v1/webhook-keys',
  summary: "A namespace's webhook verification keys (admin, or deployer of that namespace; audited)",
  security: [{ bearer: [] }],
  request: { query: KeyQuery },
  responses: { 200: { description: 'The keys, the active one first', content: { 'application/json': { schema: WebhookKeyList } } }, ...problems(400, 401, 403) },
});

/**
 * `GET /v1/webhook-keys`: what `autoglm webhook key` calls. A receiver's owner reads the key its
 * namespace's webhooks are signed with; reading it is recorded before it is answered, so no key
 * leaves unaudited.
 */
export function webhookRoutes(deps: { webhookKeys: WebhookKeys; auditLog?: AuditLog | undefined }): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(keysRoute, async (c) => {
    const started = Date.now();
    const { namespace } = c.req.valid('query');
    authorize(c.var.principal, 'webhook.key', { namespace });
    if (deps.auditLog) auditRequest(deps.auditLog, c, { action: 'webhook.key.read', namespace, started });
    const keys = deps.webhookKeys.of(namespace).map((k) => ({ id: k.id, key: formatWebhookKey(k.secret), active: k.active }));
    return c.json({ namespace, keys }, 200);
  });
  return app;
}
