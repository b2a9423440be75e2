/**
 * Training as a user runs it, end to end on a real router, pool and Redis with the real `autoglm`:
 * a dataset file trained into a new version that becomes a shadow of stable; a version worse than
 * stable on the held-out records recorded, not deployed, with the reason; a training cancelled
 * mid-way leaving no version and its slot free for the next; and feedback on live answers
 * retraining the real customer-reply. The fixture `trainable` predicts y = slope·x and learns the
 * slope by least squares, so what a training should make is known exactly. No sleeps: every wait
 * is on a training's or a job's state.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isHeldOut } from '../../functions/sdk/index.ts';
import { bundleMaker } from '../harness/bundles.ts';
import { runCli } from '../harness/cli-runner.ts';
import { eventually, startPlatform, type TestPlatform } from '../harness/platform.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';

const TRAINABLE = fileURLToPath(new URL('../fixtures/functions/trainable/', import.meta.url));
const CUSTOMER_REPLY = fileURLToPath(new URL('../../functions/customer-reply/', import.meta.url));

let redis: TestRedis;
let p: TestPlatform;
let scratch: string;
let make: Awaited<ReturnType<typeof bundleMaker>>;

beforeAll(async () => {
  redis = await startTestRedis();
  p = await startPlatform(redis.url, { deploy: false });
  make = await bundleMaker(TRAINABLE);
  scratch = mkdtempSync(join(tmpdir(), 'autoglm-training-'));
}, 120_000);
afterAll(async () => {
  await p?.stop();
  await redis?.destroy();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const cli = (args: string[]) => runCli({ url: p.url, token: p.adminToken }, args);
/** A JSON Lines file of `rows`; returns its path and its sha256. */
function dataset(name: string, rows: object[]): { path: string; hash: string } {
  const text = rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
  const path = join(scratch, name);
  writeFileSync(path, text);
  return { path, hash: createHash('sha256').update(text).digest('hex') };
}
const SHIPPED_SLOPE = (JSON.parse(readFileSync(join(TRAINABLE, 'artifacts', 'model.json'), 'utf8')) as { slope: number }).slope;
/** Points on y = slope·x (x = 1…n), the held-out ones (by the platform's split at 25%) on y = heldSlope·x. */
const line = (n: number, slope: number, heldSlope = slope) => Array.from({ length: n }, (_, i) => ({ x: i + 1, y: (isHeldOut(i, 0.25) ? heldSlope : slope) * (i + 1) }));
const training = async (id: string) => (await p.call('GET', `/v1/trainings/${id}`)).json;
const ended = (id: string) => eventually(async () => {
  const t = await training(id);
  return ['succeeded', 'rejected', 'failed', 'cancelled'].includes(t.status) && t;
}, `training ${id} to end`, 90_000);
const versions = async (name: string) => (await p.call('GET', `/v1/functions/${name}/versions`)).json.items as { version: string; training?: Record<string, any>; traffic: number; shadow: number }[];

describe('training a function on the pool', () => {
  it('`autoglm train --then shadow --wait` makes a version from the same code and the new files, with its evaluation and dataset hash, shadowing stable', async () => {
    const b = make('slope');
    const stable = (await p.api.deploy(b.archive, b.hash)).body.version as string;
    const data = dataset('slope3.jsonl', line(200, 3));
    const run = await cli(['train', 'slope', '--data', `@${data.path}`, '--then', 'shadow', '--wait']);
    expect(run.code, run.stderr).toBe(0);
    const id = /^(trn-[0-9a-f]{20}): slope@/.exec(run.stdout)?.[1];
    expect(run.stdout).toMatch(/SUCCEEDED \(then shadow, cpu\)/);
    // Followed to its end, its progress as the last report left it.
    expect(run.stderr).toContain(`training ${id}: 200 records`);
    expect((await training(id!)).progress).toMatchObject({ epoch: 1, epochs: 1 });
    expect(run.stdout).toMatch(/new version: [0-9a-f]{12} — mse \S+ against stable's \S+ \(better\)/);
    expect(run.stdout).toContain('deployed as a shadow of stable');

    const mine = (await versions('slope')).find((v) => v.training);
    expect(mine!.training).toMatchObject({ from: stable, primaryMetric: 'mse', higherIsBetter: false, verdict: 'better', dataset: { hash: data.hash, records: 200, source: 'upload' } });
    expect(mine!.training!.metrics.mse).toBeLessThan(1e-9);
    expect(mine!.training!.baseline.mse).toBeGreaterThan(1);
    expect(mine!.shadow).toBe(100);
    const listed = await cli(['functions', 'versions', 'slope']);
    expect(listed.stdout).toMatch(new RegExp(`from ${stable} on 200 upload records \\(${data.hash.slice(0, 12)}\\): mse \\S+ vs \\S+ \\(better\\)`));

    // The new version answers with the slope it learned; stable still serves callers, shadowed.
    expect((await p.call('POST', `/v1/functions/slope@${mine!.version}/invoke`, { input: { x: 2 } })).json.output.y).toBeCloseTo(6, 9);
    const served = await p.call('POST', '/v1/functions/slope/invoke', { input: { x: 2 } });
    expect(served.headers.get('x-function-version')).toBe(stable);
    expect(served.json.output.y).toBe(SHIPPED_SLOPE * 2);
    const shadow = await eventually(async () => {
      const r = (await p.call('GET', '/v1/functions/slope/shadow')).json;
      return r.report?.samples >= 1 && r;
    }, 'the shadow to compare a call');
    // Slopes apart: the candidate disagrees with every call it saw.
    expect(shadow).toMatchObject({ serving: stable, shadow: { version: mine!.version, percent: 100 }, report: { candidate: mine!.version, agreed: 0 } });
  });

  it('a version worse than stable on the same held-out records is recorded but not deployed, with the reason', async () => {
    const b = make('slope-worse');
    const stable = (await p.api.deploy(b.archive, b.hash)).body.version as string;
    // Learns 5 from the training side; the held-out side is on stable's own line.
    const data = dataset('worse.jsonl', line(200, 5, SHIPPED_SLOPE));
    const started = await cli(['--json', 'train', 'slope-worse', '--data', data.path, '--then', 'rollout']);
    expect(started.code, started.stderr).toBe(0);
    const t = await ended(started.json.id);
    expect(t).toMatchObject({ status: 'rejected', result: { verdict: 'worse', deployed: 'none', primaryMetric: 'mse' } });
    expect(t.result.reason).toMatch(/mse .* is worse than stable's .* on the same held-out records/);
    const vs = await versions('slope-worse');
    expect(vs.find((v) => v.version === t.result.version)).toMatchObject({ traffic: 0, shadow: 0, training: { verdict: 'worse' } });
    const f = (await p.call('GET', '/v1/functions/slope-worse')).json;
    expect(f.stable).toBe(stable);
    expect(f.rollout ?? null).toBeNull();
    const status = await cli(['training', 'status', t.id]);
    expect(status.stdout).toContain('not deployed: mse');
    // Followed to its end, a training that did not succeed fails the command, as `train --wait` does.
    const waited = await cli(['training', 'status', t.id, '--wait']);
    expect([waited.code, waited.stdout]).toEqual([1, expect.stringContaining('REJECTED')]);
  });

  it('a training takes its records from --data or from --from-feedback, not both', async () => {
    const both = await cli(['train', 'slope', '--data', dataset('both.jsonl', line(4, 3)).path, '--from-feedback']);
    expect([both.code, both.stderr]).toEqual([2, 'autoglm: give --data <file.jsonl> or --from-feedback, not both\n']);
    const neither = await cli(['train', 'slope']);
    expect([neither.code, neither.stderr]).toEqual([2, 'autoglm: give --data <file.jsonl> or --from-feedback\n']);
  });

  it('cancelling a training mid-way leaves no version and frees the slot: the next training runs at once', async () => {
    const b = make('slope-cancel');
    await p.api.deploy(b.archive, b.hash);
    const spin = dataset('spin.jsonl', [...line(20, 2), { x: 0, y: 0, mode: 'spin' }]);
    const started = await cli(['--json', 'train', 'slope-cancel', '--data', spin.path]);
    const id = started.json.id as string;
    await eventually(async () => {
      const t = await training(id);
      return t.status === 'running' && (t.progress?.epoch ?? 0) >= 2;
    }, 'the spinning training to report its second epoch');
    expect((await cli(['training', 'cancel', id])).code).toBe(0);
    expect(await ended(id)).toMatchObject({ status: 'cancelled', cancel: { by: 'test-admin' } });
    expect((await cli(['training', 'status', id, '--wait'])).code).toBe(1);
    expect((await versions('slope-cancel')).some((v) => v.training)).toBe(false);

    const next = await cli(['--json', 'train', 'slope-cancel', '--data', dataset('after.jsonl', line(40, 4)).path]);
    expect(await ended(next.json.id)).toMatchObject({ status: 'succeeded', result: { verdict: 'better', deployed: 'none' } });
  });

  it("feedback on customer-reply's answers retrains it (--from-feedback): the records are the jobs' inputs and the labels people gave", async () => {
    const put = await cli(['knowledge', 'put', 'store-policies', join(CUSTOMER_REPLY, 'knowledge', 'store-policies')]);
    expect(put.code, put.stderr).toBe(0);
    const reply = await bundleMaker(CUSTOMER_REPLY);
    // One epoch: the point is the loop, not the model.
    const b = reply('customer-reply', { TRAIN_EPOCHS: '1' });
    expect((await p.api.deploy(b.archive, b.hash)).status).toBe(201);
    // Before any feedback: refused naming the query, not a body line that was never sent.
    const none = await p.call('POST', '/v1/functions/customer-reply/trainings?fromFeedback=true&then=none');
    expect(none.json).toMatchObject({ status: 400, code: 'INVALID_DATASET', field: 'fromFeedback', in: 'query', detail: expect.stringMatching(/^customer-reply has no feedback records to train from/) });
    const messages = ['Where is my parcel? It has been a week.', '我要退款，商品坏了', 'I was charged twice for order 8812.', 'Can I change my delivery address?'];
    const ids: string[] = [];
    for (let i = 0; i < 24; i++) {
      const r = await p.call('POST', '/v1/functions/customer-reply/invoke', { input: { message: `${messages[i % 4]} (${i})` } });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      ids.push(r.headers.get('x-job-id')!);
    }
    for (const id of ids) expect((await p.call('POST', `/v1/jobs/${id}/feedback`, { correct: true })).status).toBe(200);
    const run = await cli(['--json', 'train', 'customer-reply', '--from-feedback', '--since', '1h', '--then', 'shadow']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json.dataset).toMatchObject({ records: 24, source: 'feedback' });
    const t = await ended(run.json.id);
    // The labels are stable's own answers, confirmed: on the held-out ones stable scores exactly 1.
    expect(t.result).toMatchObject({ primaryMetric: 'accuracy', baseline: { accuracy: 1 } });
    expect(typeof t.result.metrics.accuracy).toBe('number');
    // Whatever the one-epoch model scores, what became of it follows the verdict.
    expect(t.status).toBe(t.result.verdict === 'worse' ? 'rejected' : 'succeeded');
    expect(t.result.deployed).toBe(t.result.verdict === 'worse' ? 'none' : 'shadow');
  });
});
