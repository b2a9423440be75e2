import { OpenAPIHono } from '@hono/zod-openapi';
import { describe, expect, it } from 'vitest';
import { TokenVerifier, bearerAuth } from '../../auth/index.ts';
import { BundlesInCheck } from '../../registry/bundles-in-check.ts';
import type { AppDeps, AppEnv } from '../app-deps.ts';
import { problemResponse } from '../problem.ts';
import { functionRoutes } from './function-routes.ts';

const verifier = new TokenVerifier({ secret: 'function-routes-test-secret-0123456789ab' });
const [TEAM_A, TEAM_B, CHECKING, ORPHAN] = ['a', 'b', 'c', 'd'].map((x) => x.repeat(64)) as [string, string, string, string];

/** The function routes over a catalogue where TEAM_A's bundle is team-a's, TEAM_B's team-b's, CHECKING being deployed to team-a, ORPHAN nobody's. */
function app() {
  const inCheck = new BundlesInCheck();
  let release!: () => void;
  void inCheck.during(CHECKING, 'team-a', () => new Promise<void>((r) => (release = r)));
  const owners: Record<string, string[]> = { [TEAM_A]: ['team-a'], [TEAM_B]: ['team-b'] };
  const a = new OpenAPIHono<AppEnv>();
  a.use('*', async (c, next) => {
    c.set('requestId', 'req-7');
    await next();
  });
  a.use('/v1/*', bearerAuth(verifier));
  a.route(
    '/',
    functionRoutes({
      artifacts: { get: async (hash: string) => (hash === 'f'.repeat(64) ? undefined : Buffer.from(`bundle ${hash.slice(0, 1)}`)) },
      functions: { namespacesOfBundle: (hash: string) => owners[hash] ?? [] },
      registry: { inCheck },
    } as unknown as AppDeps),
  );
  a.onError((err, c) => problemResponse(c, err));
  return { app: a, release: () => release() };
}

async function get(hash: string, claims: { roles: string[]; namespaces?: string[] }) {
  const token = await verifier.mint({ sub: 'node-2', ...claims });
  return app().app.request(`/v1/artifacts/${hash}`, { headers: { authorization: `Bearer ${token}` } });
}

describe('GET /v1/artifacts/{hash}', () => {
  it('answers an unknown hash with a problem+json 404 that names the request', async () => {
    const r = await get('f'.repeat(64), { roles: ['worker'], namespaces: ['*'] });
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

  it("serves a bundle only to callers that may act in its function's namespace; to others it does not exist", async () => {
    const status = async (hash: string, roles: string[], namespaces: string[]) => (await get(hash, { roles, namespaces })).status;
    // A worker token of a pool limited to team-a: team-a's bundles only.
    expect(await status(TEAM_A, ['worker'], ['team-a'])).toBe(200);
    expect(await status(TEAM_B, ['worker'], ['team-a'])).toBe(404);
    // A deployer of team-b: team-b's only; the answer for team-a's is that of a missing bundle.
    expect(await status(TEAM_B, ['deployer'], ['team-b'])).toBe(200);
    const other = await get(TEAM_A, { roles: ['deployer'], namespaces: ['team-b'] });
    expect(other.status).toBe(404);
    expect(JSON.stringify(await other.json())).not.toContain('team-a');
    // Tokens for every namespace, and admin, get any; a bundle no function uses, only admin.
    expect(await status(TEAM_B, ['worker'], ['*'])).toBe(200);
    expect(await status(ORPHAN, ['worker'], ['*'])).toBe(404);
    expect(await status(ORPHAN, ['admin'], ['default'])).toBe(200);
    // Roles without the grant are refused as before.
    expect(await status(TEAM_A, ['viewer'], ['team-a'])).toBe(403);
  });

  it('serves a bundle being checked by a deploy to the namespace it is deployed to, and not after the check', async () => {
    const token = await verifier.mint({ sub: 'node-2', roles: ['worker'], namespaces: ['team-a'] });
    const other = await verifier.mint({ sub: 'node-3', roles: ['worker'], namespaces: ['team-b'] });
    const { app: a, release } = app();
    const req = (t: string) => a.request(`/v1/artifacts/${CHECKING}`, { headers: { authorization: `Bearer ${t}` } });
    expect((await req(token)).status).toBe(200);
    expect((await req(other)).status).toBe(404);
    release();
    await new Promise((r) => setImmediate(r));
    expect((await req(token)).status).toBe(404);
  });
});
