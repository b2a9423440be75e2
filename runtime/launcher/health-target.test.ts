import { describe, expect, it } from 'vitest';
import { newKeyringSpec } from '../../queue/cluster/index.ts';
import { loadConfig } from '../config/index.ts';
import { healthTarget } from './health-target.ts';

const target = (env: Record<string, string>, argv: string[] = []) => {
  const r = loadConfig({ REDIS_URL: 'redis://h:1', AUTOGLM_ENCRYPTION_KEYS: newKeyringSpec('k'), ...env }, argv);
  if (!r.ok) throw new Error(r.errors.join('; '));
  return healthTarget(r.config);
};

describe('healthTarget (the image HEALTHCHECK per role)', () => {
  it("asks a router's /healthz on its port, a wildcard bind on loopback", () => {
    expect(target({ AUTOGLM_HOST: '0.0.0.0', AUTOGLM_PORT: '8080' }, ['--role', 'router'])).toEqual({ url: 'http://127.0.0.1:8080/healthz' });
    expect(target({ AUTOGLM_HOST: '::', AUTOGLM_PORT: '9000' })).toEqual({ url: 'http://[::1]:9000/healthz' });
  });

  it("asks a pool's health endpoint (8081 by default), not the router's port", () => {
    expect(target({ AUTOGLM_HOST: '0.0.0.0' }, ['--role', 'pool'])).toEqual({ url: 'http://127.0.0.1:8081/healthz' });
    expect(target({ AUTOGLM_ROLE: 'pool', AUTOGLM_HOST: '10.0.0.5', AUTOGLM_POOL_HEALTH_PORT: '9101' })).toEqual({ url: 'http://10.0.0.5:9101/healthz' });
  });

  it('has nothing to ask of a pool whose endpoint is off, or on a port no one knows', () => {
    expect(target({ AUTOGLM_POOL_HEALTH_PORT: 'off' }, ['--role', 'pool'])).toEqual({ none: expect.stringContaining('off') });
    expect(target({ AUTOGLM_POOL_HEALTH_PORT: '0' }, ['--role', 'pool'])).toEqual({ none: expect.stringContaining('free port') });
  });
});
