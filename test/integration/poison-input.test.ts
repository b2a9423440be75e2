import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { FunctionCatalog, PayloadCipher, newKeyringSpec, parseKeyring, recordOf } from '../../queue/cluster/index.ts';
import { JobSubmitter, QueueSet } from '../../queue/jobs/index.ts';
import { buildBundle } from '../../runtime/bundles/build-bundle.ts';
import { eventually, type TestPlatform } from '../harness/platform.ts';
import { QUICK_DEATH, fixturePath, lines, poolSuite, workers } from './pool-helpers.ts';

const suite = poolSuite('poison');

/** `{"a":{"a":…1…}}`, `n` objects deep: 200 KB at 100,000, which JSON.parse takes without complaint. */
const deep = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);

const deploy = async (p: TestPlatform, fn: string) => {
  const b = await buildBundle(fixturePath(`functions/${fn}`), { typecheck: false });
  await p.api.deploy(b.archive, b.hash, {});
};

/** POST with a raw JSON body (the harness would serialize it, and cannot: 1e400 is no JS value). */
async function post(p: TestPlatform, path: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string | null; json: any }> {
  const res = await fetch(p.url + path, { method: 'POST', headers: { authorization: `Bearer ${p.adminToken}`, 'content-type': 'application/json', ...headers }, body });
  return { status: res.status, type: res.headers.get('content-type'), json: await res.json() };
}

describe('poison input', () => {
  it('the router refuses a body nested too deeply or holding a number that overflows: 400 naming the field, with or without an Idempotency-Key', async () => {
    const p = await suite.start({ pool: false });
    const cases: [string, string, string, Record<string, string>][] = [
      ['/v1/functions/echo/invoke', `{"input":{"context":${deep(100_000)}}}`, 'input.context.a.a.a.a.a.a…', {}],
      ['/v1/functions/echo/jobs', `{"input":{"context":${deep(100_000)}}}`, 'input.context.a.a.a.a.a.a…', { 'idempotency-key': 'deep-1' }],
      ['/v1/functions/echo/jobs', `{"inputs":[{"x":1},{"context":${deep(100)}}]}`, 'inputs[1].context.a.a.a.a.a…', {}],
      ['/v1/functions/echo/invoke', '{"input":{"amount":1e400}}', 'input.amount', {}],
      ['/v1/functions/echo/jobs', '{"input":{"amount":-1e400}}', 'input.amount', { 'idempotency-key': 'inf-1' }],
    ];
    for (const [path, body, field, headers] of cases) {
      const r = await post(p, path, body, headers);
      expect(r.status, `${path} ${field}`).toBe(400);
      expect(r.type).toBe('application/problem+json');
      expect(r.json).toMatchObject({ code: 'INVALID_REQUEST', field, in: 'body' });
    }
  });

  // The hand-off is JSON text, to the inference thread or over the IPC channel of a function's
  // process, with each input spliced in as the text it was sealed as: the worker never parses it
  // nor writes it out again, so no depth can make the hand-off throw there.
  it.each(['thread', 'process'])('an input nested past the stack\'s depth crosses to function code (isolation %s) as the text it was sealed as: its batch completes and the worker lives', async (level) => {
    // The router refuses such an input; a job carrying one anyway (the limit raised, an older
    // router) must still not take its worker down. So it is queued here, behind the router's back.
    const keyring = newKeyringSpec('poison');
    const p = await suite.start({ env: { AUTOGLM_ENCRYPTION_KEYS: keyring, AUTOGLM_ISOLATION: level } });
    await deploy(p, 'depth'); // batching up to 32
    const [before] = await workers(p);
    const state = await new FunctionCatalog(p.redis, p.prefix).get('depth');
    const rec = recordOf(state!, state!.traffic.stable!)!;
    const ring = parseKeyring(keyring);
    if (!ring.ok) throw new Error(ring.error);
    const conn = new Redis(p.redis.options);
    const queues = new QueueSet(conn, p.prefix);
    try {
      const submitter = new JobSubmitter(queues, { prefix: p.prefix, cipher: new PayloadCipher(ring.ring) });
      const inputs = [`{"i":0}`, `{"i":1}`, `{"i":2,"context":${deep(100_000)}}`, `{"i":3}`, `{"i":4}`];
      const items = inputs.map(() => ({ input: undefined, deadline: null }));
      const { id } = await submitter.submit({ rec, input: undefined, items, inputJson: Buffer.from(`[${inputs.join(',')}]`), ns: 'default', by: 'test', deadline: null });
      const job = await eventually(async () => {
        const j = (await p.call('GET', `/v1/jobs/${id}`)).json;
        return j.status === 'succeeded' && j;
      }, 'the job to end');
      expect(job.items.map((it: { status: string }) => it.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded', 'succeeded']);
      // Function code got each input as sent: the deep one whole, 100,000 objects down.
      expect(job.items.map((it: { output: unknown }) => it.output)).toEqual([0, 1, 2, 3, 4].map((i) => ({ i, depth: i === 2 ? 100_000 : 0 })));
      const [after] = await workers(p);
      expect(after!.pid).toBe(before!.pid);
      expect(after!.restarts).toBe(before!.restarts);
    } finally {
      await queues.close();
      conn.disconnect();
    }
  });

  it('a job that crashes its worker is dead-lettered as POISON_INPUT after two crashes; the jobs running beside it complete', async () => {
    // Worker-process mechanics: the fixture kills the process it runs in and counts in a file, which
    // at sandbox level would be the sandbox (the worker lives on) and a file it cannot write.
    const p = await suite.start({ env: { ...QUICK_DEATH, AUTOGLM_ISOLATION: 'thread' } });
    await deploy(p, 'crasher');
    const starts = suite.countFile();
    const crashes = suite.countFile();
    const [first] = await workers(p);
    // Four jobs running when the poison arrives: its first crash takes them down too.
    const others: string[] = [];
    for (let i = 0; i < 4; i++) others.push((await p.call('POST', '/v1/functions/crasher/jobs', { input: { sleepMs: 1000, countFile: starts } })).json.id);
    await eventually(async () => lines(starts).length >= 4, 'the four jobs to start');
    const poison = (await p.call('POST', '/v1/functions/crasher/jobs', { input: { crash: true, countFile: crashes } })).json.id;

    const dead = await eventually(async () => {
      const j = (await p.call('GET', `/v1/jobs/${poison}`)).json;
      return j.status === 'failed' && j;
    }, 'the poison job to be dead-lettered', 60_000);
    expect(dead.error).toMatchObject({ code: 'POISON_INPUT', retryable: false });
    // Two crashes, not three: the second time it ran alone, and was not run again.
    expect(lines(crashes)).toHaveLength(2);
    for (const id of others) {
      const j = await suite.succeeded(id);
      expect(j.output.pid).toBeGreaterThan(0);
    }
    // The dead workers' heartbeats linger until they go stale: wait for the one live worker.
    const now = await suite.replacement(first!.pid, 'the last replacement to be the one live worker');
    expect(lines(crashes)).not.toContain(String(now.pid));
    expect(new Set(lines(crashes)).size).toBe(2); // two different workers died
    const failed = await p.call('GET', '/v1/jobs?function=crasher&status=failed');
    expect(failed.json.items.map((j: { id: string }) => j.id)).toEqual([poison]);
  }, 120_000);

  // A sandbox process dies alone: the worker lives, and the calls that ran in the sandbox come back to it lost.
  it.each(['sandbox', 'process'])(
    'at isolation %s, a job that crashes its sandbox is dead-lettered as POISON_INPUT after two deaths; the jobs in the sandbox with it complete without spending an attempt, and the worker lives',
    async (level) => {
      const p = await suite.start({ env: { AUTOGLM_ISOLATION: level } });
      await deploy(p, 'crasher'); // retries: 0, so a call lost once and not re-run would fail
      const [first] = await workers(p);
      expect(first!.isolation).toBe(level);
      const others: string[] = [];
      for (let i = 0; i < 4; i++) others.push((await p.call('POST', '/v1/functions/crasher/jobs', { input: { sleepMs: 300 } })).json.id);
      await eventually(async () => (await Promise.all(others.map((id) => suite.job(id)))).every((j) => j.status === 'running'), 'the four jobs to run');
      const poison = (await p.call('POST', '/v1/functions/crasher/jobs', { input: { crash: true } })).json.id;

      const dead = await eventually(async () => {
        const j = await suite.job(poison);
        return j.status === 'failed' && j;
      }, 'the poison job to be dead-lettered', 60_000);
      expect(dead.error).toMatchObject({ code: 'POISON_INPUT', retryable: false });
      expect(dead.error.message).toMatch(/sandbox died 2 times/);
      for (const id of others) await suite.succeeded(id);
      // Its sandbox died twice (with the others, then alone), and the worker process lived.
      const done = Date.now();
      const [now] = await eventually(async () => {
        const ws = await workers(p);
        return (ws[0]?.seenAt ?? 0) > done && ws;
      }, 'a heartbeat after the jobs ended');
      expect(now!.pid).toBe(first!.pid);
      expect(now!.sandboxDeaths).toBe(2);
      const metrics = await p.call('GET', '/metrics');
      expect(metrics.json).toMatch(/autoglm_worker_sandbox_deaths_total\{[^}]*\} 2/);
    },
    120_000,
  );
});
