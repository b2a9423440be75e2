import type { MiddlewareHandler } from 'hono';
import { MalformedJsonError, UnsupportedMediaTypeError } from './errors.ts';

const JSON_TYPE = /^application\/([\w.-]+\+)?json$/i;

/**
 * For requests that carry a body: requires a JSON content type (415 otherwise) and parses it
 * once (400 `MALFORMED_JSON` otherwise). The parsed body is cached by Hono for the validator.
 * Bodyless requests pass; routes that need a body say so in their schema.
 */
export function jsonBody(): MiddlewareHandler {
  return async function jsonBodyMiddleware(c, next) {
    const hasBody = c.req.header('content-length') !== undefined ? c.req.header('content-length') !== '0' : c.req.header('transfer-encoding') !== undefined;
    if ((c.req.method === 'POST' || c.req.method === 'PUT' || c.req.method === 'PATCH') && (hasBody || c.req.header('content-type'))) {
      const ct = c.req.header('content-type');
      const media = ct?.split(';')[0]?.trim() ?? '';
      if (!JSON_TYPE.test(media)) throw new UnsupportedMediaTypeError(ct);
      try {
        await c.req.json();
      } catch {
        throw new MalformedJsonError();
      }
    }
    await next();
  };
}
