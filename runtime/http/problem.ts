import { STATUS_CODES } from 'node:http';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { HTTPException } from 'hono/http-exception';
import { AutoglmError, type Logger } from '../../functions/sdk/index.ts';
import { problemStatus, type ProblemCode } from '../../queue/problem-codes.ts';
import { StoreFullError, isStoreFull } from '../../queue/cluster/index.ts';

/**
 * A problem's `title` is the reason phrase of its status, as RFC 9110 names it (Node's table still
 * has older names for 413 and 422). A status missing here takes Node's phrase, never a bare "Error".
 */
const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  507: 'Insufficient Storage',
};

/** The title of a problem of `status`. */
const problemTitle = (status: number): string => TITLES[status] ?? STATUS_CODES[status] ?? 'Error';

/** An RFC 9457 problem document, with our stable `code` and the request's ids. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  traceId?: string;
  [extra: string]: unknown;
}

/**
 * Members a problem's own fields hold: an error's extras never set them. A function's error
 * carries extras too (under `details`, see the pool), and must not choose the answer's status
 * (a 100 hung the request, a 302 redirected), its type or its instance.
 */
const RESERVED: ReadonlySet<string> = new Set(['type', 'title', 'status', 'detail', 'code', 'instance', 'traceId']);

/** `type` URIs name the code, so clients can switch on either. */
export const problemType = (code: string): string => `urn:autoglm:problem:${code.toLowerCase().replaceAll('_', '-')}`;

/**
 * Turns any error into a problem document. Known errors (the platform's, and those function code
 * threw) keep their code and safe extras, with the status the catalogue gives the code (500 for a
 * function's own code); anything else becomes a generic 500 that leaks nothing (the caller logs it).
 */
export function toProblem(err: unknown): { problem: Problem; known: boolean } {
  if (err instanceof AutoglmError) {
    const status = problemStatus(err.code);
    const p: Problem = { type: problemType(err.code), title: problemTitle(status), status, detail: err.message, code: err.code };
    for (const [k, v] of Object.entries(err.extra)) if (!RESERVED.has(k)) p[k] = v;
    return { problem: p, known: true };
  }
  if (err instanceof HTTPException && err.status < 500) {
    const code: ProblemCode = err.status === 404 ? 'ROUTE_NOT_FOUND' : err.status === 405 ? 'METHOD_NOT_ALLOWED' : 'BAD_REQUEST';
    const status = problemStatus(code);
    return { problem: { type: problemType(code), title: problemTitle(status), status, detail: err.message || problemTitle(err.status), code }, known: true };
  }
  const code: ProblemCode = 'INTERNAL';
  return {
    problem: { type: problemType(code), title: problemTitle(500), status: problemStatus(code), detail: 'an internal error occurred; it has been logged', code },
    known: false,
  };
}

/**
 * The problem document a request answers for `thrown`, with the request's ids; an unknown error
 * is logged here. Also the body of a streamed call's `error` event.
 */
export function requestProblem(c: Context, thrown: unknown, log?: Logger): { problem: Problem; err: unknown } {
  // Redis refusing a write for want of memory is a state of the platform, not a bug: whichever
  // route met it (a deploy, a secret, a cancel) answers 503 STORE_FULL, never a 500.
  const err = !(thrown instanceof AutoglmError) && isStoreFull(thrown) ? new StoreFullError(thrown) : thrown;
  const { problem, known } = toProblem(err);
  const requestId = c.get('requestId' as never) as string | undefined;
  const traceId = c.get('traceId' as never) as string | undefined;
  if (requestId) problem.instance = `urn:autoglm:request:${requestId}`;
  if (traceId) problem.traceId = traceId;
  if (!known) log?.error('unhandled error', { err, requestId, traceId, path: c.req.path });
  return { problem, err };
}

/** Writes `err` as `application/problem+json`, adding `Retry-After` where retrying later helps. */
export function problemResponse(c: Context, thrown: unknown, log?: Logger): Response {
  const { problem, err } = requestProblem(c, thrown, log);
  const headers: Record<string, string> = { 'content-type': 'application/problem+json' };
  if (problem.status === 503 || problem.status === 429 || (err as { retryAfterSeconds?: number }).retryAfterSeconds !== undefined) {
    const ra = (err as { retryAfterSeconds?: number }).retryAfterSeconds ?? 1;
    headers['retry-after'] = String(ra);
  }
  // Through the context: headers the route set before it failed (X-Job-Id, traceparent…) stay.
  return c.newResponse(JSON.stringify(problem), problem.status as ContentfulStatusCode, headers);
}
