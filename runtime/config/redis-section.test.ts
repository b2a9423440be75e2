import { describe, expect, it } from 'vitest';
import { poolEnvironment } from '../launcher/pool-environment.ts';
import { POOL_CONFIG_VARIABLE } from '../../queue/cluster/index.ts';
import { loadConfig } from './config.ts';

describe('Redis configuration', () => {
  it('one Redis: no sentinels, no replica waited for', () => {
    const r = loadConfig({ REDIS_URL: 'redis://h:6379' });
    expect(r).toMatchObject({ ok: true, config: { redisUrl: 'redis://h:6379', redisSentinel: undefined, redisMinReplicas: 0, redisMinReplicasTimeoutMs: 500 } });
  });

  it('sentinels: parsed with the master name and password; one replica waited for by default', () => {
    const r = loadConfig({ REDIS_SENTINELS: '10.0.0.5:26379, s2.example:26380,[::1]:26381', REDIS_SENTINEL_NAME: 'autoglm', REDIS_SENTINEL_PASSWORD: 'pw' });
    expect(r).toMatchObject({
      ok: true,
      config: {
        redisUrl: undefined,
        redisSentinel: { name: 'autoglm', password: 'pw', sentinels: [{ host: '10.0.0.5', port: 26379 }, { host: 's2.example', port: 26380 }, { host: '::1', port: 26381 }] },
        redisMinReplicas: 1,
      },
    });
    expect(loadConfig({ REDIS_SENTINELS: 'a:1', REDIS_SENTINEL_NAME: 'm', AUTOGLM_REDIS_MIN_REPLICAS: '0', AUTOGLM_REDIS_MIN_REPLICAS_TIMEOUT: '2s' })).toMatchObject({ ok: true, config: { redisMinReplicas: 0, redisMinReplicasTimeoutMs: 2000 } });
  });

  it('refuses sentinels without a master name, bad addresses, and a name without sentinels, naming each variable', () => {
    const r = loadConfig({ REDIS_SENTINELS: 'a:1,nohost,b:99999' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.join('\n')).toMatch(/REDIS_SENTINELS: "nohost", "b:99999"/);
    expect(r.errors.join('\n')).toMatch(/REDIS_SENTINEL_NAME: required/);
    const lone = loadConfig({ REDIS_SENTINEL_NAME: 'm' });
    expect(!lone.ok && lone.errors.join()).toMatch(/REDIS_SENTINEL_NAME, REDIS_SENTINEL_PASSWORD: need REDIS_SENTINELS/);
    const many = loadConfig({ AUTOGLM_REDIS_MIN_REPLICAS: '-1' });
    expect(!many.ok && many.errors.join()).toMatch(/AUTOGLM_REDIS_MIN_REPLICAS/);
  });

  it('hands the sentinels to the pool in its configuration', () => {
    const r = loadConfig({ REDIS_SENTINELS: 'a:1', REDIS_SENTINEL_NAME: 'm', REDIS_URL: 'rediss://u:p@ignored:1/2' });
    if (!r.ok) throw new Error(r.errors.join());
    const env = poolEnvironment(r.config, { redisUrl: r.config.redisUrl!, encryptionKeys: 'k1:' + Buffer.alloc(32).toString('base64') });
    expect(JSON.parse(env[POOL_CONFIG_VARIABLE]!)).toMatchObject({ redisUrl: 'rediss://u:p@ignored:1/2', redisSentinel: { name: 'm', sentinels: [{ host: 'a', port: 1 }] } });
  });
});
