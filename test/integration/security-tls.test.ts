import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../runtime/launcher/embedded-redis.ts';
import { answersPing } from '../harness/redis.ts';
import { eventually, startPlatform } from '../harness/platform.ts';
import { makeCertificates } from '../harness/test-ca.ts';

let dir: string;
let redis: ChildProcess;
let redisUrl: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'autoglm-tls-'));
  makeCertificates(dir);
  // Redis over TLS only, with an ACL user and the default user disabled.
  const port = await freePort();
  writeFileSync(join(dir, 'users.acl'), 'user default off\nuser autoglm on >s3cret-pass ~* &* +@all\n');
  redis = spawn('redis-server', ['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--tls-cert-file', join(dir, 'server.crt'), '--tls-key-file', join(dir, 'server.key'), '--tls-ca-cert-file', join(dir, 'ca.crt'), '--tls-auth-clients', 'no', '--aclfile', join(dir, 'users.acl'), '--maxmemory-policy', 'noeviction', '--save', '', '--dir', dir], { stdio: 'ignore' });
  redisUrl = `rediss://autoglm:s3cret-pass@127.0.0.1:${port}`;
  // Ready when it answers a PING over TLS, as the platform will talk to it.
  await eventually(async () => {
    if (redis.exitCode !== null) throw new Error(`redis-server exited with ${redis.exitCode}`);
    return answersPing(redisUrl, { tls: { ca: readFileSync(join(dir, 'ca.crt')) } });
  }, 'redis-server to answer over TLS');
});
afterAll(() => {
  redis?.kill();
  rmSync(dir, { recursive: true, force: true });
});

/** An HTTPS GET with our CA, and a chosen TLS version range. */
function get(url: string, o: { maxVersion?: 'TLSv1.2' | 'TLSv1.3' } = {}): Promise<{ status: number; protocol: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca: readFileSync(join(dir, 'ca.crt')), ...(o.maxVersion ? { maxVersion: o.maxVersion } : {}) }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, protocol: (res.socket as import('node:tls').TLSSocket).getProtocol() ?? '' });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('TLS', () => {
  it('serves HTTPS with TLS 1.3 only, and talks to Redis over TLS with ACL credentials', async () => {
    const p = await startPlatform(redisUrl, {
      env: { AUTOGLM_TLS_CERT: join(dir, 'server.crt'), AUTOGLM_TLS_KEY: join(dir, 'server.key'), AUTOGLM_REDIS_CA: join(dir, 'ca.crt') },
      deploy: false,
    });
    try {
      expect(p.url).toMatch(/^https:/);
      const ok = await get(`${p.url}/readyz`);
      expect(ok.status).toBe(200);
      expect(ok.protocol).toBe('TLSv1.3');
      await expect(get(`${p.url}/healthz`, { maxVersion: 'TLSv1.2' })).rejects.toThrow();
      // A wrong Redis password is refused by the server: the platform is really using the ACL user.
      const { Redis } = await import('ioredis');
      const bad = new Redis(redisUrl.replace('s3cret-pass', 'wrong'), { tls: { ca: readFileSync(join(dir, 'ca.crt')) }, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      bad.on('error', () => undefined);
      await expect(bad.connect()).rejects.toThrow();
      bad.disconnect();
    } finally {
      await p.stop();
    }
  });
});
