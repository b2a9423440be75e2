import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { authorize } from '../../auth/index.ts';
import { ACTION_RE, MAX_QUERY_LIMIT, auditCursor, auditRequest, parseAuditCursor, parseAuditTime, type AuditLog } from '../../audit/index.ts';
import type { AppEnv } from '../app-deps.ts';
import { problems } from '../schemas.ts';

/** What the audit routes need. `AppDeps` gives it once it has `auditLog`. */
export interface AuditRouteDeps {
  auditLog: AuditLog;
}

const time = z
  .string()
  .refine((v) => parseAuditTime(v) !== undefined, 'must be an ISO 8601 time (2024-05-01T12:00:00Z) or an age such as 24h or 7d')
  .optional();

export const AuditQuery = z.object({
  actor: z.string().min(1).max(256).optional().openapi({ description: "The caller's token subject" }),
  function: z.string().min(1).max(256).optional(),
  action: z.string().regex(ACTION_RE).optional().openapi({ example: 'function.deploy' }),
  outcome: z.enum(['ok', 'error', 'denied']).optional(),
  namespace: z.string().min(1).max(256).optional(),
  jobId: z.string().min(1).max(256).optional().openapi({ description: 'One job: its submission and what was done to it' }),
  requestId: z.string().min(1).max(64).optional().openapi({ description: "One request: a response's `X-Request-Id`" }),
  since: time.openapi({ description: 'Records at or after: ISO 8601, or an age (`24h`, `7d`)', example: '24h' }),
  until: time.openapi({ description: 'Records at or before: ISO 8601, or an age' }),
  before: z
    .string()
    .refine((v) => parseAuditCursor(v) !== undefined, 'must be the `next` of a previous page')
    .optional()
    .openapi({ description: "Records listed after this point: the previous page's `next`" }),
  limit: z.coerce.number().int().min(1).max(MAX_QUERY_LIMIT).default(100),
});

export const AuditRecordSchema = z
  .object({
    chain: z.string(),
    seq: z.number().int(),
    time: z.string(),
    actor: z.string(),
    roles: z.array(z.string()),
    action: z.string(),
    namespace: z.string().optional(),
    function: z.string().optional(),
    version: z.string().optional(),
    jobId: z.string().optional(),
    outcome: z.enum(['ok', 'error', 'denied']),
    code: z.string().optional(),
    durationMs: z.number().int().optional(),
    requestId: z.string().optional(),
    remote: z.string().optional(),
    target: z.string().optional(),
    detail: z.record(z.string(), z.unknown()).optional(),
    kid: z.string().optional().openapi({ description: 'The audit key that sealed the record; absent in unkeyed legacy records' }),
    prev: z.string(),
    hash: z.string(),
  })
  .openapi('AuditRecord');

const BadRecordSchema = z
  .object({ chain: z.string(), file: z.string(), line: z.number().int().optional(), seq: z.number().int().optional(), reason: z.string() })
  .openapi('AuditBadRecord');

export const VerifyReportSchema = z
  .object({
    ok: z.boolean(),
    records: z.number().int(),
    chains: z.array(
      z.object({
        chain: z.string(),
        ok: z.boolean(),
        records: z.number().int(),
        firstSeq: z.number().int().optional(),
        lastSeq: z.number().int().optional(),
        anchorSeq: z.number().int().optional(),
        segments: z.number().int(),
        lastHash: z.string().optional(),
        legacy: z.object({ records: z.number().int(), lastSeq: z.number().int() }).optional(),
        headAnchor: z
          .object({ status: z.enum(['match', 'behind', 'missing', 'ahead', 'mismatch', 'folder missing']), seq: z.number().int().optional(), behind: z.number().int().optional() })
          .optional()
          .openapi({ description: "The chain's head as anchored in Redis, compared with its files" }),
        torn: z.boolean().optional(),
        firstBad: BadRecordSchema.optional(),
      }),
    ),
    firstBad: BadRecordSchema.optional(),
  })
  .openapi('AuditVerifyReport');

const queryRoute = createRoute({
  method: 'get',
  path: '/v1/audit',
  summary: 'Read the audit log, newest first (admin only)',
  security: [{ bearer: [] }],
  request: { query: AuditQuery },
  responses: {
    200: {
      description: 'Matching records, newest first',
      content: {
        'application/json': {
          schema: z.object({
            items: z.array(AuditRecordSchema),
            next: z.string().nullable().openapi({ description: 'Pass as `before` (with the same filters) for the page that follows; null when this page is the last' }),
          }),
        },
      },
    },
    ...problems(400, 401, 403),
  },
});

const verifyRoute = createRoute({
  method: 'get',
  path: '/v1/audit/verify',
  summary: "Check every chain's hashes; `firstBad` names the first record that fails (admin only)",
  security: [{ bearer: [] }],
  responses: {
    200: { description: 'The verification report; `ok: false` when any record fails', content: { 'application/json': { schema: VerifyReportSchema } } },
    ...problems(401, 403),
  },
});

/** `GET /v1/audit` and `GET /v1/audit/verify`. Reading the log is itself audited (`audit.read`, `audit.verify`). */
export function auditRoutes(deps: AuditRouteDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();

  app.openapi(queryRoute, async (c) => {
    authorize(c.var.principal, 'audit.read', { namespace: '*' });
    const started = Date.now();
    const q = c.req.valid('query');
    const now = new Date();
    const items = await deps.auditLog.query({
      ...(q.actor ? { actor: q.actor } : {}),
      ...(q.function ? { function: q.function } : {}),
      ...(q.action ? { action: q.action } : {}),
      ...(q.outcome ? { outcome: q.outcome } : {}),
      ...(q.namespace ? { namespace: q.namespace } : {}),
      ...(q.jobId ? { jobId: q.jobId } : {}),
      ...(q.requestId ? { requestId: q.requestId } : {}),
      ...(q.since ? { since: parseAuditTime(q.since, now)! } : {}),
      ...(q.until ? { until: parseAuditTime(q.until, now)! } : {}),
      ...(q.before ? { before: parseAuditCursor(q.before)! } : {}),
      limit: q.limit,
    });
    auditRequest(deps.auditLog, c, { action: 'audit.read', started });
    // A full page may have more behind it; a short one is the last.
    const last = items.length === q.limit ? items.at(-1) : undefined;
    return c.json({ items, next: last ? auditCursor(last) : null }, 200);
  });

  app.openapi(verifyRoute, async (c) => {
    authorize(c.var.principal, 'audit.read', { namespace: '*' });
    const started = Date.now();
    const report = await deps.auditLog.verify();
    auditRequest(deps.auditLog, c, { action: 'audit.verify', started, ...(report.ok ? {} : { code: 'AUDIT_VERIFY_FAILED' }) });
    return c.json(report, 200);
  });

  return app;
}
