import { OpenAPIHono } from '@hono/zod-openapi';
import { describe, expect, it } from 'vitest';
import { TokenVerifier, bearerAuth } from '../../auth/index.ts';
import type { AppDeps, AppEnv } from '../app-deps.ts';
import { problemResponse } from '../problem.ts';
import { functionRoutes } from './function-routes.ts';

describe('GET /v1/artifacts/{hash}', () => {
  it('answers an unknown hash with a problem+json 404 that names the request', async () => {
    const verifier = new TokenVerifier({ secret: 'function-routes-test-secret-0123456789ab' });
    const app = new OpenAPIHono<AppEnv>();
    app.use('*', async (c, next) => {
      c.set('requestId', 'req-7');
      await next();
    });
    app.use('/v1/*', bearerAuth(verifier));
    app.route('/', functionRoutes({ artifacts: { get: async () => undefined } } as unknown as AppDeps));
    app.onError((err, c) => problemResponse(c, err));
    const token = await verifier.mint({ sub: 'node-2', roles: ['worker'] });
    const r = await app.request(`/v1/artifacts/${'a'.repeat(64)}`, { headers: { authorization: `Bearer ${token}` } });
    expect(r.status).toBe(404);
    expect(r.headers.get('content-type')).toBe('application/problem+json');
    expect(await r.json()).toEqual({
      type: 'urn:autoglm:problem:artifact-not-found',
      title: 'Not Found',
      status: 404,
      detail: 'no bundle with that hash',
      code: 'ARTIFACT_NOT_FOUND',
      instance: 'urn:autoglm:request:req-7',
    });
  });
});
