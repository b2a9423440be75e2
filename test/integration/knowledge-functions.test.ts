import { describe, expect, it } from 'vitest';
import { launchFor, probeLaunch } from '../../gpu-pool/sandbox-launch.ts';
import { KnowledgeStore, PayloadCipher, newKeyringSpec, parseKeyring } from '../../queue/cluster/index.ts';
import { buildBundle } from '../../runtime/bundles/build-bundle.ts';
import { eventually, type TestPlatform } from '../harness/platform.ts';
import { fixturePath, poolSuite, workers } from './pool-helpers.ts';

// grounded answers with the first document of its `policies` collection and the collection
// version, as its `load` read them. Collections are put with the store itself: the API and CLI
// for them have tests of their own.
const suite = poolSuite('knowledge-functions');
const KEYS = newKeyringSpec('kn');
const ring = parseKeyring(KEYS);
const store = (p: TestPlatform) => new KnowledgeStore(p.redis, p.prefix, new PayloadCipher(ring.ok ? ring.ring : (undefined as never)));
const file = (path: string, text: string) => ({ path, data: Buffer.from(text) });

const sandboxMissing = await probeLaunch(launchFor('sandbox'));
if (sandboxMissing) console.warn(`knowledge-functions: the sandbox level is SKIPPED: bubblewrap cannot run here (${sandboxMissing})`);

const deploy = async (p: TestPlatform) => {
  const b = await buildBundle(fixturePath('functions/grounded'), { typecheck: false });
  return p.api.deploy(b.archive, b.hash, {}).catch((err: { status: number; problem: any }) => ({ status: err.status, body: err.problem }));
};
const invoke = (p: TestPlatform) => p.call('POST', '/v1/functions/grounded/invoke', { input: {} });

describe('knowledge collections reach functions', () => {
  it.each([
    { level: 'thread', skip: false },
    { level: 'sandbox', skip: sandboxMissing !== undefined },
  ])('at isolation $level: load reads the collections its manifest lists; a new version reaches it without a deploy, and each result names the version it used', async ({ level, skip }) => {
    if (skip) return;
    const p = await suite.start({ env: { AUTOGLM_ENCRYPTION_KEYS: KEYS, AUTOGLM_ISOLATION: level } });
    const knowledge = store(p);
    expect((await workers(p))[0]!.isolation).toBe(level);

    // Naming a collection the namespace lacks: refused at deploy, naming it, before any load.
    const early = await deploy(p);
    expect(early.status).toBe(404);
    expect(early.body).toMatchObject({ code: 'KNOWLEDGE_MISSING', field: 'knowledge', in: 'manifest', collections: ['policies'] });
    expect(early.body.detail).toMatch(/no knowledge collection 'policies'/);
    expect((await p.call('GET', '/v1/functions/grounded')).status).toBe(404);

    const v1 = (await knowledge.put('default', 'policies', [file('refunds.md', 'Refunds within 14 days.')], 'test')).info.version;
    expect((await deploy(p)).status).toBe(201);
    expect((await p.call('GET', '/v1/functions/grounded/versions')).json.items[0].knowledge).toEqual(['policies']);
    const first = await invoke(p);
    expect(first.status).toBe(200);
    expect(first.json.output).toEqual({ text: 'Refunds within 14 days.', version: v1, documents: 1, names: ['policies'], sameAsLoad: true, frozen: true });
    expect(first.json.knowledge).toEqual({ policies: v1 });
    expect((await p.call('GET', `/v1/jobs/${first.headers.get('x-job-id')}`)).json).toMatchObject({ status: 'succeeded', knowledge: { policies: v1 } });

    // A new version, megabytes of it (it crosses to a sandbox in parts): no deploy, the next loads read it.
    const bulk = Array.from({ length: 40 }, (_, i) => file(`z/bulk-${String(i).padStart(2, '0')}.txt`, `${i} `.repeat(40_000)));
    const v2 = (await knowledge.put('default', 'policies', [file('refunds.md', 'Refunds within 30 days.'), ...bulk], 'test')).info.version;
    expect(v2).not.toBe(v1);
    const second = await eventually(async () => {
      const r = await invoke(p);
      return r.json.output?.version === v2 && r;
    }, `grounded to load policies ${v2}`);
    expect(second.json.output).toMatchObject({ text: 'Refunds within 30 days.', documents: 41, sameAsLoad: true, frozen: true });
    expect(second.json.knowledge).toEqual({ policies: v2 });
    const job = await p.call('POST', '/v1/functions/grounded/jobs', { input: {} });
    expect(job.status).toBe(202);
    expect(await suite.succeeded(job.json.id)).toMatchObject({ output: { version: v2 }, knowledge: { policies: v2 } });
    expect((await p.call('GET', '/v1/functions/grounded/versions')).json.items).toHaveLength(1);

    // Removal is refused while a serving version lists it, naming the function; forced, the next load fails, saying which collection is missing.
    const refused = await p.call('DELETE', '/v1/knowledge/policies');
    expect([refused.status, refused.json.code, refused.json.functions]).toEqual([409, 'KNOWLEDGE_IN_USE', ['grounded']]);
    expect((await p.call('DELETE', '/v1/knowledge/policies?force=true')).status).toBe(204);
    expect(await knowledge.info('default', 'policies')).toBeUndefined();
    const failed = await eventually(async () => {
      const r = await invoke(p);
      return r.json?.code === 'KNOWLEDGE_MISSING' && r;
    }, 'grounded to fail for want of its collection');
    expect(failed.json).toMatchObject({ collections: ['policies'] });
  }, 120_000);
});
