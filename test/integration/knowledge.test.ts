import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../harness/cli-runner.ts';
import { eventually, startPlatform, type TestPlatform } from '../harness/platform.ts';
import { dumpRedis, startTestRedis, type TestRedis } from '../harness/redis.ts';

/**
 * Knowledge collections through the API and the real `autoglm` on a real router and Redis (no
 * pool: nothing here runs a function). The body limit is set below the knowledge limit, so a
 * collection larger than any other request body must still go in.
 */
const BODY_LIMIT = 64 * 1024;
const KNOWLEDGE_LIMIT = 256 * 1024;
let redis: TestRedis;
let p: TestPlatform;
let scratch: string;

beforeAll(async () => {
  redis = await startTestRedis();
  p = await startPlatform(redis.url, { pool: false, deploy: false, env: { AUTOGLM_BODY_LIMIT: '64KiB', AUTOGLM_KNOWLEDGE_LIMIT: '256KiB' } });
  scratch = mkdtempSync(join(tmpdir(), 'autoglm-knowledge-'));
}, 60_000);
afterAll(async () => {
  await p?.stop();
  await redis?.destroy();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const cli = (args: string[], token = p.adminToken) => runCli({ url: p.url, token }, args);
const as = async (roles: string[], namespaces: string[]) => p.router.verifier.mint({ sub: `${roles[0]}-${namespaces[0]}`, roles, namespaces });

let dirs = 0;
/** A new folder holding `files` (path → content). */
function folder(files: Record<string, string | Buffer>): string {
  const dir = join(scratch, `d${++dirs}`);
  for (const [path, data] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), data);
  }
  return dir;
}

/** Every file under `dir`: relative path → bytes (base64, to compare exactly). */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const full = join(d, e);
      if (statSync(full).isDirectory()) walk(full);
      else out[relative(dir, full)] = readFileSync(full).toString('base64');
    }
  };
  walk(dir);
  return out;
}

const POLICIES = {
  'refunds.md': '---\ntitle: Refunds\nregion: eu\n---\n# Refund policy\n\nRefunds within 30 days.\n',
  'shipping/eu.txt': 'EU orders ship in 3 days.\r\nNo trailing newline',
  'faq.jsonl': '{"id":"faq-1","title":"Hours","text":"We open at 9."}\n{"id":"faq-2","text":"Returns are free.","metadata":{"topic":"returns"}}\n',
  // Not UTF-8: travels as base64 and comes back byte for byte.
  'legacy/latin1.txt': Buffer.from([0x43, 0x61, 0x66, 0xe9, 0x0a]),
};

describe('knowledge collections', () => {
  it('put a folder, list it, get it back byte for byte; the same files again change nothing; an edit is a new version, the old one still readable', async () => {
    const src = folder(POLICIES);
    const put = await cli(['knowledge', 'put', 'store-policies', src]);
    expect(put.code, put.stderr).toBe(0);
    const bytes = Object.values(POLICIES).reduce((n, d) => n + Buffer.byteLength(d), 0);
    expect(put.stdout).toMatch(new RegExp(`^created knowledge store-policies@[0-9a-f]{12} in default: 4 files, 5 documents, ${bytes} bytes\\n$`));
    const version = /@([0-9a-f]{12})/.exec(put.stdout)![1]!;

    const ls = await cli(['--json', 'knowledge', 'ls']);
    expect(ls.json.items).toEqual([expect.objectContaining({ name: 'store-policies', namespace: 'default', version, files: 4, documents: 5, bytes, updatedBy: 'test-admin' })]);
    const lsText = await cli(['knowledge', 'ls']);
    expect(lsText.stdout.split('\n')[0]).toMatch(/^NAME\s+VERSION\s+FILES\s+DOCUMENTS\s+BYTES\s+UPDATED\s+BY$/);
    expect(lsText.stdout).toMatch(new RegExp(`store-policies\\s+${version}\\s+4\\s+5\\s+${bytes}\\s`));

    const out = join(scratch, 'out1');
    const got = await cli(['knowledge', 'get', 'store-policies', '--out', out]);
    expect(got.code, got.stderr).toBe(0);
    expect(got.stdout).toBe(`wrote 4 files of store-policies@${version} to ${out}\n`);
    expect(tree(out)).toEqual(tree(src));
    // Into a folder that holds files already: refused (stale files would be put back), unless forced.
    const again = await cli(['knowledge', 'get', 'store-policies', '--out', out]);
    expect([again.code, again.stderr]).toEqual([2, expect.stringContaining('is not empty')]);

    const same = await cli(['--json', 'knowledge', 'put', 'store-policies', out]);
    expect(same.json).toMatchObject({ changed: false, version });
    expect((await cli(['knowledge', 'put', 'store-policies', src])).stdout).toMatch(/^unchanged knowledge store-policies@/);
    const api = await p.call('PUT', '/v1/knowledge/store-policies', { files: [{ path: 'refunds.md', text: POLICIES['refunds.md'] }] });
    expect([api.status, api.json.changed, api.json.files]).toEqual([200, true, 1]);

    writeFileSync(join(out, 'refunds.md'), POLICIES['refunds.md'].replace('30 days', '60 days'));
    const edited = await cli(['--json', 'knowledge', 'put', 'store-policies', out]);
    expect(edited.json).toMatchObject({ changed: true, files: 4 });
    expect(edited.json.version).not.toBe(version);
    const newer = join(scratch, 'out2');
    expect((await cli(['knowledge', 'get', 'store-policies', '--out', newer])).code).toBe(0);
    expect(readFileSync(join(newer, 'refunds.md'), 'utf8')).toContain('60 days');
    const older = join(scratch, 'out3');
    expect((await cli(['knowledge', 'get', 'store-policies', '--out', older, '--version', version])).code).toBe(0);
    expect(tree(older)).toEqual(tree(src));

    // Sealed at rest: no passage of it is in Redis in the clear.
    expect(await dumpRedis(p.redis)).not.toMatch(/Refunds within|ship in 3 days|Returns are free/);

    const rm = await cli(['knowledge', 'rm', 'store-policies']);
    expect([rm.code, rm.stdout]).toEqual([0, 'removed knowledge store-policies from default\n']);
    const missing = { status: 404, code: 'KNOWLEDGE_MISSING', field: 'name', in: 'path' };
    for (const [method, path] of [['GET', '/v1/knowledge/store-policies'], ['GET', '/v1/knowledge/store-policies/files'], ['DELETE', '/v1/knowledge/store-policies']] as const) {
      expect((await p.call(method, path)).json, `${method} ${path}`).toMatchObject(missing);
    }
    expect((await cli(['knowledge', 'rm', 'store-policies'])).code).toBe(3);
  });

  it('a malformed JSON Lines line is refused naming file and line (400, CLI exit 3); so are unsafe paths and other kinds of file', async () => {
    const src = folder({ 'ok.md': '# ok\n', 'faq.jsonl': '{"id":"a","text":"x"}\n{"id":"b","text":\n' });
    const r = await cli(['knowledge', 'put', 'broken', src, '-n', 'team-x']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^autoglm: files: faq\.jsonl: line 2: not JSON.*\(KNOWLEDGE_INVALID, HTTP 400\)\n$/);
    const api = await p.call('PUT', '/v1/knowledge/broken?namespace=team-x', { files: [{ path: 'faq.jsonl', text: '{"id":"a","text":"x"}\nnope\n' }] });
    expect(api.status).toBe(400);
    expect(api.headers.get('content-type')).toMatch(/problem\+json/);
    expect(api.json).toMatchObject({ code: 'KNOWLEDGE_INVALID', field: 'files', detail: expect.stringContaining('faq.jsonl: line 2') });
    expect((await p.call('GET', '/v1/knowledge?namespace=team-x')).json.items).toEqual([]);

    const unsafe = await p.call('PUT', '/v1/knowledge/broken', { files: [{ path: '../etc/x.md', text: 'x' }] });
    expect(unsafe.json).toMatchObject({ status: 400, code: 'KNOWLEDGE_INVALID', field: 'files' });
    const png = await cli(['knowledge', 'put', 'broken', join(folder({ 'a.png': 'x' }), 'a.png')]);
    expect([png.code, png.stderr]).toEqual([2, expect.stringContaining('a.png is not a knowledge file')]);
  });

  it('bad requests get a problem naming the field', async () => {
    const cases: [string, string, unknown, string][] = [
      ['PUT', '/v1/knowledge/Bad_Name', { files: [{ path: 'a.md', text: 'x' }] }, 'name'],
      ['PUT', '/v1/knowledge/ok?namespace=Team', { files: [{ path: 'a.md', text: 'x' }] }, 'namespace'],
      ['PUT', '/v1/knowledge/ok', {}, 'files'],
      ['PUT', '/v1/knowledge/ok', { files: [] }, 'files'],
      ['PUT', '/v1/knowledge/ok', { files: [{ path: 'a.md', text: 'x' }], extra: 1 }, 'extra'],
      ['PUT', '/v1/knowledge/ok', { files: [{ path: 'a.md', text: 'x', base64: 'eA==' }] }, 'files[0]'],
      ['PUT', '/v1/knowledge/ok', { files: [{ path: 'a.md' }] }, 'files[0]'],
      ['PUT', '/v1/knowledge/ok', { files: [{ path: 'a.md', base64: 'not base64!' }] }, 'files[0].base64'],
      ['GET', '/v1/knowledge/ok/files?version=latest', undefined, 'version'],
    ];
    for (const [method, path, body, field] of cases) {
      const r = await p.call(method, path, body);
      expect([r.status, r.json.field], `${method} ${path} ${JSON.stringify(body)}`).toEqual([400, field]);
    }
    const sent = await p.call('PUT', '/v1/knowledge/ok', '{"files": [', { 'content-type': 'application/json' });
    expect(sent.json).toMatchObject({ status: 400, code: 'MALFORMED_JSON' });
    expect((await p.call('PUT', '/v1/knowledge/ok', 'x', { 'content-type': 'text/plain' })).status).toBe(415);
  });

  it('a collection may be larger than AUTOGLM_BODY_LIMIT, up to AUTOGLM_KNOWLEDGE_LIMIT: past it 400 naming the limit, a body far past it 413', async () => {
    const big = (kib: number) => ({ files: [{ path: 'big.txt', text: 'x'.repeat(kib * 1024) }] });
    const within = await p.call('PUT', '/v1/knowledge/big?namespace=team-big', big(150));
    expect(150 * 1024).toBeGreaterThan(BODY_LIMIT);
    expect([within.status, within.json.bytes]).toEqual([201, 150 * 1024]);
    const over = await p.call('PUT', '/v1/knowledge/big?namespace=team-big', big(300));
    expect(over.json).toMatchObject({ status: 400, code: 'KNOWLEDGE_INVALID', field: 'files', detail: expect.stringContaining(`limit of ${KNOWLEDGE_LIMIT} (AUTOGLM_KNOWLEDGE_LIMIT)`) });
    const far = await p.call('PUT', '/v1/knowledge/big?namespace=team-big', big(2 * 256 + 1024 + 1));
    expect(far.json).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
    // Only collection uploads get the larger limit: another write is held to AUTOGLM_BODY_LIMIT.
    expect((await p.call('PUT', '/v1/secrets/big', { value: 'x'.repeat(BODY_LIMIT) })).status).toBe(413);
    // The CLI says the same.
    const src = folder({ 'big.txt': 'y'.repeat(300 * 1024) });
    const r = await cli(['knowledge', 'put', 'big', src, '-n', 'team-big']);
    expect([r.code, r.stderr]).toEqual([3, expect.stringContaining('AUTOGLM_KNOWLEDGE_LIMIT')]);
  });

  it("deployers of the namespace and admins may; viewers, invokers and other namespaces' deployers get 403; puts, removals and reads of the text are audited", async () => {
    const body = { files: [{ path: 'a.md', text: '# A\nteam a text' }] };
    const deployerA = await as(['deployer'], ['team-a']);
    const call = (token: string, method: string, path: string, b?: unknown) => p.call(method, path, b, { authorization: `Bearer ${token}` });
    const created = await call(deployerA, 'PUT', '/v1/knowledge/rules?namespace=team-a', body);
    expect([created.status, created.headers.get('location')]).toEqual([201, '/v1/knowledge/rules?namespace=team-a']);
    const viaCli = await cli(['--json', 'knowledge', 'ls', '-n', 'team-a'], deployerA);
    expect(viaCli.json.items.map((k: { name: string }) => k.name)).toEqual(['rules']);

    const paths: [string, string, unknown?][] = [
      ['GET', '/v1/knowledge/rules?namespace=team-a'],
      ['GET', '/v1/knowledge/rules/files?namespace=team-a'],
      ['PUT', '/v1/knowledge/rules?namespace=team-a', body],
      ['DELETE', '/v1/knowledge/rules?namespace=team-a'],
    ];
    for (const roles of [['viewer'], ['invoker']]) {
      const token = await as(roles, ['team-a']);
      expect((await call(token, 'GET', '/v1/knowledge?namespace=team-a')).status, roles[0]).toBe(403);
      for (const [method, path, b] of paths) expect((await call(token, method, path, b)).status, `${roles[0]} ${method} ${path}`).toBe(403);
    }
    // Another namespace's deployer: 403, as for secrets, whether or not the collection exists
    // there (nothing is looked up), and no claim that an existing collection is missing.
    const deployerB = await as(['deployer'], ['team-b']);
    expect((await call(deployerB, 'GET', '/v1/knowledge?namespace=team-a')).status).toBe(403);
    for (const [method, path, b] of [...paths, ['GET', '/v1/knowledge/nosuch/files?namespace=team-a'] as const]) {
      const r = await call(deployerB, method, path, b);
      expect([r.status, r.json?.code], `deployer of team-b: ${method} ${path}`).toEqual([403, 'FORBIDDEN']);
    }
    const cliB = await cli(['knowledge', 'get', 'rules', '-n', 'team-a', '--out', join(scratch, 'b')], deployerB);
    expect([cliB.code, cliB.stderr]).toEqual([3, expect.stringContaining('FORBIDDEN, HTTP 403')]);

    const files = await call(deployerA, 'GET', '/v1/knowledge/rules/files?namespace=team-a');
    expect(files.json).toEqual({ name: 'rules', namespace: 'team-a', version: expect.stringMatching(/^[0-9a-f]{12}$/), files: body.files });
    expect((await call(deployerA, 'DELETE', '/v1/knowledge/rules?namespace=team-a')).status).toBe(204);

    const records = async (action: string) => (await p.call('GET', `/v1/audit?action=${action}&namespace=team-a`)).json.items as any[];
    const put = await eventually(async () => (await records('knowledge.put'))[0], 'the audit record of knowledge.put');
    expect(put).toMatchObject({ actor: 'deployer-team-a', namespace: 'team-a', outcome: 'ok', detail: { collection: 'rules', version: files.json.version, changed: true, files: 1 } });
    const read = await eventually(async () => (await records('knowledge.read'))[0], 'the audit record of knowledge.read');
    expect(read).toMatchObject({ actor: 'deployer-team-a', outcome: 'ok', detail: { collection: 'rules', version: files.json.version } });
    const removed = await eventually(async () => (await records('knowledge.remove'))[0], 'the audit record of knowledge.remove');
    expect(removed).toMatchObject({ actor: 'deployer-team-a', outcome: 'ok', detail: { collection: 'rules' } });
    // The text itself is never in the trail; the concealed denials are, as denials.
    expect(JSON.stringify([put, read, removed])).not.toContain('team a text');
    const denied = await eventually(async () => {
      const items = (await p.call('GET', '/v1/audit?action=access.denied&actor=deployer-team-b')).json.items as any[];
      return items.length >= 5 && items;
    }, 'the denials of the deployer of team-b');
    expect(denied.map((d) => d.target)).toContain('GET /v1/knowledge/rules/files');
  });

  it('the OpenAPI document describes the routes', async () => {
    const doc = await (await fetch(`${p.url}/openapi.json`)).json();
    expect(Object.keys(doc.paths['/v1/knowledge/{name}']).sort()).toEqual(['delete', 'get', 'put']);
    expect(doc.paths['/v1/knowledge'].get).toBeDefined();
    expect(doc.paths['/v1/knowledge/{name}/files'].get).toBeDefined();
    expect(doc.components.schemas.KnowledgeFile.properties).toHaveProperty('base64');
  });
});
