/**
 * The response headers the API documents, as `components.headers` of the OpenAPI document.
 * Routes name the ones they set with {@link responseHeaders}; `openapi-common.ts` adds those every
 * answer of a kind carries (`X-Request-Id` on all, `Retry-After` on 429 and 503…).
 */
export const RESPONSE_HEADERS = {
  'X-Request-Id': {
    description: "This request's id: the problem's `instance` and the audit record's `requestId` (`autoglm audit query --request-id`). On every answer, success or problem.",
    schema: { type: 'string' },
  },
  'X-Router': { description: 'Which router process answered (several may share a port: `AUTOGLM_ROUTER_PROCESSES`). On every answer.', schema: { type: 'string' } },
  'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer', minimum: 0 } },
  'WWW-Authenticate': { description: '`Bearer`; `Bearer error="invalid_token"` when a token was sent and refused.', schema: { type: 'string' } },
  Allow: { description: 'The methods the path takes, comma-separated.', schema: { type: 'string' } },
  Location: { description: 'Where the created or accepted resource is read.', schema: { type: 'string' } },
  'X-Job-Id': { description: "The call's job id (`/v1/jobs/{id}`); a cached answer names the job that computed it.", schema: { type: 'string' } },
  'X-Function-Version': { description: 'The function version that served (or will serve) the call.', schema: { type: 'string' } },
  traceparent: { description: "W3C trace context of the call's span; send your own `traceparent` to continue your trace.", schema: { type: 'string' } },
  'Idempotent-Replayed': { description: '`true` when an earlier job with the same `Idempotency-Key` and body was found and answered again.', schema: { type: 'string', enum: ['true'] } },
  'X-Cache': {
    description: "Only for a version whose manifest declares `cache`: `hit` (answered from the result cache), `miss`, or `bypass` (the call's `Cache-Control: no-store`).",
    schema: { type: 'string', enum: ['hit', 'miss', 'bypass'] },
  },
} satisfies Record<string, { description: string; schema: { type: 'string' | 'integer'; enum?: string[]; minimum?: number } }>;

/** A header the API documents. */
export type ResponseHeader = keyof typeof RESPONSE_HEADERS;

/** A response's `headers`: references to the documented headers named. */
export function responseHeaders(...names: ResponseHeader[]): Record<string, { $ref: string }> {
  return Object.fromEntries(names.map((name) => [name, { $ref: `#/components/headers/${name}` }]));
}
