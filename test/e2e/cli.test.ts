import { spawn } from 'node:child_process';
import { CLI_BIN, runCli } from '../harness/cli-runner.ts';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startPlatform, type TestPlatform } from '../harness/platform.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';

const GRAPH_MODEL = fileURLToPath(new URL('../fixtures/models/graph-affine', import.meta.url));
const CHATTY = fileURLToPath(new URL('../fixtures/functions/chatty', import.meta.url));
const SETTINGS = fileURLToPath(new URL('../fixtures/functions/settings', import.meta.url));
const SIGNER = fileURLToPath(new URL('../fixtures/functions/signer', import.meta.url));
let redis: TestRedis;
let p: TestPlatform;
let work: string;

beforeAll(async () => {
  redis = await startTestRedis();
  p = await startPlatform(redis.url);
  work = mkdtempSync(join(tmpdir(), 'autoglm-cli-'));
});
afterAll(async () => {
  await p?.stop();
  await redis?.destroy();
  rmSync(work, { recursive: true, force: true });
});

/** Runs the real `autoglm` executable as a child process. */
const cli = (args: string[], opts: { env?: Record<string, string>; stdin?: string } = {}) => runCli({ url: p.url, token: p.adminToken, home: work }, args, opts);

const versionsServed = async (fn: string, n: number) => {
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const r = await p.call('POST', `/v1/functions/${fn}/invoke`, { input: { text: 'a b c' } });
    expect(r.status).toBe(200);
    seen.add(r.json.version);
  }
  return seen;
};

describe('autoglm CLI against a running platform', () => {
  let dir: string;
  let v1: string;
  let v2: string;

  it('init → deploy → invoke', async () => {
    const init = await cli(['init', 'wordcount', '--dir', work]);
    expect(init.code).toBe(0);
    dir = join(work, 'wordcount');
    const dep = await cli(['deploy', dir, '--json']);
    expect(dep.code, dep.stderr).toBe(0);
    expect(dep.json.name).toBe('wordcount');
    expect(dep.json.version).toMatch(/^[0-9a-f]{12}$/);
    expect(dep.json.created).toBe(true);
    expect(dep.json.traffic.routes).toEqual([{ version: dep.json.version, weight: 100 }]);
    v1 = dep.json.version;
    const inv = await cli(['invoke', 'wordcount', '--data', `@${join(dir, 'input.json')}`, '--json']);
    expect(inv.code, inv.stderr).toBe(0);
    expect(inv.json.output).toEqual({ words: 8, characters: 52 });
    expect(inv.json.version).toBe(v1);
    const human = await cli(['invoke', 'wordcount', '--data', '{"text":"one two"}']);
    // stdout is the output alone (for `| jq`); which version and job answered goes to stderr.
    expect(JSON.parse(human.stdout)).toEqual({ words: 2, characters: 7 });
    expect(human.stderr).toMatch(new RegExp(`^\\(wordcount@${v1}, job \\S+, \\d+ ms\\)\n$`));
  });

  it('init --model → deploy → invoke serves a converted TF.js model with no code written; a call of the wrong shape is refused naming where', async () => {
    const init = await cli(['init', 'affine', '--dir', work, '--model', GRAPH_MODEL, '--json']);
    expect(init.code, init.stderr).toBe(0);
    expect(init.json.format).toBe('graph-model');
    expect(init.json.files).toContain('artifacts/group1-shard1of1.bin');
    const folder = join(work, 'affine');
    expect(JSON.parse(readFileSync(join(folder, 'input.json'), 'utf8'))).toEqual([0, 0, 0]);
    const dep = await cli(['deploy', folder, '--json']);
    expect(dep.code, dep.stderr).toBe(0);
    // y = x · [[1,2],[3,4],[5,6]] + [0.5,-1], the fixture's weights.
    const one = await cli(['invoke', 'affine', '--data', '[0,1,1]', '--json']);
    expect(one.json.output).toEqual([8.5, 9]);
    const bulk = await cli(['invoke', 'affine', '--inputs', '[[1,0,0],[0,0,1]]', '--wait']);
    expect(bulk.stdout.trim().split('\n')).toEqual(['0\t[1.5,1]', '1\t[5.5,5]']);
    const wrong = await p.call('POST', '/v1/functions/affine/invoke', { input: [1, 'two', 3] });
    expect(wrong.status).toBe(400);
    expect(wrong.json.field).toBe('input[1]');
    const noModel = await cli(['init', 'nothing', '--dir', work, '--model', join(work, 'no-such-model')]);
    expect(noModel.code).toBe(2);
    expect(noModel.stderr).toContain('no model file at');
  });

  it('deploying the same folder twice gives the same version id', async () => {
    const again = await cli(['deploy', dir, '--json']);
    expect(again.code).toBe(0);
    expect(again.json.version).toBe(v1);
    expect(again.json.created).toBe(false);
    const built = await cli(['build', dir, '--json', '--no-typecheck']);
    expect(built.json.version).toBe(v1);
  });

  it('a changed version deployed with --canary 50 shares traffic; rollback returns it to the first', async () => {
    const handler = join(dir, 'handler.ts');
    writeFileSync(handler, readFileSync(handler, 'utf8').replace('characters: [...input.text].length', 'characters: [...input.text].length, v: 2'));
    const dep = await cli(['deploy', dir, '--canary', '50', '--json']);
    expect(dep.code, dep.stderr).toBe(0);
    v2 = dep.json.version;
    expect(v2).not.toBe(v1);
    expect(dep.json.traffic.routes).toEqual([{ version: v1, weight: 50 }, { version: v2, weight: 50 }]);
    // 40 calls at 50/50: the chance of never seeing one version is 2^-39.
    expect(await versionsServed('wordcount', 40)).toEqual(new Set([v1, v2]));

    const rb = await cli(['rollback', 'wordcount', '--json']);
    expect(rb.code, rb.stderr).toBe(0);
    expect(rb.json.routes).toEqual([{ version: v1, weight: 100 }]);
    expect(await versionsServed('wordcount', 10)).toEqual(new Set([v1]));

    const pinned = await cli(['invoke', `wordcount@${v2}`, '--data', '{"text":"x"}', '--json']);
    expect(pinned.json.output.v).toBe(2);
  });

  it('--shadow mirrors calls and the shadow report counts agreement and latencies', async () => {
    const handler = join(dir, 'handler.ts');
    writeFileSync(handler, readFileSync(handler, 'utf8').replace(', v: 2', ', v: 3'));
    const dep = await cli(['deploy', dir, '--shadow', '100', '--json']);
    expect(dep.code, dep.stderr).toBe(0);
    const v3 = dep.json.version;
    expect(dep.json.traffic.shadow).toEqual({ version: v3, percent: 100 });
    expect(await versionsServed('wordcount', 6)).toEqual(new Set([v1]));
    // The report once it holds `n` samples, read as a user would, with the CLI.
    const reportWith = (n: number) =>
      eventually(async () => {
        const r = (await cli(['shadow', 'wordcount', '--json'])).json;
        return r.report.samples >= n && r;
      }, `a shadow report of ${n} samples`);
    let report = await reportWith(6);
    expect(report.report.candidate).toBe(v3);
    expect(report.report.samples).toBe(6);
    // v3 adds a field, so it never agrees with v1.
    expect(report.report.agreement).toBe(0);
    expect(report.report.latencyMs.serving.p50).toBeGreaterThanOrEqual(0);
    expect(report.report.latencyMs.shadow.p50).toBeGreaterThanOrEqual(0);
    const human = await cli(['shadow', 'wordcount']);
    expect(human.stdout).toMatch(/agreement 0\.0%/);
    expect((await cli(['shadow', 'wordcount', '--version', v3, '--json'])).json.report.candidate).toBe(v3);
    // The version is sent encoded: '#x' is part of it (refused), not a fragment that leaves v3 asked.
    const odd = await cli(['shadow', 'wordcount', '--version', `${v3}#x`]);
    expect([odd.code, odd.stderr]).toEqual([3, expect.stringMatching(/\(INVALID_REQUEST, HTTP 400\)\n$/)]);
    const lacked = await cli(['shadow', 'wordcount', '--version', '000000000000']);
    expect([lacked.code, lacked.stderr]).toEqual([3, expect.stringMatching(/is not a version of wordcount.*\(INVALID_REQUEST, HTTP 400\)\n$/)]);
    // Async jobs are mirrored too, and compared once the primary job has ended.
    for (let i = 0; i < 3; i++) {
      const job = await p.call('POST', '/v1/functions/wordcount/jobs', { input: { text: 'a b c' } });
      expect(job.status).toBe(202);
      expect((await p.call('GET', `/v1/jobs/${job.json.id}?wait=10s`)).json.status).toBe('succeeded');
    }
    report = await reportWith(9);
    expect(report.report.samples).toBe(9);
    expect(report.report.agreement).toBe(0);
    // So is each input of a bulk job, compared with its own item.
    const bulk = await p.call('POST', '/v1/functions/wordcount/jobs', { inputs: [{ text: 'a' }, { text: 'a b' }, { text: 'a b c d' }] });
    expect((await p.call('GET', `/v1/jobs/${bulk.json.id}?wait=10s`)).json.status).toBe('succeeded');
    report = await reportWith(12);
    expect(report.report.samples).toBe(12);
    expect(report.report.agreement).toBe(0);
  });

  it('list, describe, versions and traffic commands print tables or parseable JSON', async () => {
    const ls = await cli(['functions', 'ls', '--json']);
    expect(ls.json.items.map((f: { name: string }) => f.name)).toEqual(expect.arrayContaining(['echo', 'wordcount']));
    const table = await cli(['functions', 'ls']);
    expect(table.stdout.split('\n')[0]).toMatch(/^NAME\s+STABLE/);
    const d = await cli(['functions', 'describe', 'wordcount', '--json']);
    expect(d.json.versions).toHaveLength(3);
    // What the workers ran of each version, for tuning batching: v1 has served calls.
    expect(d.json.versions.find((v: { version: string }) => v.version === v1).running.ok).toBeGreaterThan(0);
    const human = (await cli(['functions', 'describe', 'wordcount'])).stdout.split('\n');
    expect(human.find((l) => l.startsWith('VERSION'))).toMatch(/RAN\s+FAILED\s+MEAN BATCH\s+P95 WAIT\s+P95 CALL\s+FEEDBACK\s+SCORE$/);
    const row = human.find((l) => l.startsWith(v1))!.split(/\s{2,}/);
    expect(Number(row[8])).toBeGreaterThan(0);
    const vs = await cli(['functions', 'versions', 'wordcount', '--json']);
    expect(vs.json.items.map((v: { version: string }) => v.version)).toEqual(expect.arrayContaining([v1, v2]));
    const t = await cli(['traffic', 'wordcount', `${v1}=80`, `${v2}=20`, '--no-shadow', '--json']);
    expect(t.code, t.stderr).toBe(0);
    expect(t.json.routes).toEqual([{ version: v1, weight: 80 }, { version: v2, weight: 20 }]);
    expect(t.json.shadow).toBeNull();
    const pr = await cli(['promote', 'wordcount', v2, '--json']);
    expect(pr.json.routes).toEqual([{ version: v2, weight: 100 }]);
  });

  it('async invoke with --wait, and jobs get / ls', async () => {
    const r = await cli(['invoke', 'echo', '--async', '--wait', '--data', '{"message":"bg"}', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.status).toBe('succeeded');
    expect(r.json.output).toEqual({ echo: { message: 'bg' } });
    const g = await cli(['jobs', 'get', r.json.id, '--json']);
    expect(g.json.id).toBe(r.json.id);
    expect(g.json.priority).toBe(5);
    const urgent = await cli(['invoke', 'echo', '--async', '--priority', '1', '--wait', '--data', '{}', '--json']);
    expect(urgent.json.priority).toBe(1);
    const sync = await cli(['invoke', 'echo', '--priority', '1', '--data', '{}']);
    expect(sync.code).toBe(2);
    expect(sync.stderr).toContain('--priority orders queued jobs');
    const word = await cli(['invoke', 'echo', '--async', '--priority', 'soon', '--data', '{}']);
    expect(word.code).toBe(2);
    expect(word.stderr).toContain("--priority takes a whole number, 1 (first) to 10 (last), not 'soon'");
    const outside = await cli(['invoke', 'echo', '--async', '--priority', '11', '--data', '{}']);
    expect(outside.code).toBe(3);
    expect(outside.stderr).toMatch(/priority: .*<=10 \(INVALID_REQUEST, HTTP 400\)/);
    const id = (await cli(['invoke', 'echo', '--async', '--data', '-'], { stdin: '{"fail":"fatal"}' })).stdout.trim();
    const w = await cli(['jobs', 'wait', id]);
    expect(w.code).toBe(1);
    expect(w.stderr).toContain('ECHO_FAILED');
    const dead = await cli(['jobs', 'ls', '--function', 'echo', '--status', 'failed', '--json']);
    expect(dead.json.items.map((j: { id: string }) => j.id)).toContain(id);
  });

  it('jobs retry runs a dead letter again (exit 1 when it fails again); jobs ls lists every function a page at a time', async () => {
    const id = (await p.call('POST', '/v1/functions/echo/jobs', { input: { fail: 'fatal' } })).json.id as string;
    expect((await p.call('GET', `/v1/jobs/${id}?wait=30s`)).json.status).toBe('failed');
    // Retried, the same job runs again (and fails again: its input is fatal), exit 1 as for wait.
    const retried = await cli(['jobs', 'retry', id, '--wait']);
    expect(retried.code, retried.stderr).toBe(1);
    expect(retried.stderr).toContain(`job ${id} failed`);
    expect((await p.call('GET', `/v1/jobs/${id}`)).json).toMatchObject({ status: 'failed', attempts: 1 });
    const audit = (await p.call('GET', '/v1/audit?action=job.retry&limit=100')).json.items as { jobId: string }[];
    expect(audit.map((a) => a.jobId)).toContain(id);
    const ok = (await p.call('POST', '/v1/functions/echo/jobs', { input: {} })).json.id as string;
    expect((await p.call('GET', `/v1/jobs/${ok}?wait=30s`)).json.status).toBe('succeeded');
    const notDead = await cli(['jobs', 'retry', ok]);
    expect(notDead.code).toBe(3);
    expect(notDead.stderr).toContain('JOB_NOT_RETRYABLE');
    // Every function's jobs, newest first, a page at a time: the job above, then the retried one.
    const page = await cli(['jobs', 'ls', '--limit', '1']);
    expect(page.code, page.stderr).toBe(0);
    expect(page.stdout).toContain(ok);
    const next = /more: --cursor (\S+)/.exec(page.stdout)?.[1];
    expect(next).toBeDefined();
    const second = await cli(['jobs', 'ls', '--limit', '1', '--cursor', next!, '--json']);
    expect(second.json.items.map((j: { id: string }) => j.id)).toEqual([id]);
  });

  it('bulk jobs with --inputs: a JSON array or JSON Lines, one line per input, exit 1 when an input failed', async () => {
    const ok = await cli(['invoke', 'echo', '--inputs', '[{"message":"x"},{"message":"y"}]', '--wait']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout.trim().split('\n')).toEqual(['0\t{"echo":{"message":"x"}}', '1\t{"echo":{"message":"y"}}']);
    const lines = await cli(['invoke', 'echo', '--inputs', '-', '--wait', '--json'], { stdin: '{"message":"a"}\n{"fail":"fatal"}\n' });
    expect(lines.code).toBe(1);
    expect(lines.json).toMatchObject({ status: 'succeeded', itemCount: 2, itemsFailed: 1 });
    expect(lines.stderr).toContain('1 of 2 inputs failed');
    const both = await cli(['invoke', 'echo', '--inputs', '[{}]', '--data', '{}']);
    expect(both.code).toBe(2);
  });

  it('pool shows each device slot with its worker, backend, jobs and models', async () => {
    const json = await cli(['pool', '--json']);
    expect(json.code, json.stderr).toBe(0);
    const [slot, ...more] = json.json.slots;
    expect(more).toEqual([]);
    expect(slot).toMatchObject({ device: 'cpu:0', kind: 'cpu', state: 'running', restarts: 0 });
    const worker = json.json.workers.find((w: { device: string }) => w.device === slot.device);
    expect(worker.pid).toBe(slot.pid);
    const human = await cli(['pool']);
    expect(human.code).toBe(0);
    const [header, row, status] = human.stdout.trim().split('\n');
    expect(header).toMatch(/^NODE +SLOT +STATE +PID +BACKEND/);
    expect(row!.split(/\s{2,}/).slice(0, 5)).toEqual([slot.host, 'cpu:0', 'running', String(slot.pid), worker.backend]);
    expect(status).toBe('ready');
    // A token that may not see every namespace is refused by the server's rules (3), not for its command line (2).
    const invoker = await cli(['pool'], { env: { AUTOGLM_TOKEN: await p.token(['invoker'], 'ivy') } });
    expect([invoker.code, invoker.stderr]).toEqual([3, "autoglm: the pool's detail needs a token of admin, or of a viewer of every namespace (*)\n"]);
  });

  it('deploy --env sets a setting for ctx.env as a version of its own; rollback returns to the manifest\'s', async () => {
    const first = await cli(['deploy', SETTINGS, '--json']);
    expect(first.code, first.stderr).toBe(0);
    expect((await cli(['invoke', 'settings', '--json'])).json.output).toEqual({ loaded: 'hello', greeting: 'hello', frozen: true });
    const changed = await cli(['deploy', SETTINGS, '--env', 'GREETING=hej', '--env', 'EXTRA=a=b', '--json']);
    expect(changed.code, changed.stderr).toBe(0);
    expect(changed.json.version).not.toBe(first.json.version);
    expect((await cli(['invoke', 'settings', '--json'])).json.output).toEqual({ loaded: 'hej', greeting: 'hej', frozen: true });
    const versions = (await cli(['functions', 'versions', 'settings', '--json'])).json.items;
    expect(versions.map((v: { version: string; env: object }) => [v.version, v.env])).toEqual([
      [changed.json.version, { GREETING: 'hej', EXTRA: 'a=b' }],
      [first.json.version, { GREETING: 'hello' }],
    ]);
    const human = (await cli(['functions', 'versions', 'settings'])).stdout.trim().split('\n');
    expect(human[0]).toMatch(/SHA256\s+ENV\s+SECRETS\s+TRAINED$/);
    expect(human.find((l) => l.startsWith(changed.json.version))).toMatch(/ GREETING=hej EXTRA=a=b\s+-\s+-$/);
    expect((await cli(['rollback', 'settings'])).code).toBe(0);
    expect((await cli(['invoke', 'settings', '--json'])).json.output.greeting).toBe('hello');
    const bad = await cli(['deploy', SETTINGS, '--env', 'NOVALUE']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('expected KEY=VALUE');
    const badName = await cli(['deploy', SETTINGS, '--env', '1X=y']);
    expect(badName.code).toBe(5);
    expect(badName.stderr).toContain('env');
  });

  it('logs prints what a function wrote, filters by level, prints JSON Lines, and --follow keeps printing new lines', async () => {
    const dep = await cli(['deploy', CHATTY, '--json']);
    expect(dep.code, dep.stderr).toBe(0);
    const call = await cli(['invoke', 'chatty', '--data', '{"n":5,"secret":"s-1"}', '--json']);
    expect(call.code, call.stderr).toBe(0);
    // Shipped within a flush interval: wait on the API (no process per look) until the handler's line is there.
    await eventually(async () => JSON.stringify((await p.call('GET', '/v1/functions/chatty/logs')).json).includes('batch'), "the handler's log line");
    const human = await cli(['logs', 'chatty']);
    expect(human.code, human.stderr).toBe(0);
    const batch = human.stdout.split('\n').find((l) => l.includes(' batch '))!;
    expect(batch.split(/\s{2,}/).slice(1, 3)).toEqual(['info', dep.json.version]);
    expect(batch).toContain(`[${call.json.id}]`);
    const warn = await cli(['logs', 'chatty', '--level', 'warn']);
    expect(warn.stdout.trim().split('\n').every((l) => / (warn|error) /.test(l))).toBe(true);
    expect(warn.stdout).toContain('secret s-1');
    const json = await cli(['logs', 'chatty', '--json', '-n', '2']);
    const lines = json.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ level: expect.any(String), version: dep.json.version });
    expect((await cli(['logs', 'chatty', '-n', '0'])).code).toBe(2);

    const follow = spawn(process.execPath, [CLI_BIN, 'logs', 'chatty', '-f', '-n', '1'], { env: { PATH: process.env.PATH!, HOME: work, AUTOGLM_URL: p.url, AUTOGLM_TOKEN: p.adminToken } });
    let followed = '';
    follow.stdout.on('data', (d) => (followed += d));
    const wait = (ok: () => boolean) => eventually(ok, 'the followed lines');
    try {
      // First the newest line (-n 1), then only what comes after it.
      await wait(() => followed.includes('\n'));
      expect(followed).toBe((await cli(['logs', 'chatty', '-n', '1'])).stdout);
      await cli(['invoke', 'chatty', '--data', '{"n":6,"secret":"s-2"}']);
      await wait(() => followed.includes('secret s-2'));
      const more = followed.trim().split('\n').slice(1);
      expect(more.length).toBeGreaterThan(0);
      expect(more.every((l) => !l.includes('s-1'))).toBe(true);
      expect(more.some((l) => l.includes('secret s-2'))).toBe(true);
    } finally {
      follow.kill();
    }
  });

  it('secret set from standard input or a file, ls, and rm (refused while in use) reach a function as ctx.secrets; no value is ever printed', async () => {
    const set = await cli(['secret', 'set', 'sign-key'], { stdin: 'from-stdin-77\n' });
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout.trim()).toBe('created secret sign-key in default (13 bytes)');
    expect((await cli(['deploy', SIGNER, '--json'])).code).toBe(0);
    expect((await cli(['functions', 'describe', 'signer'])).stdout.split('\n')).toContain('secrets: sign-key');
    const sig = (key: string) => createHmac('sha256', key).update('t').digest('hex');
    expect((await cli(['invoke', 'signer', '--data', '{"text":"t"}', '--json'])).json.output.sig).toBe(sig('from-stdin-77'));

    expect((await cli(['secret', 'set', 'other', '--from-env', 'PIPELINE_SECRET', '--json'], { env: { PIPELINE_SECRET: 'from-env-99' } })).json).toMatchObject({ name: 'other', size: 11 });
    expect((await cli(['secret', 'rm', 'other'])).code).toBe(0);
    const file = join(work, 'key.txt');
    writeFileSync(file, 'from-file-88\n');
    const update = await cli(['secret', 'set', 'sign-key', '--from-file', file]);
    expect(update.stdout.trim()).toBe('updated secret sign-key in default (13 bytes); reloading signer');
    // The reload is announced, not awaited: wait on the API (no process per look), then read it with the CLI.
    await eventually(async () => (await p.call('POST', '/v1/functions/signer/invoke', { input: { text: 't' } })).json.output?.sig === sig('from-file-88\n'), 'signer to reload with the new value');
    expect((await cli(['invoke', 'signer', '--data', '{"text":"t"}', '--json'])).json.output.sig).toBe(sig('from-file-88\n'));

    const ls = await cli(['secret', 'ls']);
    expect(ls.stdout.split('\n')[0]).toMatch(/^NAME\s+SIZE\s+UPDATED\s+BY\s+USED BY$/);
    expect(ls.stdout.split('\n')[1]!.split(/\s{2,}/)).toEqual(['sign-key', '13', expect.any(String), 'test-admin', 'signer']);
    const json = await cli(['secret', 'ls', '--json']);
    expect(json.json.items[0]).toMatchObject({ name: 'sign-key', usedBy: ['signer'] });
    expect(ls.stdout + json.stdout + set.stdout + update.stdout).not.toMatch(/from-(stdin|file)/);

    const inUse = await cli(['secret', 'rm', 'sign-key']);
    expect([inUse.code, inUse.stderr]).toEqual([3, expect.stringContaining("listed by serving versions of 'signer'")]);
    // The API's hint (force=true) in the CLI's terms.
    expect(inUse.stderr).toContain('or remove with --force (their next load fails) (SECRET_IN_USE, HTTP 409)');
    expect((await cli(['secret', 'set', 'x'], { stdin: '' })).code).toBe(2);
    expect((await cli(['functions', 'rm', 'signer'])).code).toBe(0);
    expect((await cli(['secret', 'rm', 'sign-key'])).stdout.trim()).toBe('removed secret sign-key');
  });

  it('exit codes tell usage errors, server refusals, failed jobs and unreachable servers apart', async () => {
    const usage = await cli(['traffic', 'wordcount', 'nonsense']);
    expect(usage.code).toBe(2);
    const unknown = await cli(['frobnicate']);
    expect(unknown.code).toBe(2);
    const server = await cli(['invoke', 'no-such-function']);
    expect(server.code).toBe(3);
    expect(server.stderr.trim().split('\n')).toHaveLength(1);
    expect(server.stderr).toContain("no function named 'no-such-function'");
    const failed = await cli(['invoke', 'echo', '--data', '{"fail":"fatal"}']);
    expect(failed.code).toBe(1);
    const down = await cli(['functions', 'ls'], { env: { AUTOGLM_URL: 'http://127.0.0.1:9' } });
    expect(down.code).toBe(4);
    const badBuild = await cli(['build', join(work, 'missing-folder')]);
    expect(badBuild.code).toBe(5);
    const help = await cli(['deploy', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--canary');
    // Required options say so (an option's text may wrap onto the next lines).
    const tokenHelp = await cli(['token', 'create', '--help']);
    const option = (flag: string) => tokenHelp.stdout.split(/\n(?=  -)/).find((o) => o.startsWith(`  ${flag} `))!.replace(/\s+/g, ' ');
    expect([option('--sub'), option('--role')]).toEqual([expect.stringMatching(/\(required\)$/), expect.stringMatching(/\(required\)$/)]);
    expect(option('--ttl')).not.toContain('required');
  });

  it('login checks the token and saves it readable only by the user; the environment overrides it', async () => {
    const cfg = join(work, 'login.json');
    const bad = await cli(['login', '--url', p.url, '--token', 'not-a-token'], { env: { AUTOGLM_CONFIG: cfg } });
    expect(bad.code).toBe(3);
    const ok = await cli(['login', '--url', p.url], { env: { AUTOGLM_CONFIG: cfg, AUTOGLM_TOKEN: '', AUTOGLM_URL: '' }, stdin: p.adminToken });
    expect(ok.code, ok.stderr).toBe(0);
    expect(statSync(cfg).mode & 0o777).toBe(0o600);
    const ls = await cli(['functions', 'ls', '--json'], { env: { AUTOGLM_CONFIG: cfg, AUTOGLM_TOKEN: '', AUTOGLM_URL: '' } });
    expect(ls.code).toBe(0);
  });

  it("console prints a one-time link for the saved login's own token", async () => {
    const cfg = join(work, 'console.json');
    const vic = await p.token(['viewer'], 'vic');
    const saved = { AUTOGLM_CONFIG: cfg, AUTOGLM_TOKEN: '', AUTOGLM_URL: '' };
    expect((await cli(['login', '--url', p.url, '--token', vic], { env: saved })).code).toBe(0);
    const out = await cli(['console'], { env: saved });
    expect(out.code, out.stderr).toBe(0);
    const code = new RegExp(`^${p.url}/console/#/login\\?code=([A-Za-z0-9_-]{43})$`, 'm').exec(out.stdout)?.[1];
    expect(code, out.stdout).toBeDefined();
    const login = () => fetch(`${p.url}/v1/console/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) });
    const first = await login();
    expect(await first.json()).toMatchObject({ token: vic, sub: 'vic', roles: ['viewer'] });
    expect((await login()).status).toBe(400);
  });
});
