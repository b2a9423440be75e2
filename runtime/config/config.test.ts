import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('applies documented defaults to an empty environment', () => {
    const r = loadConfig({});
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.port).toBe(8080);
    expect(r.config.role).toBe('all');
    expect(r.config.redisUrl).toBeUndefined();
    expect(r.config.bodyLimit).toBe(1024 * 1024);
    expect(r.config.workers).toBeGreaterThan(0);
    expect(Object.isFrozen(r.config)).toBe(true);
  });

  it('parses sizes, durations and the role flag', () => {
    const r = loadConfig({ AUTOGLM_BODY_LIMIT: '2MiB', AUTOGLM_RESULT_TTL: '2h', AUTOGLM_ROLE: 'pool', REDIS_URL: 'redis://h:1' }, ['--role', 'router']);
    expect(r.ok && r.config.bodyLimit).toBe(2 * 1024 * 1024);
    expect(r.ok && r.config.resultTtlMs).toBe(7_200_000);
    expect(r.ok && r.config.role).toBe('router');
  });

  it('reports every bad value at once, naming each variable', () => {
    const r = loadConfig({ AUTOGLM_PORT: 'eighty', AUTOGLM_WORKERS: '0', REDIS_URL: 'http://x', AUTOGLM_JWT_SECRET: 'short', AUTOGLM_RESULT_TTL: 'soon' }, ['--role=everything']);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const joined = r.errors.join('\n');
    for (const key of ['AUTOGLM_PORT', 'AUTOGLM_WORKERS', 'REDIS_URL', 'AUTOGLM_JWT_SECRET', 'AUTOGLM_RESULT_TTL', '--role']) {
      expect(joined).toContain(key);
    }
    expect(r.errors).toHaveLength(6);
  });
});

describe('AUTOGLM_METRICS_PUBLIC', () => {
  it('keeps /metrics behind a token unless set to 1', () => {
    const at = (v?: string) => loadConfig(v === undefined ? {} : { AUTOGLM_METRICS_PUBLIC: v });
    const unset = at();
    expect(unset.ok && unset.config.metricsPublic).toBe(false);
    const on = at('1');
    expect(on.ok && on.config.metricsPublic).toBe(true);
    const off = at('0');
    expect(off.ok && off.config.metricsPublic).toBe(false);
    const bad = at('yes');
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.errors.join()).toContain('AUTOGLM_METRICS_PUBLIC');
  });
});
