import type { IncomingMessage } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { MalformedJsonError, PayloadTooLargeError, UnsupportedMediaTypeError } from './errors.ts';
import { checkJsonShape } from './json-shape.ts';

const JSON_TYPE = /^application\/([\w.-]+\+)?json$/i;

const WRITES = new Set(['POST', 'PUT', 'PATCH']);

/** The default of `AUTOGLM_MAX_JSON_DEPTH` (see `runtime/config`). */
const DEFAULT_MAX_DEPTH = 64;

/**
 * Refuses a body that declares more than `limit` bytes (413), before anyone reads it. Runs
 * before authentication, so an oversized request costs nothing; a body that does not declare
 * its length is counted as it is read ({@link jsonBody}).
 */
export function declaredLengthLimit(limit: number): MiddlewareHandler {
  return async function declaredLengthMiddleware(c, next) {
    if (Number(c.req.header('content-length') ?? 0) > limit) throw new PayloadTooLargeError(limit);
    await next();
  };
}

/**
 * For requests that carry a body: requires a JSON content type (415 otherwise), reads it up to
 * `limit` bytes (413 beyond) and checks that it parses (400 `MALFORMED_JSON` otherwise), nests
 * at most `maxDepth` levels and holds only finite numbers (400 `INVALID_REQUEST` naming the field,
 * see {@link checkJsonShape}: past it, the body would be refused deeper in, as a 500). The
 * text and its parse are cached on the request for Hono's validators, and the bytes kept as
 * `c.var.bodyBytes` (inputs are sealed from them). Bodyless requests pass, and so does a body of
 * no bytes whatever its headers say (`curl -X POST -H 'content-type: application/json'` sends
 * none): routes whose body is optional or absent run, and one that needs a body refuses the
 * request naming `body` (`validation-hook.ts`).
 *
 * On `@hono/node-server` the body is read straight from Node's request stream: building the
 * web `Request` and its `ReadableStream` cost more router CPU than the rest of an invoke.
 */
export function jsonBody(limit: number, maxDepth: number = DEFAULT_MAX_DEPTH): MiddlewareHandler {
  return async function jsonBodyMiddleware(c, next) {
    const length = c.req.header('content-length');
    const hasBody = length !== undefined ? length !== '0' : c.req.header('transfer-encoding') !== undefined;
    if (WRITES.has(c.req.method) && (hasBody || c.req.header('content-type'))) {
      const ct = c.req.header('content-type');
      if (!JSON_TYPE.test(ct?.split(';')[0]?.trim() ?? '')) throw new UnsupportedMediaTypeError(ct);
      const bytes = await readBody(c, limit);
      if (bytes.length === 0) {
        // Hono's validator reads no body as `{}` when no JSON type is declared; the same here.
        c.req.json = <T>() => Promise.resolve({} as T);
        return next();
      }
      const text = bytes.toString('utf8');
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new MalformedJsonError();
      }
      checkJsonShape(parsed, maxDepth);
      (c.req.bodyCache as { text?: Promise<string> }).text = Promise.resolve(text);
      // Hono's `json()` parses the cached text again on every call (its validator calls it once
      // more): hand out this parse instead. A bulk job's body is up to the limit of JSON.
      c.req.json = <T>() => Promise.resolve(parsed as T);
      c.set('bodyBytes', bytes);
      c.set('bodyMembers', typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? Object.keys(parsed).length : 0);
    }
    await next();
  };
}

async function readBody(c: Context, limit: number): Promise<Buffer> {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (!incoming) {
    // Not on Node's server (tests drive the app with `app.request()`): the web body it is.
    const bytes = Buffer.from(await c.req.arrayBuffer());
    if (bytes.length > limit) throw new PayloadTooLargeError(limit);
    return bytes;
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      incoming.off('data', onData).off('end', onEnd).off('error', reject);
      // Stop reading; answer 413 and close the connection rather than drain the rest.
      incoming.pause();
      c.header('connection', 'close');
      reject(new PayloadTooLargeError(limit));
    };
    const onEnd = () => resolve(Buffer.concat(chunks, size));
    incoming.on('data', onData).once('end', onEnd).once('error', reject);
  });
}
