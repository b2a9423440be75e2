import type { OpenAPIHono } from '@hono/zod-openapi';
import { operationIdOf } from './openapi-operation-id.ts';
import { RESPONSE_HEADERS, responseHeaders, type ResponseHeader } from './response-headers.ts';

/** The document as `getOpenAPI31Document` builds it. */
export type OpenApiDocument = ReturnType<OpenAPIHono['getOpenAPI31Document']>;

/** An operation of the document, as far as this pass reads and writes it. */
interface Operation {
  operationId?: string;
  security?: unknown[];
  parameters?: { in?: string }[];
  responses?: Record<string, { headers?: Record<string, unknown> } & Record<string, unknown>>;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;
const BODY_METHODS = new Set(['post', 'put', 'patch']);
const WRITE_METHODS = new Set(['post', 'put', 'patch', 'delete']);
/** Writes that never reach Redis: minting a token signs it and no more. */
const WRITES_WITHOUT_REDIS = new Set(['post /v1/tokens']);

/**
 * Why each added status is answered. Written for the middleware that answers it, which runs
 * before any route (app.ts), so no route declaration can be trusted to list it.
 */
const COMMON_PROBLEMS: Record<number, string> = {
  400: 'problem (400): `INVALID_REQUEST`, a parameter or body field fails its check (named in `field`, with `in`); `MALFORMED_JSON`, a body that is not JSON',
  401: 'problem (401): `UNAUTHORIZED`, no valid bearer token',
  413: 'problem (413): `PAYLOAD_TOO_LARGE`, a body over `AUTOGLM_BODY_LIMIT`',
  415: 'problem (415): `UNSUPPORTED_MEDIA_TYPE`, a body that is not `application/json`',
  500: 'problem (500): `INTERNAL`, an unexpected error (details go to the log, never the answer)',
  503: 'problem (503): `QUEUE_UNAVAILABLE` (Redis away) or `STORE_FULL` (Redis at its `maxmemory`, writes refused)',
};

/** Headers every answer with this status carries (`problemResponse`, `bearerAuth`). */
const STATUS_HEADERS: Record<string, ResponseHeader[]> = { 401: ['WWW-Authenticate'], 429: ['Retry-After'], 503: ['Retry-After'] };

/** The schema `problems()` of schemas.ts declares, by its component name. */
const problemContent = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } };

/** The statuses the middleware in front of every route may answer `op` with (see app.ts). */
function commonStatuses(method: string, path: string, op: Operation): number[] {
  const statuses = [500];
  if (op.security?.length) statuses.push(401);
  if (op.parameters?.some((p) => p.in === 'path')) statuses.push(400);
  const api = path.startsWith('/v1/');
  // jsonBody reads a body sent with any write, whether or not the route takes one.
  if (api && BODY_METHODS.has(method)) statuses.push(400, 413, 415);
  // Any write meets Redis: away or full, it is refused with 503 (README, Errors).
  if (api && WRITE_METHODS.has(method) && !WRITES_WITHOUT_REDIS.has(`${method} ${path}`)) statuses.push(503);
  return statuses;
}

/**
 * Completes a generated document with what no single route declares: an `operationId` for every
 * operation (derived from method and path unless the route chose one), the problem responses
 * the shared middleware gives (401 of bearer auth, 400/413/415 of the JSON body reader, 400 of a
 * malformed path parameter, 503 of a write while Redis is away, 500), and the headers answers of
 * a kind carry (`X-Request-Id` and `X-Router` on all, `WWW-Authenticate` on 401, `Retry-After` on
 * 429 and 503). A route's own declaration of a status is kept. Returns the same document.
 */
export function completeDocument(doc: OpenApiDocument): OpenApiDocument {
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = (item as Record<string, Operation | undefined>)[method];
      if (!op) continue;
      op.operationId ??= operationIdOf(method, path);
      const responses = (op.responses ??= {});
      for (const status of commonStatuses(method, path, op)) responses[status] ??= { description: COMMON_PROBLEMS[status]!, content: problemContent };
      for (const [status, response] of Object.entries(responses)) {
        response.headers = { ...responseHeaders('X-Request-Id', 'X-Router', ...(STATUS_HEADERS[status] ?? [])), ...response.headers };
      }
    }
  }
  const components = (doc.components ??= {});
  components.headers = { ...RESPONSE_HEADERS, ...components.headers };
  // No operation answers 405: it is what any other method at a documented path gets.
  components.responses = {
    MethodNotAllowed: { description: 'problem (405): `METHOD_NOT_ALLOWED`, the path exists but not with this method', headers: responseHeaders('Allow', 'X-Request-Id', 'X-Router'), content: problemContent },
    ...components.responses,
  };
  return doc;
}
