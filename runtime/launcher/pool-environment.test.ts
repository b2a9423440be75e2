import { describe, expect, it } from 'vitest';
import { POOL_CONFIG_VARIABLE, newKeyringSpec, parseKeyring } from '../../queue/cluster/index.ts';
import { loadConfig } from '../config/index.ts';
import { inheritedNodeFlags, poolEnvironment } from './pool-environment.ts';

const JWT = 'jwt-secret-jwt-secret-jwt-secret-0123456789';
const WEBHOOK = 'webhook-secret-webhook-secret-0123456789';
const AUDIT = 'audit-secret-audit-secret-audit-secret-0123';
const MASTER = newKeyringSpec('m1');

/** A pool's environment from a node's environment holding every router key, as the launcher builds it. */
function poolEnvOf(extra: Record<string, string> = {}): { env: Record<string, string>; keys: string } {
  const parsed = loadConfig({ PATH: '/usr/bin', REDIS_URL: 'redis://:pw@h:6379', AUTOGLM_JWT_SECRET: JWT, AUTOGLM_WEBHOOK_KEYS: `w1:${WEBHOOK}`, AUTOGLM_AUDIT_KEYS: `a1:${AUDIT}`, AUTOGLM_ENCRYPTION_KEYS: MASTER, ...extra });
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  const env = poolEnvironment(parsed.config, { redisUrl: 'redis://:pw@h:6379', encryptionKeys: MASTER });
  return { env, keys: (JSON.parse(env[POOL_CONFIG_VARIABLE]!) as { encryptionKeys: string }).encryptionKeys };
}

describe('poolEnvironment', () => {
  it('never hands a pool the JWT secret, the webhook keys or the audit keys', () => {
    for (const ns of [undefined, 'team-a']) {
      const { env } = poolEnvOf(ns ? { AUTOGLM_POOL_NAMESPACES: ns } : {});
      const text = JSON.stringify(env);
      for (const routerKey of [JWT, WEBHOOK, AUDIT]) expect(text).not.toContain(routerKey);
      expect(Object.keys(env).sort()).toEqual([POOL_CONFIG_VARIABLE, 'PATH']);
    }
  });

  it('a pool serving every namespace gets the master keyring; one limited to namespaces only their keys', () => {
    expect(poolEnvOf().keys).toBe(MASTER);
    const limited = poolEnvOf({ AUTOGLM_POOL_NAMESPACES: 'team-a,team-b' }).keys;
    expect(limited).not.toContain(MASTER.split(':')[1]);
    const ring = parseKeyring(limited);
    expect(ring.ok && [ring.ring.active, [...ring.ring.keys.keys()], [...(ring.ring.namespaceKeys?.keys() ?? [])]]).toEqual(['m1', [], ['m1/team-a', 'm1/team-b']]);
  });

  it('a router refuses namespace keys; a pool node takes them', () => {
    const nsKeys = poolEnvOf({ AUTOGLM_POOL_NAMESPACES: 'team-a' }).keys;
    const router = loadConfig({ AUTOGLM_ENCRYPTION_KEYS: nsKeys });
    expect(router.ok ? [] : router.errors).toEqual([expect.stringMatching(/^AUTOGLM_ENCRYPTION_KEYS: a router needs the master keys/)]);
    expect(loadConfig({ AUTOGLM_ENCRYPTION_KEYS: nsKeys, AUTOGLM_ROLE: 'pool' }).ok).toBe(true);
  });
});

describe('inheritedNodeFlags', () => {
  it("passes the launcher's CPU-profiling flags to the pool, and no other", () => {
    expect(inheritedNodeFlags(['--cpu-prof', '--cpu-prof-dir=/tmp/p', '--inspect', '--max-old-space-size=512', '--import', 'x'])).toEqual(['--cpu-prof', '--cpu-prof-dir=/tmp/p']);
    expect(inheritedNodeFlags([])).toEqual([]);
  });
});
