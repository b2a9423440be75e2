import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';
import { newKeyringSpec } from '../../queue/cluster/index.ts';

describe('loadConfig', () => {
  it('applies documented defaults to an empty environment', () => {
    const r = loadConfig({});
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.port).toBe(8080);
    expect(r.config.role).toBe('all');
    expect(r.config.redisUrl).toBeUndefined();
    expect(r.config.bodyLimit).toBe(1024 * 1024);
    expect(r.config.maxJsonDepth).toBe(64);
    expect(r.config.httpTimeouts).toEqual({ headersMs: 10_000, requestMs: 30_000, keepAliveMs: 65_000 });
    expect(r.config.rollouts).toEqual({ tickMs: 1_000, leaseMs: 5_000, settleMs: 2_500, minIntervalMs: 5_000 });
    expect(r.config.workers).toBeGreaterThan(0);
    expect(Object.isFrozen(r.config)).toBe(true);
  });

  it('parses sizes, durations and the role flag', () => {
    const r = loadConfig({ AUTOGLM_BODY_LIMIT: '2MiB', AUTOGLM_MAX_JSON_DEPTH: '16', AUTOGLM_RESULT_TTL: '2h', AUTOGLM_ROLE: 'pool', REDIS_URL: 'redis://h:1' }, ['--role', 'router']);
    expect(r.ok && r.config.bodyLimit).toBe(2 * 1024 * 1024);
    expect(r.ok && r.config.maxJsonDepth).toBe(16);
    // Past ~1,000 levels no input could reach a function (structured clone overflows): refused.
    expect(loadConfig({ AUTOGLM_MAX_JSON_DEPTH: '5000' }).ok).toBe(false);
    expect(r.ok && r.config.resultTtlMs).toBe(7_200_000);
    expect(loadConfig({ AUTOGLM_HTTP_HEADERS_TIMEOUT: '2s', AUTOGLM_HTTP_REQUEST_TIMEOUT: '5m' })).toMatchObject({ ok: true, config: { httpTimeouts: { headersMs: 2000, requestMs: 300_000 } } });
    expect(r.ok && r.config.role).toBe('router');
  });

  it('reads how routers drive rollouts, and refuses each timing out of its range by name', () => {
    const r = loadConfig({ AUTOGLM_ROLLOUT_TICK: '200ms', AUTOGLM_ROLLOUT_LEASE: '2s', AUTOGLM_ROLLOUT_SETTLE: '1200ms', AUTOGLM_ROLLOUT_MIN_INTERVAL: '2s' });
    expect(r.ok && r.config.rollouts).toEqual({ tickMs: 200, leaseMs: 2000, settleMs: 1200, minIntervalMs: 2000 });
    const bad = loadConfig({ AUTOGLM_ROLLOUT_TICK: '50ms', AUTOGLM_ROLLOUT_LEASE: '2m', AUTOGLM_ROLLOUT_SETTLE: '500ms', AUTOGLM_ROLLOUT_MIN_INTERVAL: 'soon' });
    expect(bad.ok ? [] : bad.errors).toEqual([
      'AUTOGLM_ROLLOUT_LEASE="2m": 120000 ms is out of range (1000 to 60000 ms)',
      'AUTOGLM_ROLLOUT_TICK="50ms": 50 ms is out of range (100 to 30000 ms)',
      'AUTOGLM_ROLLOUT_SETTLE="500ms": 500 ms is out of range (1000 to 60000 ms)',
      'AUTOGLM_ROLLOUT_MIN_INTERVAL="soon": expected a duration like 500ms, 30s, 5m or 7d (1000 to 3600000 ms)',
    ]);
    expect(loadConfig({ AUTOGLM_ROLLOUT_MIN_INTERVAL: '2h' }).ok).toBe(false);
    // A tick must renew a lease at least twice in its life.
    const lapsing = loadConfig({ AUTOGLM_ROLLOUT_TICK: '1500ms', AUTOGLM_ROLLOUT_LEASE: '2s' });
    expect(lapsing.ok ? [] : lapsing.errors).toEqual(['AUTOGLM_ROLLOUT_TICK="1500ms": at most half of AUTOGLM_ROLLOUT_LEASE (2000 ms), so a router renews its leases before they lapse']);
    expect(loadConfig({ AUTOGLM_ROLLOUT_LEASE: '1s' }).ok).toBe(false);
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

describe('AUTOGLM_WEBHOOK_KEYS', () => {
  it('takes kid:secret master keys, refuses a malformed ring, and refuses the old AUTOGLM_WEBHOOK_SECRET', () => {
    const ok = loadConfig({ AUTOGLM_WEBHOOK_KEYS: `w2:${'n'.repeat(32)},w1:${'o'.repeat(32)}` });
    expect(ok.ok && ok.config.webhookKeys).toBe(`w2:${'n'.repeat(32)},w1:${'o'.repeat(32)}`);
    const bad = loadConfig({ AUTOGLM_WEBHOOK_KEYS: 'w1:short' });
    expect(!bad.ok && bad.errors.join()).toContain('AUTOGLM_WEBHOOK_KEYS: key w1 must be at least 32 characters');
    // Webhooks are signed per namespace: a receiver's old secret verifies nothing, so say so at start.
    const old = loadConfig({ AUTOGLM_WEBHOOK_SECRET: 'x'.repeat(40) });
    expect(!old.ok && old.errors.join()).toContain('AUTOGLM_WEBHOOK_SECRET: replaced by AUTOGLM_WEBHOOK_KEYS');
  });
});

describe('AUTOGLM_AUDIT_SINK', () => {
  it('takes a syslog (udp, tcp) or http(s) URL and a token; refuses other schemes, a syslog URL without a port, and credentials in the URL', () => {
    const none = loadConfig({});
    expect(none.ok && none.config.auditSink).toBeUndefined();
    const udp = loadConfig({ AUTOGLM_AUDIT_SINK: 'syslog+udp://10.0.0.5:514' });
    expect(udp.ok && udp.config.auditSink).toEqual({ url: 'syslog+udp://10.0.0.5:514' });
    const http = loadConfig({ AUTOGLM_AUDIT_SINK: 'https://siem.example/intake', AUTOGLM_AUDIT_SINK_TOKEN: 't0k' });
    expect(http.ok && http.config.auditSink).toEqual({ url: 'https://siem.example/intake', token: 't0k' });
    const errors = (v: string) => {
      const r = loadConfig({ AUTOGLM_AUDIT_SINK: v });
      return r.ok ? '' : r.errors.join();
    };
    expect(errors('ftp://x/y')).toContain('AUTOGLM_AUDIT_SINK: ftp: is not a sink scheme');
    expect(errors('syslog+tcp://logs')).toContain('a syslog sink needs a port');
    expect(errors('https://u:p@siem.example/')).toContain('AUTOGLM_AUDIT_SINK_TOKEN');
    expect(errors('not a url')).toContain('AUTOGLM_AUDIT_SINK="not a url": not a URL');
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

describe('AUTOGLM_CONSOLE_CLIENT_ID', () => {
  const idp = { AUTOGLM_OIDC_ISSUER: 'https://idp.example/realms/corp', AUTOGLM_JWT_AUDIENCE: 'autoglm-api' };
  it('turns on the console\'s IdP sign-in, with the scope asked for', () => {
    const off = loadConfig(idp);
    expect(off.ok && off.config.consoleOidc).toBeUndefined();
    const on = loadConfig({ ...idp, AUTOGLM_CONSOLE_CLIENT_ID: 'autoglm-console', AUTOGLM_CONSOLE_SCOPE: 'openid profile' });
    expect(on.ok && on.config.consoleOidc).toEqual({ clientId: 'autoglm-console', scope: 'openid profile' });
  });

  it('needs an issuer to discover, and scopes separated by single spaces', () => {
    const alone = loadConfig({ AUTOGLM_JWKS_URL: 'https://idp.example/jwks', AUTOGLM_JWT_AUDIENCE: 'a', AUTOGLM_CONSOLE_CLIENT_ID: 'c' });
    expect(!alone.ok && alone.errors.join()).toContain('AUTOGLM_CONSOLE_CLIENT_ID: needs AUTOGLM_OIDC_ISSUER');
    const scope = loadConfig({ ...idp, AUTOGLM_CONSOLE_CLIENT_ID: 'c', AUTOGLM_CONSOLE_SCOPE: 'openid\tprofile' });
    expect(!scope.ok && scope.errors.join()).toContain('AUTOGLM_CONSOLE_SCOPE');
  });
});

const GIB = 1024 ** 3;

/** The pool's section of the configuration of `env`, or a failure naming the errors. */
function poolOf(env: Record<string, string>) {
  const r = loadConfig(env);
  if (!r.ok) throw new Error(r.errors.join());
  return r.config.pool;
}

describe('the pool section', () => {
  it('fills documented defaults', () => {
    expect(poolOf({ REDIS_URL: 'redis://127.0.0.1:6379', AUTOGLM_STATE_DIR: '/var/lib/autoglm' })).toMatchObject({
      backend: 'auto',
      gpuModule: '@tensorflow/tfjs-node-gpu',
      inference: 'thread',
      isolation: 'auto',
      devices: undefined,
      workersExplicit: false,
      modelMemoryBytes: 2 * GIB,
      hangLimitMs: 60_000,
      workerStaleMs: 10_000,
      maxRssBytes: 0,
      artifactsDir: '/var/lib/autoglm/artifacts',
      bundleCacheDir: '/var/lib/autoglm/bundles',
      bundleLimit: 256 * 1024 ** 2,
      bundleMaxEntries: 10_000,
      trainingConcurrency: 1,
    });
  });

  it('reads the pool variables', () => {
    const pool = poolOf({
      REDIS_URL: 'redis://h:1',
      AUTOGLM_TF_BACKEND: 'wasm',
      AUTOGLM_DEVICES: 'gpu:0,cpu*2@1GiB',
      AUTOGLM_WORKERS: '3',
      AUTOGLM_INFERENCE: 'inline',
      AUTOGLM_WORKER_HANG_LIMIT: '5s',
      AUTOGLM_WORKER_MAX_RSS: '3GiB',
      AUTOGLM_MODEL_MEMORY: '512MiB',
      AUTOGLM_TRAINING_CONCURRENCY: '0',
    });
    expect(pool.backend).toBe('wasm');
    expect(pool.devices?.map((d) => d.kind)).toEqual(['gpu', 'cpu']);
    expect(pool).toMatchObject({ workers: 3, workersExplicit: true, inference: 'inline', hangLimitMs: 5000, maxRssBytes: 3 * GIB, modelMemoryBytes: 512 * 1024 ** 2, trainingConcurrency: 0 });
  });

  it('serves the pool health endpoint on 8081 for role pool only, on the node\'s host; off or a port when set', () => {
    const env = { REDIS_URL: 'redis://h:1', AUTOGLM_ENCRYPTION_KEYS: newKeyringSpec('k') };
    const pool = (more: Record<string, string>, argv: string[] = []) => {
      const r = loadConfig({ ...env, ...more }, argv);
      if (!r.ok) throw new Error(r.errors.join('; '));
      return r.config.pool;
    };
    expect(pool({}, ['--role', 'pool'])).toMatchObject({ healthPort: 8081, healthHost: '127.0.0.1' });
    expect(pool({ AUTOGLM_HOST: '0.0.0.0' }, ['--role', 'pool'])).toMatchObject({ healthPort: 8081, healthHost: '0.0.0.0' });
    expect(pool({}).healthPort).toBeUndefined();
    expect(pool({ AUTOGLM_POOL_HEALTH_PORT: 'off' }, ['--role', 'pool']).healthPort).toBeUndefined();
    expect(pool({ AUTOGLM_POOL_HEALTH_PORT: '0' }).healthPort).toBe(0);
    const bad = loadConfig({ ...env, AUTOGLM_POOL_HEALTH_PORT: '99999' });
    expect(bad.ok ? [] : bad.errors).toEqual(['AUTOGLM_POOL_HEALTH_PORT="99999": expected a port (0–65535; 0: any free port) or off']);
  });

  it('deploys the built-in functions unless AUTOGLM_BUILTINS=off', () => {
    const builtins = (v?: string) => {
      const r = loadConfig({ ...(v === undefined ? {} : { AUTOGLM_BUILTINS: v }) });
      if (!r.ok) throw new Error(r.errors.join('; '));
      return r.config.builtins;
    };
    expect([builtins(), builtins('on'), builtins('off')]).toEqual([true, true, false]);
    expect(loadConfig({ AUTOGLM_BUILTINS: 'false' }).ok).toBe(false);
  });

  it('shares the variables the router reads too: one value, one default', () => {
    const r = loadConfig({ AUTOGLM_REDIS_PREFIX: 'p1', AUTOGLM_WORKERS: '2', AUTOGLM_JOB_LOCK: '10s', AUTOGLM_LOG_LEVEL: 'warn', AUTOGLM_REDIS_CA: '/ca.pem', AUTOGLM_BUNDLE_LIMIT: '16MiB', AUTOGLM_BUNDLE_MAX_ENTRIES: '500', AUTOGLM_RESULT_TTL: '2h', AUTOGLM_WORKER_STALE: '3s' });
    if (!r.ok) throw new Error(r.errors.join());
    const { config } = r;
    for (const key of ['prefix', 'workers', 'redisCaFile', 'jobLockMs', 'stalledIntervalMs', 'workerStaleMs', 'shutdownGraceMs', 'logLevel', 'bundleLimit', 'bundleMaxEntries', 'resultTtlMs'] as const) expect(config.pool[key], key).toBe(config[key]);
    expect(config.pool).toMatchObject({ prefix: 'p1', workers: 2, jobLockMs: 10_000, logLevel: 'warn', redisCaFile: '/ca.pem', bundleLimit: 16 * 1024 ** 2, bundleMaxEntries: 500, resultTtlMs: 7_200_000, workerStaleMs: 3000 });
    expect(Object.isFrozen(config.pool)).toBe(true);
  });

  it('checks the key prefix for the pool too', () => {
    const r = loadConfig({ AUTOGLM_ROLE: 'pool', AUTOGLM_REDIS_PREFIX: 'bad prefix' });
    expect(!r.ok && r.errors.join()).toContain('AUTOGLM_REDIS_PREFIX');
  });

  it('reports every bad variable at once, with the router’s', () => {
    const r = loadConfig({ AUTOGLM_TF_BACKEND: 'webgpu', AUTOGLM_DEVICES: 'tpu:0', AUTOGLM_INFERENCE: 'fork', AUTOGLM_WORKER_HANG_LIMIT: '10ms', AUTOGLM_WORKER_STALE: '500ms', AUTOGLM_ROUTER_URL: 'ftp://x', AUTOGLM_PORT: 'eighty', AUTOGLM_TRAINING_CONCURRENCY: '-1' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const text = r.errors.join('\n');
    for (const key of ['AUTOGLM_TF_BACKEND', 'AUTOGLM_DEVICES', 'AUTOGLM_INFERENCE', 'AUTOGLM_WORKER_HANG_LIMIT', 'AUTOGLM_WORKER_STALE', 'AUTOGLM_ROUTER_URL', 'AUTOGLM_PORT', 'AUTOGLM_TRAINING_CONCURRENCY']) expect(text).toContain(key);
    expect(r.errors).toHaveLength(8);
  });
});

describe('AUTOGLM_POOL_NAMESPACES', () => {
  const read = (v: string | undefined) => loadConfig({ REDIS_URL: 'redis://h:1', ...(v === undefined ? {} : { AUTOGLM_POOL_NAMESPACES: v }) });
  it('is every namespace unless set; exclusions alone mean all but those', () => {
    const scope = (v: string | undefined) => {
      const r = read(v);
      if (!r.ok) throw new Error(r.errors.join());
      return r.config.pool.namespaces;
    };
    expect(scope(undefined)).toBeUndefined();
    expect(scope('*')).toBeUndefined();
    expect(scope('team-a, team-b')).toEqual(['team-a', 'team-b']);
    expect(scope('!team-a')).toEqual(['*', '!team-a']);
    expect(scope('*,!team-a')).toEqual(['*', '!team-a']);
  });

  it('refuses what is not a namespace, naming it', () => {
    for (const v of ['Team', 'a,,b:c', ' , ']) {
      const r = read(v);
      expect(r.ok, v).toBe(false);
      expect(!r.ok && r.errors.join()).toContain('AUTOGLM_POOL_NAMESPACES');
    }
  });
});

describe('childEnv', () => {
  it('passes on what child processes need that is not configuration, and no configuration', () => {
    const r = loadConfig({ PATH: '/bin', HOME: '/home/a', CUDA_VISIBLE_DEVICES: '1', OTEL_SERVICE_NAME: 'x', OTEL_EXPORTER_OTLP_HEADERS: 'k=v', AUTOGLM_JWT_SECRET: 'j'.repeat(32), REDIS_URL: 'redis://:pw@h:1', SHELL: '/bin/sh' });
    if (!r.ok) throw new Error(r.errors.join());
    expect(r.config.childEnv).toEqual({ PATH: '/bin', HOME: '/home/a', CUDA_VISIBLE_DEVICES: '1', OTEL_SERVICE_NAME: 'x', OTEL_EXPORTER_OTLP_HEADERS: 'k=v' });
  });
});

describe('AUTOGLM_FEEDBACK_TTL', () => {
  it('keeps feedback 180 days by default, takes a duration, and refuses one below a minute', () => {
    expect(loadConfig({})).toMatchObject({ ok: true, config: { feedbackTtlMs: 180 * 86_400_000 } });
    expect(loadConfig({ AUTOGLM_FEEDBACK_TTL: '30d' })).toMatchObject({ ok: true, config: { feedbackTtlMs: 30 * 86_400_000 } });
    const bad = loadConfig({ AUTOGLM_FEEDBACK_TTL: '5s' });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.errors.join('\n')).toContain('AUTOGLM_FEEDBACK_TTL');
  });
});

describe('AUTOGLM_KNOWLEDGE_LIMIT', () => {
  it('limits a knowledge collection to 16 MiB by default, takes a size, and refuses what is not one', () => {
    expect(loadConfig({})).toMatchObject({ ok: true, config: { knowledgeLimit: 16 * 1024 ** 2 } });
    expect(loadConfig({ AUTOGLM_KNOWLEDGE_LIMIT: '64MiB' })).toMatchObject({ ok: true, config: { knowledgeLimit: 64 * 1024 ** 2 } });
    const bad = loadConfig({ AUTOGLM_KNOWLEDGE_LIMIT: 'lots' });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.errors.join('\n')).toContain('AUTOGLM_KNOWLEDGE_LIMIT');
  });
});

describe('AUTOGLM_RESULT_CACHE', () => {
  it('is on by default, off turns it off, and anything else is refused by name', () => {
    expect(loadConfig({})).toMatchObject({ ok: true, config: { resultCache: true } });
    expect(loadConfig({ AUTOGLM_RESULT_CACHE: 'off' })).toMatchObject({ ok: true, config: { resultCache: false } });
    const bad = loadConfig({ AUTOGLM_RESULT_CACHE: 'maybe' });
    expect(!bad.ok && bad.errors.join('\n')).toContain('AUTOGLM_RESULT_CACHE');
  });
});
