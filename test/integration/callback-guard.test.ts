import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type HttpReceiver } from '../harness/http-receiver.ts';
import { eventually, startPlatform, type TestPlatform } from '../harness/platform.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';
import { tableResolver, type ResolverTable } from '../harness/resolver.ts';
import { makeCertificates } from '../harness/test-ca.ts';

// Callbacks as a way in (SSRF): a router posts a job's result wherever the invoker says, so where
// it may post is checked at submission, and again, address by address, when it connects.

let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  await redis?.destroy();
});

const submit = (p: TestPlatform, callbackUrl: string, body: Record<string, unknown> = { input: {} }) => p.call('POST', '/v1/functions/echo/jobs', { ...body, callbackUrl });

/** Expects `r` to be the 400 problem refusing the callback URL, and returns its detail. */
function refused(r: Awaited<ReturnType<typeof submit>>): string {
  expect(r.status, JSON.stringify(r.json)).toBe(400);
  expect(r.headers.get('content-type')).toContain('application/problem+json');
  expect(r.json).toMatchObject({ code: 'CALLBACK_URL_REFUSED', field: 'callbackUrl', in: 'body' });
  return r.json.detail;
}

describe('the default rules (AUTOGLM_CALLBACK_ALLOW unset)', () => {
  let p: TestPlatform;
  // No pool: accepted jobs stay queued, so nothing is ever delivered to the addresses tried here.
  beforeAll(async () => {
    p = await startPlatform(redis.url, { pool: false });
  });
  afterAll(async () => {
    await p?.stop();
  });

  it.each([
    ['http://169.254.169.254/latest/meta-data/iam/', '169.254.169.254 is a link-local address'],
    ['http://127.0.0.1:6379/', '127.0.0.1 is a loopback address'],
    ['http://[::1]:8080/', '[::1] is a loopback address'],
    ['http://[::ffff:127.0.0.1]:8080/', '[::ffff:7f00:1] is a loopback address'],
    ['http://0.0.0.0:8080/', '0.0.0.0 is an unspecified address'],
    ['http://[fe80::1]/', '[fe80::1] is a link-local address'],
    ['http://[64:ff9b::a9fe:a9fe]/', '[64:ff9b::a9fe:a9fe] is a link-local address'],
  ])('refuses %s at submission: 400 naming callbackUrl', async (url, why) => {
    expect(refused(await submit(p, url))).toBe(`callbackUrl: ${why}`);
  });

  it('refuses a bulk job with a refused callbackUrl too', async () => {
    expect(refused(await submit(p, 'http://169.254.169.254/', { inputs: [{}, {}] }))).toBe('callbackUrl: 169.254.169.254 is a link-local address');
  });

  it('refuses a host name that resolves to a refused address (localhost), and one that does not resolve', async () => {
    expect(refused(await submit(p, 'http://localhost:8080/hook'))).toMatch(/^callbackUrl: localhost resolves to (127\.0\.0\.1|::1), a loopback address$/);
    expect(refused(await submit(p, 'http://no-such-host.invalid/hook'))).toBe('callbackUrl: no-such-host.invalid does not resolve');
  });

  it.each([
    ['ftp://192.0.2.2/x', 'ftp:'],
    ['file:///etc/passwd', 'file:'],
    ['gopher://127.0.0.1:6379/_PING', 'gopher:'],
  ])('refuses the scheme of %s: 400 CALLBACK_URL_REFUSED saying which schemes are allowed', async (url, scheme) => {
    expect(refused(await submit(p, url))).toBe(`callbackUrl: only http: and https: URLs are allowed, not ${scheme}`);
  });

  it('admits internal addresses (on-prem receivers are internal by nature)', async () => {
    for (const url of ['http://10.1.2.3:9000/hook', 'https://192.168.4.5/', 'http://[fd00::1]/hook']) {
      const r = await submit(p, url);
      expect(r.status, `${url}: ${JSON.stringify(r.json)}`).toBe(202);
    }
  });

  it('records the refused submission in the audit trail with its code', async () => {
    expect((await submit(p, 'http://169.254.169.254/')).status).toBe(400);
    await eventually(async () => {
      const items = (await p.call('GET', '/v1/audit?action=job.submit&limit=100')).json.items as { outcome: string; code?: string }[];
      return items.some((i) => i.outcome === 'error' && i.code === 'CALLBACK_URL_REFUSED');
    }, 'the audit record of the refused submission');
  });
});

describe('AUTOGLM_CALLBACK_ALLOW=127.0.0.0/31,hooks.test,*.corp.test', () => {
  let p: TestPlatform;
  // DNS as the router sees it; tests change it between submission and delivery.
  const dns: ResolverTable = {
    'hooks.test': ['10.0.0.1'],
    'crm.corp.test': ['10.0.0.2'],
    'corp.test': ['10.0.0.3'],
    'other.test': ['10.0.0.4'],
    'metadata.corp.test': ['169.254.169.254'],
  };
  const receivers: HttpReceiver[] = [];
  const receiver = async (host: string, answer?: Parameters<typeof startReceiver>[1], tls?: Parameters<typeof startReceiver>[2]) => {
    const r = await startReceiver(host, answer, tls);
    receivers.push(r);
    return r;
  };

  // An HTTPS receiver's certificate, from a private CA the routers trust (AUTOGLM_CALLBACK_CA).
  const certDir = mkdtempSync(join(tmpdir(), 'autoglm-hook-ca-'));
  const certs = makeCertificates(certDir, ['DNS:tls.corp.test']);

  beforeAll(async () => {
    // The pool starts in the first delivery test, once DNS has changed under a queued job.
    p = await startPlatform(redis.url, { pool: false, env: { AUTOGLM_CALLBACK_ALLOW: '127.0.0.0/31,hooks.test,*.corp.test', AUTOGLM_CALLBACK_CA: certs.ca }, resolveHost: tableResolver(dns) });
  });
  afterAll(async () => {
    await p?.stop();
    await Promise.all(receivers.map((r) => r.close()));
    rmSync(certDir, { recursive: true, force: true });
  });

  /** The job's view once its callback delivery has ended (delivered or failed). */
  const deliveryOf = (id: string) =>
    eventually(async () => {
      const j = (await p.call('GET', `/v1/jobs/${id}`)).json;
      return (j.callback?.status === 'delivered' || j.callback?.status === 'failed') && j;
    }, `the delivery of ${id} to end`);

  it.each([
    ['http://hooks.test/hook', 202],
    ['http://crm.corp.test/hook', 202],
    ['http://127.0.0.1:9/hook', 202], // the subnet entry covers this loopback address: allowed explicitly
    ['http://corp.test/hook', 400], // *.corp.test lists the names under it, not corp.test itself
    ['http://other.test/hook', 400],
    ['http://10.0.0.9/hook', 400],
    ['http://127.0.0.2/hook', 400], // loopback, outside the subnet entry
    ['http://metadata.corp.test/', 400], // a listed name never admits a refused address
  ])('%s: %i at submission', async (url, status) => {
    const r = await submit(p, url);
    expect(r.status, JSON.stringify(r.json)).toBe(status);
    if (status === 400) refused(r);
    // Cancelled while no pool runs: the pool started below must not post to these addresses.
    else expect((await p.call('DELETE', `/v1/jobs/${r.json.id}`)).status).toBe(200);
  });

  it('refuses a delivery whose name resolves to a refused address by then (DNS rebinding): failed at once, nothing sent', async () => {
    const inside = await receiver('127.0.0.2');
    dns['rebind.corp.test'] = ['127.0.0.1'];
    const r = await submit(p, `http://rebind.corp.test:${inside.port}/hook`);
    expect(r.status, JSON.stringify(r.json)).toBe(202);
    dns['rebind.corp.test'] = ['127.0.0.2'];
    await p.startPool();
    const job = await deliveryOf(r.json.id);
    expect(job.status).toBe('succeeded');
    expect(job.callback).toMatchObject({ status: 'failed', attempts: 1, refused: 'callbackUrl: rebind.corp.test resolves to 127.0.0.2, a loopback address' });
    expect(inside.received).toHaveLength(0);
    // The router audits the refused delivery, as it does a refused submission.
    const audited = (await p.call('GET', `/v1/audit?action=webhook.refused`)).json.items;
    expect(audited).toMatchObject([{ actor: 'system', jobId: r.json.id, outcome: 'error', code: 'CALLBACK_URL_REFUSED', detail: { reason: 'callbackUrl: rebind.corp.test resolves to 127.0.0.2, a loopback address' } }]);
  });

  it('delivers to an allowed name at the address it was checked at', async () => {
    const hook = await receiver('127.0.0.1');
    dns['hooks.corp.test'] = ['127.0.0.1'];
    const r = await submit(p, `http://hooks.corp.test:${hook.port}/hook`);
    expect(r.status, JSON.stringify(r.json)).toBe(202);
    const job = await deliveryOf(r.json.id);
    expect(job.callback).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(job.callback.refused).toBeUndefined();
    expect(hook.received.map((x) => [x.method, x.path, x.headers.host])).toEqual([['POST', '/hook', `hooks.corp.test:${hook.port}`]]);
  });

  it('delivers over HTTPS to a receiver whose certificate names the URL\'s host (a private CA), and not to one whose certificate does not', async () => {
    const hook = await receiver('127.0.0.1', undefined, { cert: readFileSync(certs.cert, 'utf8'), key: readFileSync(certs.key, 'utf8') });
    dns['tls.corp.test'] = ['127.0.0.1'];
    dns['other-tls.corp.test'] = ['127.0.0.1'];
    const good = await submit(p, `https://tls.corp.test:${hook.port}/good`);
    expect(good.status, JSON.stringify(good.json)).toBe(202);
    expect((await deliveryOf(good.json.id)).callback).toMatchObject({ status: 'delivered', attempts: 1 });
    // Same address, another name: the certificate is checked against the name, not the pinned address.
    const bad = await submit(p, `https://other-tls.corp.test:${hook.port}/bad`);
    expect(bad.status, JSON.stringify(bad.json)).toBe(202);
    const tried = await eventually(async () => {
      const j = (await p.call('GET', `/v1/jobs/${bad.json.id}`)).json;
      return j.callback?.attempts >= 1 && j;
    }, 'the first delivery attempt to other-tls.corp.test');
    expect(tried.callback.status).toBe('pending'); // a TLS failure is retried, not refused
    expect(tried.callback.refused).toBeUndefined();
    expect(hook.received.map((r) => r.path)).toEqual(['/good']);
  });

  it('does not follow a receiver that redirects to a refused address: the delivery fails at once and the target gets nothing', async () => {
    const target = await receiver('127.0.0.2');
    const hook = await receiver('127.0.0.1', (res) => res.writeHead(307, { location: `${target.origin}/admin` }).end());
    const r = await submit(p, `${hook.origin}/hook`);
    expect(r.status, JSON.stringify(r.json)).toBe(202);
    const job = await deliveryOf(r.json.id);
    expect(job.callback).toMatchObject({ status: 'failed', attempts: 1, refused: 'callbackUrl: the receiver answered 307; redirects are not followed' });
    expect(hook.received).toHaveLength(1);
    expect(target.received).toHaveLength(0);
  });
});
