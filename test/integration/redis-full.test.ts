import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bundleMaker } from '../harness/bundles.ts';
import { LOOPBACK_CALLBACKS, eventually, startPlatform, type TestPlatform } from '../harness/platform.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';
import { functionSet, lines } from './pool-helpers.ts';

// Redis at its maxmemory under noeviction (the policy the platform requires) refuses writes with
// OOM. The platform must answer that as a state (503 STORE_FULL, Retry-After), lose nothing it
// accepted before, and carry on by itself once memory frees.
let redis: TestRedis;
let admin: Redis;
let p: TestPlatform;
let dir: string;
let hooks: Server;
const delivered: string[] = [];

beforeAll(async () => {
  redis = await startTestRedis();
  admin = new Redis(redis.url);
  dir = mkdtempSync(join(tmpdir(), 'autoglm-redis-full-'));
  hooks = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => (delivered.push(JSON.parse(body).job.id), res.writeHead(204).end()));
  });
  await new Promise<void>((r) => hooks.listen(0, '127.0.0.1', r));
  p = await startPlatform(redis.url, {
    env: {
      AUTOGLM_FUNCTIONS_DIR: functionSet('redis-full'),
      // `gate` reads and writes files of this test: its code runs on the worker's threads, not in a sandbox.
      AUTOGLM_ISOLATION: 'thread',
      // Locks are not renewed while Redis is full: short ones lapse within the test.
      AUTOGLM_JOB_LOCK: '1s',
      AUTOGLM_STALLED_INTERVAL: '1s',
      // Admission takes a round trip of its own (a script) when a namespace has limits.
      AUTOGLM_NAMESPACE_LIMITS: JSON.stringify({ '*': { concurrency: 1000 } }),
      // The webhook receiver is this test, on loopback.
      ...LOOPBACK_CALLBACKS,
    },
  });
});
afterEach(async () => {
  await free();
});
afterAll(async () => {
  await p?.stop();
  hooks?.close();
  admin?.disconnect();
  await redis?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const usedMemory = async (): Promise<number> => Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1]);

/**
 * Grows a key until Redis refuses a write, then sets maxmemory far under what it holds (1 MB):
 * memory that frees by itself (a client's buffers after a big command) must not let writes through.
 */
async function fill(): Promise<void> {
  await admin.config('SET', 'maxmemory', String((await usedMemory()) + 8_000_000));
  const chunk = 'x'.repeat(64 * 1024);
  for (;;) {
    try {
      await admin.append('filler', chunk);
    } catch (err) {
      expect((err as Error).message).toMatch(/^OOM /);
      break;
    }
  }
  // Far under what it holds, not just under: a few MB freed by themselves (client buffers, a
  // trimmed stream, expired records) once let a job's end through 4 MB under the limit.
  await admin.config('SET', 'maxmemory', String(1_000_000));
}

/** Frees the memory as an operator would: the filler goes, and the limit is lifted. */
async function free(): Promise<void> {
  await admin.del('filler');
  await admin.config('SET', 'maxmemory', '0');
}

/** Uploads a bundle of echo under `name`. */
async function deploy(name: string): Promise<{ status: number; headers: Headers; json: any }> {
  const b = (await bundleMaker(join(functionSet('redis-full'), 'echo')))(name);
  const res = await fetch(`${p.url}/v1/functions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${p.adminToken}`, 'content-type': 'application/gzip', 'x-bundle-sha256': b.hash },
    body: new Uint8Array(b.archive),
  });
  return { status: res.status, headers: res.headers, json: await res.json() };
}

/** A job's record once it has ended (succeeded or failed). */
const ended = (id: string) =>
  eventually(async () => {
    const j = (await p.call('GET', `/v1/jobs/${id}`)).json;
    return (j.status === 'succeeded' || j.status === 'failed') && j;
  }, `job ${id} to end`, 45_000);

describe('with Redis full', () => {
  it('calls, job submissions, bulk jobs, deploys and secrets answer 503 STORE_FULL with Retry-After, and succeed once memory frees, without a restart', async () => {
    await fill();
    const refused = {
      invoke: await p.call('POST', '/v1/functions/echo/invoke', { input: { message: 'full' } }),
      job: await p.call('POST', '/v1/functions/echo/jobs', { input: { message: 'full' } }),
      bulk: await p.call('POST', '/v1/functions/echo/jobs', { inputs: [{ message: 'a' }, { message: 'b' }] }),
      idempotent: await p.call('POST', '/v1/functions/echo/jobs', { input: { message: 'full' } }, { 'idempotency-key': 'while-full' }),
      deploy: await deploy('echo-late'),
      secret: await p.call('PUT', '/v1/secrets/while-full', { value: 'v' }),
    };
    for (const [what, r] of Object.entries(refused)) {
      expect({ what, status: r.status, code: r.json.code, retryAfter: r.headers.get('retry-after') }).toEqual({ what, status: 503, code: 'STORE_FULL', retryAfter: '5' });
    }
    // Not ready, saying why: not "no live worker", which is what it would come to once heartbeats fail.
    const ready = await fetch(`${p.url}/readyz`);
    expect(ready.status).toBe(503);
    expect((await ready.json()).reasons).toContain('redis is full (maxmemory reached): writes are refused');

    await free();
    expect((await fetch(`${p.url}/readyz`)).status).toBe(200);
    const call = await p.call('POST', '/v1/functions/echo/invoke', { input: { message: 'freed' } });
    expect(call.status).toBe(200);
    expect(call.json.output).toEqual({ echo: { message: 'freed' } });
    const job = await p.call('POST', '/v1/functions/echo/jobs', { input: { message: 'freed' } }, { 'idempotency-key': 'while-full' });
    expect(job.status).toBe(202);
    expect((await ended(job.json.id)).status).toBe('succeeded');
    expect((await deploy('echo-late')).status).toBe(201);
    expect((await p.call('POST', '/v1/functions/echo-late/invoke', { input: { message: 'late' } })).json.output).toEqual({ echo: { message: 'late' } });
    expect((await p.call('PUT', '/v1/secrets/while-full', { value: 'v' })).status).toBe(201);
  });

  it('work accepted before it filled is not lost: a running call is answered while it is full, running and queued jobs complete once memory frees', async () => {
    const started = join(dir, 'started');
    const gate = join(dir, 'gate');
    const callbackUrl = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/hook`;
    // `gate` runs three at a time. A synchronous call runs first (held at the gate), then two of
    // four async jobs; the other two wait in the queue. Each job has a webhook, whose delivery its
    // worker must enqueue when the job ends.
    const call = p.call('POST', '/v1/functions/gate/invoke', { input: { startedFile: started, gate, n: 4 } });
    await eventually(async () => lines(started).length === 1, 'the call to be running');
    const ids: string[] = [];
    for (let n = 0; n < 4; n++) {
      const r = await p.call('POST', '/v1/functions/gate/jobs', { input: { startedFile: started, gate, n }, callbackUrl });
      expect(r.status).toBe(202);
      ids.push(r.json.id);
    }
    await eventually(async () => lines(started).length === 3, 'two jobs to be running beside it');
    const running = lines(started).slice(1).map((n) => ids[Number(n)]!);

    await fill();
    writeFileSync(gate, '');
    // The call's end is recorded while Redis is full (BullMQ's scripts free the job's lock first,
    // and Redis refuses only a script's first write), and its caller is answered.
    const answered = await call;
    expect({ status: answered.status, output: answered.json.output }).toEqual({ status: 200, output: { n: 4 } });
    // Both end while Redis is full: their workers cannot enqueue the deliveries, and wait for room.
    for (const id of running) {
      await eventually(async () => {
        const j = (await p.call('GET', `/v1/jobs/${id}`)).json;
        if (j.status !== 'running') throw new Error(`job ${id} ended while Redis was full: ${JSON.stringify(j)}`);
        return p.pool!.output().split('\n').some((l) => l.includes('Redis is full') && l.includes(`"jobId":"${id}"`));
      }, `the worker of ${id} to wait for room`);
    }
    // Redis renews no lock while full: each lapses, as under a longer outage.
    for (const id of running) await eventually(async () => (await p.redis.exists(`${p.prefix}:fn.gate:${id}:lock`)) === 0, `the lock of ${id} to lapse`);

    await free();
    for (const id of ids) {
      const j = await ended(id);
      expect({ id, status: j.status, output: j.output }).toEqual({ id, status: 'succeeded', output: { n: ids.indexOf(id) } });
    }
    // A job whose lock lapsed cannot record its end: BullMQ finds it stalled once memory frees, and
    // it runs again. A queued job may have started in the call's place while Redis was still full
    // (workers can take jobs then), and had its lock lapse too: at least once, never lost.
    const runs = lines(started).slice(1).map((n) => ids[Number(n)]!);
    const count = (id: string) => runs.filter((r) => r === id).length;
    expect(running.map(count)).toEqual([2, 2]);
    for (const id of ids.filter((id) => !running.includes(id))) expect([1, 2]).toContain(count(id));
    await eventually(async () => ids.every((id) => delivered.includes(id)), 'every webhook to be delivered');
    // One delivery per job, however often its worker tried to enqueue it.
    expect(delivered.filter((id) => ids.includes(id)).sort()).toEqual([...ids].sort());
  });
});
