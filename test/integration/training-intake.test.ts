/**
 * Starting trainings, the router's side, on a real router and Redis, through the API and the real
 * `autoglm`: the dataset streams in, checked line by line (the first bad line refused by number),
 * within AUTOGLM_TRAINING_DATA_LIMIT, sealed in Redis; a refused upload leaves nothing behind; a
 * queued training is listed, read and cancelled. The pool is stopped once the functions are
 * deployed, so every training stays queued here (running them: training-pool and training e2e).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleMaker } from '../harness/bundles.ts';
import { runCli } from '../harness/cli-runner.ts';
import { eventually, startPlatform, type TestPlatform } from '../harness/platform.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';

const GRADED = fileURLToPath(new URL('../fixtures/functions/graded/', import.meta.url));
const TRAINING = { primaryMetric: 'accuracy', record: { type: 'object', required: ['text', 'intent'], properties: { text: { type: 'string' }, intent: { enum: ['refund', 'delivery'] } } } };

let redis: TestRedis;
let p: TestPlatform;
let scratch: string;

beforeAll(async () => {
  redis = await startTestRedis();
  p = await startPlatform(redis.url, { deploy: false, env: { AUTOGLM_TRAINING_DATA_LIMIT: '64KiB' } });
  const make = await bundleMaker(GRADED);
  for (const [name, extra] of [['trainee', { training: TRAINING }], ['untrained', {}]] as const) {
    const b = make(name, undefined, extra);
    expect((await p.api.deploy(b.archive, b.hash)).status).toBe(201);
  }
  // No worker takes a training from here on: each stays queued.
  await p.pool!.stop();
  scratch = mkdtempSync(join(tmpdir(), 'autoglm-train-'));
}, 90_000);
afterAll(async () => {
  await p?.stop();
  await redis?.destroy();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const lines = (n: number, at?: { line: number; text: string }) => Array.from({ length: n }, (_, i) => (at && i + 1 === at.line ? at.text : JSON.stringify({ text: `parcel ${i} where is it`, intent: i % 2 ? 'refund' : 'delivery' }))).join('\n') + '\n';
const upload = (name: string, body: string, q = '', type = 'application/x-ndjson', token = p.adminToken) =>
  fetch(`${p.url}/v1/functions/${name}/trainings${q}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': type }, body }).then(async (r) => ({ status: r.status, headers: r.headers, json: await r.json() }));
/** Every Redis key of trainings under the platform's prefix. */
const trainingKeys = async () => [...(await p.redis.keys(`${p.prefix}:training:*`)), ...(await p.redis.keys(`${p.prefix}:trainings:*`))].sort();

describe('starting a training', () => {
  it('refuses a dataset with a bad line by its number and field, one past the limit, the wrong media type, and a function without `training`; none leaves a key', async () => {
    const notJson = await upload('trainee', lines(5, { line: 4, text: '{"text": "half' }));
    expect(notJson.status).toBe(400);
    expect(notJson.json).toMatchObject({ code: 'INVALID_DATASET', line: 4, field: 'body' });
    expect(notJson.json.detail).toMatch(/^line 4: not JSON/);

    const wrong = await upload('trainee', lines(1500, { line: 1200, text: JSON.stringify({ text: 'x', intent: 'complaint' }) }));
    expect(wrong.status).toBe(400);
    expect(wrong.json).toMatchObject({ code: 'INVALID_DATASET', line: 1200, field: 'body[1200]/intent' });

    const big = await upload('trainee', lines(2000));
    expect(big.status).toBe(413);
    expect(big.json).toMatchObject({ code: 'DATASET_TOO_LARGE', limit: 64 * 1024 });

    expect((await upload('trainee', lines(3), '', 'application/json')).json).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
    expect((await upload('untrained', lines(3))).json).toMatchObject({ code: 'NOT_TRAINABLE', field: 'name', in: 'path' });
    expect((await upload('trainee', lines(3), '?since=7d')).json).toMatchObject({ code: 'INVALID_REQUEST', field: 'since' });
    expect(await trainingKeys()).toEqual([]);
  });

  it('queues a training with the dataset sealed in Redis; it is listed and read, and cancelling it while queued ends it and removes the data', async () => {
    const text = lines(300);
    const r = await upload('trainee', text, '?then=shadow');
    expect(r.status).toBe(202);
    const id = r.json.id as string;
    expect(r.headers.get('location')).toBe(`/v1/trainings/${id}`);
    expect(r.json).toMatchObject({ function: 'trainee', status: 'queued', then: 'shadow', device: 'cpu', dataset: { records: 300, bytes: Buffer.byteLength(text), chunks: 1, source: 'upload', heldOut: 0.2, hash: createHash('sha256').update(text).digest('hex') } });
    const stored = await p.redis.getBuffer(`${p.prefix}:training:${id}:data:0`);
    expect(stored!.length).toBeGreaterThan(Buffer.byteLength(text) - 1);
    expect(stored!.includes(Buffer.from('where is it'))).toBe(false);

    expect((await p.call('GET', `/v1/trainings/${id}`)).json).toMatchObject({ id, status: 'queued' });
    expect((await p.call('GET', '/v1/functions/trainee/trainings')).json.items.map((t: { id: string }) => t.id)).toContain(id);
    expect((await p.call('GET', '/v1/trainings?limit=5')).json.items[0]).toMatchObject({ id, function: 'trainee' });
    // The function filter is checked as on the jobs listing: a malformed name 400, an unknown one 404, both naming it.
    expect((await p.call('GET', '/v1/trainings?function=trainee')).json.items.map((t: { id: string }) => t.id)).toContain(id);
    expect((await p.call('GET', '/v1/trainings?function=Bad_Name')).json).toMatchObject({ status: 400, field: 'function', in: 'query' });
    expect((await p.call('GET', '/v1/trainings?function=nosuch')).json).toMatchObject({ status: 404, code: 'FUNCTION_NOT_FOUND', field: 'function', in: 'query' });
    const outsider = await p.router.verifier.mint({ sub: 'bo', roles: ['viewer'], namespaces: ['team-b'] });
    expect((await p.call('GET', '/v1/trainings', undefined, { authorization: `Bearer ${outsider}` })).json.items).toEqual([]);

    const c = await p.call('POST', `/v1/trainings/${id}/cancel`);
    expect(c.status).toBe(202);
    expect(c.json).toMatchObject({ id, status: 'cancelled', cancel: { by: 'test-admin' }, error: { code: 'TRAINING_CANCELLED' } });
    expect(await trainingKeys()).toEqual([`${p.prefix}:training:${id}`, `${p.prefix}:trainings:trainee`]);
    expect((await p.call('POST', `/v1/trainings/${id}/cancel`)).json).toMatchObject({ code: 'TRAINING_ENDED', ended: 'cancelled' });
    // Audited: the start with the dataset's hash, record count and size, and the end (recorded by a router from the finish queue), once.
    const audited = async (action: string) => ((await p.call('GET', `/v1/audit?action=${action}&limit=1000`)).json.items as { detail?: { training?: string } }[]).filter((r) => r.detail?.training === id);
    expect(await audited('training.start')).toMatchObject([{ function: 'trainee', detail: { records: 300, bytes: Buffer.byteLength(text), dataset: r.json.dataset.hash.slice(0, 16) } }]);
    const end = await eventually(async () => {
      const rs = await audited('training.end');
      return rs.length > 0 && rs;
    }, "the cancelled training's end to be audited");
    expect(end).toMatchObject([{ actor: 'system', function: 'trainee', outcome: 'error', code: 'TRAINING_CANCELLED', detail: { status: 'cancelled' } }]);
    expect((await p.call('GET', '/v1/trainings/trn-00000000000000000000')).json).toMatchObject({ code: 'TRAINING_NOT_FOUND' });
  });

  it('through `autoglm train` and `training ls|status|cancel`; an invoker may not start one, another namespace does not see it', async () => {
    const file = join(scratch, 'data.jsonl');
    writeFileSync(file, lines(50));
    const cli = (args: string[], token = p.adminToken) => runCli({ url: p.url, token }, args);
    const started = await cli(['--json', 'train', 'trainee', '--data', `@${file}`, '--then', 'rollout']);
    expect(started.code, started.stderr).toBe(0);
    const id = started.json.id as string;
    expect(started.json).toMatchObject({ status: 'queued', then: 'rollout', dataset: { records: 50 } });
    const ls = await cli(['training', 'ls', 'trainee']);
    expect(ls.stdout).toContain(id);
    expect((await cli(['training', 'status', id])).stdout).toMatch(new RegExp(`${id}: trainee@[0-9a-f]{12} QUEUED \\(then rollout, cpu\\)`));
    expect((await cli(['training', 'cancel', id])).stdout).toBe(`training ${id} cancelled\n`);
    // A count says record or records as it should.
    writeFileSync(file, lines(1));
    const one = await cli(['train', 'trainee', '--data', file]);
    expect(one.stdout).toMatch(/^training trn-[0-9a-f]{20} queued: 1 record; follow it with/);
    const oneId = /^training (trn-[0-9a-f]{20})/.exec(one.stdout)![1]!;
    expect((await cli(['training', 'status', oneId])).stdout).toContain('dataset: 1 record (upload)');
    const usage = await cli(['train', 'trainee']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--data <file.jsonl> or --from-feedback/);

    const invoker = await p.token(['invoker'], 'ivy');
    const refused = await cli(['train', 'trainee', '--data', file], invoker);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/FORBIDDEN|forbidden/i);
    const other = await p.router.verifier.mint({ sub: 'eve', roles: ['deployer'], namespaces: ['team-b'] });
    expect((await cli(['training', 'status', id], other)).stderr).toMatch(/TRAINING_NOT_FOUND|no training/);
  });
});
