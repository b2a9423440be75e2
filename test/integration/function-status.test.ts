import { describe, expect, it } from 'vitest';
import { buildBundle } from '../../runtime/bundles/build-bundle.ts';
import { eventually, type TestPlatform } from '../harness/platform.ts';
import { fixturePath, poolSuite } from './pool-helpers.ts';

const suite = poolSuite('function-status');

/** A platform with `impostor` deployed: its errors try to set the router's answer. */
async function start(): Promise<TestPlatform> {
  const p = await suite.start();
  const b = await buildBundle(fixturePath('functions/impostor'), { typecheck: false });
  await p.api.deploy(b.archive, b.hash, {});
  return p;
}

/** Invokes `impostor` synchronously without following redirects; the answer as it came. */
async function invoke(p: TestPlatform, as: string): Promise<{ status: number; headers: Headers; json: any }> {
  const res = await fetch(`${p.url}/v1/functions/impostor/invoke`, {
    method: 'POST',
    redirect: 'manual',
    headers: { authorization: `Bearer ${p.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ input: { as } }),
    signal: AbortSignal.timeout(15_000),
  });
  return { status: res.status, headers: res.headers, json: await res.json() };
}

describe("a function's error does not set the router's answer", () => {
  it('status 200 in its extras: answered 500 with its code, the extras under details', async () => {
    const p = await start();
    const r = await invoke(p, '200');
    expect(r.status).toBe(500);
    expect(r.headers.get('content-type')).toBe('application/problem+json');
    expect(r.json).toMatchObject({ status: 500, title: 'Internal Server Error', code: 'ALL_GOOD', detail: 'nothing to see', details: { status: 200, title: 'OK' } });
  });

  it('status 302 with a location, thrown or returned for its item: 500, no redirect, no Location', async () => {
    const p = await start();
    for (const as of ['302', 'returned']) {
      const r = await invoke(p, as);
      expect(r.status, as).toBe(500);
      expect(r.headers.get('location')).toBeNull();
      expect(r.json.type).toBe('urn:autoglm:problem:moved');
      expect(r.json.location).toBeUndefined();
      expect(r.json.details).toMatchObject({ status: 302, location: expect.stringContaining('https://evil.example/') });
    }
  });

  it("the platform's UNAUTHORIZED code: 500 FUNCTION_ERROR, the code it asked for under details; its job says the same", async () => {
    const p = await start();
    const r = await invoke(p, '401');
    expect(r.status).toBe(500);
    expect(r.json).toMatchObject({ code: 'FUNCTION_ERROR', detail: 'your token expired, log in again', details: { code: 'UNAUTHORIZED' } });
    const job = await p.call('POST', '/v1/functions/impostor/jobs', { input: { as: '401' } });
    const failed = await eventually(async () => {
      const j = (await p.call('GET', `/v1/jobs/${job.json.id}?wait=5s`)).json;
      return j.status === 'failed' && j;
    }, 'the job to fail');
    expect(failed.error).toMatchObject({ code: 'FUNCTION_ERROR', details: { code: 'UNAUTHORIZED' } });
  });

  it('status 101 and a forged instance: 500 with the request\'s own instance', async () => {
    const p = await start();
    const r = await invoke(p, '101');
    expect(r.status).toBe(500);
    expect(r.json.instance).toMatch(/^urn:autoglm:request:[0-9a-f]+$/);
    expect(r.json.details).toEqual({ status: 101, instance: 'urn:autoglm:request:forged' });
  });

  it('status 100, which hung the request: answered at once, 500', async () => {
    const p = await start();
    const r = await invoke(p, '100');
    expect(r.status).toBe(500);
    expect(r.json).toMatchObject({ code: 'CONTINUE', details: { status: 100 } });
  });
});
