import { describe, expect, it } from 'vitest';
import { offers, readClaims } from './session.ts';

const jwt = (payload: object) => `e30.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.sig`;

describe('console session claims', () => {
  it('read roles, namespaces and subject from a base64url payload of any length', () => {
    // '~~~' and '???' encode to '-' and '_' in base64url, and the lengths vary the padding.
    for (const sub of ['a', 'ab~~~', 'abc???x']) {
      expect(readClaims(jwt({ sub, roles: ['viewer', 7], namespaces: ['team-a'], exp: 9 }))).toEqual({ sub, roles: ['viewer'], namespaces: ['team-a'], exp: 9 });
    }
  });

  it("read an identity provider's roles and namespaces where it keeps them, a built-in token's at the top", () => {
    const keycloak = { roles: 'realm_access.roles', namespaces: 'groups' };
    expect(readClaims(jwt({ iss: 'https://idp', sub: 'al', realm_access: { roles: ['viewer'] }, groups: 'team-a' }), keycloak)).toEqual({ sub: 'al', roles: ['viewer'], namespaces: ['team-a'] });
    expect(readClaims(jwt({ iss: 'autoglm', sub: 'bo', roles: ['admin'], realm_access: { roles: ['viewer'] } }), keycloak)).toMatchObject({ roles: ['admin'] });
  });

  it('read nothing from what is not a JWT', () => {
    expect(readClaims('not a token')).toBeNull();
    expect(readClaims('a.%%%.c')).toBeNull();
  });

  it('offer traffic controls to deployers and admins only, logs not to invokers', () => {
    const as = (...roles: string[]) => ({ sub: 's', roles, namespaces: [] });
    expect(['admin', 'deployer', 'invoker', 'viewer'].filter((r) => offers(as(r), 'traffic'))).toEqual(['admin', 'deployer']);
    expect(['admin', 'deployer', 'invoker', 'viewer'].filter((r) => offers(as(r), 'logs'))).toEqual(['admin', 'deployer', 'viewer']);
    expect(['admin', 'deployer', 'invoker', 'viewer'].filter((r) => offers(as(r), 'train'))).toEqual(['admin', 'deployer']);
    expect(offers(as('viewer', 'invoker'), 'invoke')).toBe(true);
    expect(['admin', 'deployer', 'invoker', 'viewer'].filter((r) => offers(as(r), 'audit'))).toEqual(['admin']);
    expect(['admin', 'deployer', 'invoker', 'viewer'].filter((r) => offers(as(r), 'queues'))).toEqual(['admin']);
    // The pool in detail, as /readyz gives it: an admin, or a viewer of every namespace.
    expect(['admin', 'deployer', 'invoker', 'viewer'].filter((r) => offers(as(r), 'pool'))).toEqual(['admin']);
    expect(offers({ sub: 's', roles: ['viewer'], namespaces: ['*'] }, 'pool')).toBe(true);
    expect(offers({ sub: 's', roles: ['viewer'], namespaces: ['team-a'] }, 'pool')).toBe(false);
    // Retrying a dead letter submits it again: the roles that may invoke (runtime/auth/policy.ts, job.retry).
    expect(['admin', 'deployer', 'invoker', 'viewer'].filter((r) => offers(as(r), 'retry'))).toEqual(['admin', 'invoker']);
  });
});
