import type { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { validationHook } from './validation-hook.ts';

/**
 * A route's declared request headers, validated by reading each one by name. Hono's header
 * validator (what `request.headers` in a route adds) first copies every header of the request
 * into an object, and on the Node adapter that builds a full WHATWG `Headers` for the request:
 * on the invoke path, a few percent of the router's CPU per call. Routes on that path keep the
 * schema in their OpenAPI document (see `documented` in the invoke routes) and read it with this.
 * @throws ValidationError naming the header, as the validator would
 */
export function namedHeaders<S extends z.ZodObject>(c: Context, schema: S): z.infer<S> {
  const sent: Record<string, string> = {};
  for (const name of Object.keys(schema.shape)) {
    const v = c.req.header(name);
    if (v !== undefined) sent[name] = v;
  }
  const r = schema.safeParse(sent);
  if (!r.success) validationHook({ success: false, target: 'header', error: r.error });
  return r.data as z.infer<S>;
}
