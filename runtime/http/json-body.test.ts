import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { describe, expect, it } from 'vitest';
import type { AppEnv } from './app-deps.ts';
import { jsonBody } from './json-body.ts';
import { problemResponse } from './problem.ts';
import { validationHook } from './validation-hook.ts';

/** A route without a body (as retry, cancel, rollback) and one that needs one, behind the app's body reader and hook. */
function app() {
  const a = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  a.use('*', jsonBody(1024));
  a.openapi(createRoute({ method: 'post', path: '/retry', responses: { 200: { description: 'ok' } } }), (c) => c.json({ ok: true }, 200));
  const Body = z.object({ name: z.string() }).strict();
  a.openapi(createRoute({ method: 'post', path: '/named', request: { body: { content: { 'application/json': { schema: Body } }, required: true } }, responses: { 200: { description: 'ok' } } }), (c) =>
    c.json({ name: c.req.valid('json').name }, 200),
  );
  a.onError((err, c) => problemResponse(c, err));
  return a;
}

const post = async (path: string, headers: Record<string, string>, body?: string) => {
  const r = await app().request(path, { method: 'POST', headers, ...(body !== undefined ? { body } : {}) });
  return { status: r.status, json: await r.json() };
};

const JSON_TYPE = { 'content-type': 'application/json' };

describe('jsonBody', () => {
  it('takes a body of no bytes as no body, whatever the headers declare: a route without a body runs', async () => {
    for (const headers of [JSON_TYPE, { ...JSON_TYPE, 'content-length': '0' }, {}]) {
      expect(await post('/retry', headers), JSON.stringify(headers)).toEqual({ status: 200, json: { ok: true } });
    }
  });

  it('refuses a route that needs a body, sent none, with a 400 naming the body', async () => {
    for (const headers of [JSON_TYPE, { ...JSON_TYPE, 'content-length': '0' }, {}]) {
      const r = await post('/named', headers);
      expect(r.status, JSON.stringify(headers)).toBe(400);
      expect(r.json).toMatchObject({ code: 'INVALID_REQUEST', field: 'body', in: 'body', detail: 'body: this route needs a JSON body; the request had none' });
    }
  });

  it('still reads a body that is there: parsed, refused when not JSON, its missing members named', async () => {
    expect(await post('/named', JSON_TYPE, '{"name":"ann"}')).toEqual({ status: 200, json: { name: 'ann' } });
    expect((await post('/named', JSON_TYPE, '{"name":')).json).toMatchObject({ status: 400, code: 'MALFORMED_JSON' });
    expect((await post('/named', JSON_TYPE, '{}')).json).toMatchObject({ status: 400, code: 'INVALID_REQUEST', field: 'name' });
    expect((await post('/retry', JSON_TYPE, ' ')).json).toMatchObject({ status: 400, code: 'MALFORMED_JSON' });
  });
});
