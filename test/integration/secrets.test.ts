import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildBundle } from '../../runtime/bundles/build-bundle.ts';
import { eventually, type TestPlatform } from '../harness/platform.ts';
import { dumpRedis } from '../harness/redis.ts';
import { fixturePath, poolSuite } from './pool-helpers.ts';

// signer signs texts with the sign-key secret as its `load` read it; signer-inline is the same
// code on the worker's main thread (isolation: inline).
const suite = poolSuite('secrets');
const FIRST = 'k1-Zt8q0vW3-first-value';
const SECOND = 'k2-Hn5e7yR1-second-value';
const sig = (key: string, text: string) => createHmac('sha256', key).update(text).digest('hex');

const deploy = async (p: TestPlatform, fn: string, namespace?: string) => {
  const b = await buildBundle(fixturePath(`functions/${fn}`), { typecheck: false });
  return p.api.deploy(b.archive, b.hash, namespace ? { namespace } : {}).catch((err: { status: number; problem: any }) => ({ status: err.status, body: err.problem }));
};
const sign = async (p: TestPlatform, fn: string, text: string) => (await p.call('POST', `/v1/functions/${fn}/invoke`, { input: { text } })).json;

describe('secrets', () => {
  it('a function reads the secrets its manifest lists as ctx.secrets, in load and in handle, on the thread and inline; a new value reaches it without a deploy', async () => {
    const p = await suite.start();
    // Listing a secret the namespace lacks: refused at deploy, naming it.
    const early = await deploy(p, 'signer');
    expect(early.status).toBe(404);
    expect(early.body).toMatchObject({ code: 'SECRET_NOT_FOUND', field: 'secrets', secrets: ['sign-key'] });
    expect((await p.call('GET', '/v1/functions/signer')).status).toBe(404);

    const created = await p.call('PUT', '/v1/secrets/sign-key', { value: FIRST });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/v1/secrets/sign-key?namespace=default');
    expect(created.json).toMatchObject({ name: 'sign-key', namespace: 'default', size: FIRST.length, updatedBy: 'test-admin', usedBy: [] });
    for (const fn of ['signer', 'signer-inline']) expect((await deploy(p, fn)).status).toBe(201);
    for (const fn of ['signer', 'signer-inline']) {
      expect(await sign(p, fn, 'pay 100')).toMatchObject({ output: { sig: sig(FIRST, 'pay 100'), sameAsLoad: true, frozen: true, names: ['sign-key'] } });
    }

    // A new value: the versions that list it load again, with no deploy.
    const updated = await p.call('PUT', '/v1/secrets/sign-key', { value: SECOND });
    expect(updated.status).toBe(200);
    expect(updated.json.usedBy).toEqual(['signer', 'signer-inline']);
    for (const fn of ['signer', 'signer-inline']) {
      await eventually(async () => (await sign(p, fn, 'pay 200')).output?.sig === sig(SECOND, 'pay 200'), `${fn} to sign with the new value`);
      expect((await sign(p, fn, 'pay 300')).output).toMatchObject({ sig: sig(SECOND, 'pay 300'), sameAsLoad: true });
    }
    // Logged by mistake, masked before it left the worker: for ctx.log and console alike.
    const logged = await eventually(async () => {
      const lines = (await p.call('GET', '/v1/functions/signer/logs?limit=1000')).json.lines as { msg: string; fields?: unknown }[];
      return lines.some((l) => l.msg === 'the key is ***') && lines;
    }, "signer's log lines");
    expect(logged.filter((l) => l.msg === 'signing with ***').map((l) => l.fields)).toContainEqual({ key: '***' });
    expect(JSON.stringify(logged)).not.toMatch(/k1-|k2-/);
    const versions = await p.call('GET', '/v1/functions/signer/versions');
    expect(versions.json.items[0].secrets).toEqual(['sign-key']);

    // Nowhere in Redis, and never in an answer, in plain text.
    const everything = await dumpRedis(p.redis);
    expect(everything).toContain(`${p.prefix}:secrets:default`);
    expect(everything).not.toContain(FIRST);
    expect(everything).not.toContain(SECOND);
    const list = await p.call('GET', '/v1/secrets');
    expect(list.json.items).toEqual([expect.objectContaining({ name: 'sign-key', size: SECOND.length, usedBy: ['signer', 'signer-inline'] })]);
    expect(JSON.stringify([created.json, updated.json, list.json, (await p.call('GET', '/v1/secrets/sign-key')).json])).not.toMatch(/k1-|k2-/);

    // Removal is refused while serving versions list it; forced, their next load fails, saying why.
    const inUse = await p.call('DELETE', '/v1/secrets/sign-key');
    expect(inUse.status).toBe(409);
    expect(inUse.json).toMatchObject({ code: 'SECRET_IN_USE', functions: ['signer', 'signer-inline'] });
    expect((await p.call('DELETE', '/v1/secrets/sign-key?force=true')).status).toBe(204);
    expect((await p.call('GET', '/v1/secrets/sign-key')).status).toBe(404);
    const failed = await eventually(async () => {
      const r = await p.call('POST', '/v1/functions/signer/invoke', { input: { text: 'x' } });
      return r.json?.code === 'SECRET_NOT_FOUND' && r;
    }, 'signer to fail for want of its secret');
    expect(failed.json.detail).toMatch(/no secret 'sign-key'/);
  });

  it('secrets belong to a namespace; deployers set them, viewers see names, invokers nothing; changes are audited without the value', async () => {
    const p = await suite.start();
    expect((await p.call('PUT', '/v1/secrets/sign-key?namespace=team-a', { value: FIRST })).status).toBe(201);
    // The default namespace has no such secret, so a function there may not list it.
    expect((await deploy(p, 'signer')).body).toMatchObject({ code: 'SECRET_NOT_FOUND' });
    expect((await deploy(p, 'signer', 'team-a')).status).toBe(201);
    expect((await sign(p, 'signer', 'a')).output.sig).toBe(sig(FIRST, 'a'));
    expect((await p.call('GET', '/v1/secrets')).json.items).toEqual([]);

    const as = async (roles: string[], namespaces: string[], method: string, path: string, body?: unknown) => {
      const token = await p.router.verifier.mint({ sub: `${roles[0]}-${namespaces[0]}`, roles, namespaces });
      return (await p.call(method, path, body, { authorization: `Bearer ${token}` })).status;
    };
    expect(await as(['deployer'], ['team-a'], 'PUT', '/v1/secrets/other?namespace=team-a', { value: 'v' })).toBe(201);
    expect(await as(['deployer'], ['team-b'], 'PUT', '/v1/secrets/other?namespace=team-a', { value: 'v' })).toBe(403);
    expect(await as(['viewer'], ['team-a'], 'GET', '/v1/secrets?namespace=team-a')).toBe(200);
    expect(await as(['viewer'], ['team-a'], 'PUT', '/v1/secrets/other?namespace=team-a', { value: 'v' })).toBe(403);
    expect(await as(['viewer'], ['team-a'], 'DELETE', '/v1/secrets/other?namespace=team-a')).toBe(403);
    expect(await as(['invoker'], ['team-a'], 'GET', '/v1/secrets?namespace=team-a')).toBe(403);
    expect(await as(['deployer'], ['team-a'], 'DELETE', '/v1/secrets/other?namespace=team-a')).toBe(204);

    const audit = await eventually(async () => {
      const r = await p.call('GET', '/v1/audit?action=secret.set');
      return r.json.items.length >= 2 && r.json.items;
    }, 'the audit records of secret.set');
    expect(audit.map((e: any) => e.detail.secret).sort()).toEqual(['other', 'sign-key']);
    expect(audit.find((e: any) => e.detail.secret === 'sign-key')).toMatchObject({ actor: 'test-admin', namespace: 'team-a', outcome: 'ok' });
    const removed = await eventually(async () => (await p.call('GET', '/v1/audit?action=secret.remove')).json.items[0], 'the audit record of secret.remove');
    expect(removed).toMatchObject({ actor: 'deployer-team-a', namespace: 'team-a', detail: { secret: 'other' } });
    expect(JSON.stringify(audit)).not.toContain(FIRST);
  });

  it("a function's error carrying a secret's value reaches no caller with it, and Redis neither the value nor the error's text in the clear", async () => {
    const p = await suite.start();
    const KEY = 'crm-Qw7x2Lp9-secret-value';
    expect((await p.call('PUT', '/v1/secrets/crm-key', { value: KEY })).status).toBe(201);
    expect((await deploy(p, 'leaky')).status).toBe(201);

    const sync = await p.call('POST', '/v1/functions/leaky/invoke', { input: { how: 'throw' } });
    expect(sync.status).toBe(500);
    expect(sync.json.detail).toBe('the CRM refused key ***');

    const job = await p.call('POST', '/v1/functions/leaky/jobs', { input: { how: 'throw' } });
    const failed = await eventually(async () => {
      const j = (await p.call('GET', `/v1/jobs/${job.json.id}?wait=5s`)).json;
      return j.status === 'failed' && j;
    }, 'the job to fail');
    expect(failed.error.message).toBe('the CRM refused key ***');

    const bulk = await p.call('POST', '/v1/functions/leaky/jobs', { inputs: [{ how: 'ok' }, { how: 'return' }, { how: 'throw' }] });
    const ended = await eventually(async () => {
      const j = (await p.call('GET', `/v1/jobs/${bulk.json.id}?wait=5s`)).json;
      return j.status === 'succeeded' && j;
    }, 'the bulk job to end');
    expect(ended.items.map((it: { status: string }) => it.status)).toEqual(['succeeded', 'failed', 'failed']);
    expect(ended.items[1].error.message).toBe('the CRM refused key *** for this item');
    expect(ended.items[2].error).toMatchObject({ code: 'CRM_REFUSED', message: 'the CRM refused key ***' });
    expect((await p.call('GET', `/v1/jobs/${bulk.json.id}.1`)).json.error.message).toBe('the CRM refused key *** for this item');

    const everything = await dumpRedis(p.redis);
    expect(everything).toContain(job.json.id);
    expect(everything).not.toContain(KEY);
    // Not even masked: what a function's error says is sealed, like its output.
    expect(everything).not.toContain('the CRM refused');
    expect(everything).not.toContain('CRM_REFUSED');
  });

  it('bad requests get a problem naming the field', async () => {
    const p = await suite.start();
    const cases: [string, string, unknown, string][] = [
      ['PUT', '/v1/secrets/Bad_Name', { value: 'v' }, 'name'],
      ['PUT', '/v1/secrets/ok', { value: 1 }, 'value'],
      ['PUT', '/v1/secrets/ok', { value: '' }, 'value'],
      ['PUT', '/v1/secrets/ok', { value: 'v', extra: true }, 'extra'],
      ['PUT', '/v1/secrets/ok', { value: 'x'.repeat(64 * 1024 + 1) }, 'value'],
      ['PUT', '/v1/secrets/ok?namespace=Team', { value: 'v' }, 'namespace'],
      ['DELETE', '/v1/secrets/ok?force=yes', undefined, 'force'],
    ];
    for (const [method, path, body, field] of cases) {
      const r = await p.call(method, path, body);
      expect([r.status, r.json.field], `${method} ${path}`).toEqual([400, field]);
      expect(r.headers.get('content-type')).toMatch(/problem\+json/);
    }
    expect((await p.call('DELETE', '/v1/secrets/absent')).json).toMatchObject({ status: 404, code: 'SECRET_NOT_FOUND', field: 'name' });
  });
});
