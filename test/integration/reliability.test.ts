import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhook } from '../../runtime/webhooks/index.ts';
import { LOOPBACK_CALLBACKS, eventually, startPlatform, type TestPlatform } from '../harness/platform.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';
import { QUICK_DEATH, functionSet } from './pool-helpers.ts';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  await redis?.destroy();
});

let p: TestPlatform | undefined;
afterEach(async () => {
  await p?.stop();
  p = undefined;
});

const waitFor = async (plat: TestPlatform, id: string) => (await plat.call('GET', `/v1/jobs/${id}?wait=30s`)).json;

/**
 * One platform for a describe's tests, which only submit jobs to it and read them back (a start
 * with a pool costs seconds on a small machine); stopped after them.
 */
function sharedPlatform(env?: Record<string, string>): () => TestPlatform {
  let shared: TestPlatform | undefined;
  beforeAll(async () => {
    shared = await startPlatform(redis.url, { env });
  });
  afterAll(async () => {
    await shared?.stop();
  });
  return () => shared!;
}

describe('retries and dead letters', () => {
  const platform = sharedPlatform();

  it('retries a retryable failure, then fails and lists it as a dead letter', async () => {
    const p = platform();
    const r = await p.call('POST', '/v1/functions/echo/jobs', { input: { fail: 'retryable' } });
    const job = await eventually(async () => {
      const j = await waitFor(p, r.json.id);
      return j.status === 'failed' && j;
    }, 'the job to fail');
    expect(job.attempts).toBe(3); // retries: 2 in echo's manifest
    expect(job.maxAttempts).toBe(3);
    expect(job.error.code).toBe('ECHO_FAILED');
    const dead = await p.call('GET', '/v1/jobs?function=echo&status=failed');
    expect(dead.status).toBe(200);
    expect(dead.json.items.map((j: { id: string }) => j.id)).toContain(r.json.id);
  });

  it('does not retry a non-retryable failure', async () => {
    const p = platform();
    const r = await p.call('POST', '/v1/functions/echo/jobs', { input: { fail: 'fatal' } });
    const job = await waitFor(p, r.json.id);
    expect(job.status).toBe('failed');
    expect(job.attempts).toBe(1);
  });
});

describe('webhook callbacks', () => {
  const platform = sharedPlatform(LOOPBACK_CALLBACKS);

  it('delivers a signed result, retrying after the receiver fails once', async () => {
    const received: { headers: IncomingHttpHeaders; body: string; status: number }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        // The first delivery is refused, like a receiver that is briefly down.
        const status = received.length === 0 ? 503 : 204;
        received.push({ headers: req.headers, body, status });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    try {
      const p = platform();
      const r = await p.call('POST', '/v1/functions/echo/jobs', { input: { message: 'call me' }, callbackUrl: url });
      await eventually(async () => received.length >= 2, 'the second delivery');
      const ok = received[1]!;
      const headers = Object.fromEntries(Object.entries(ok.headers).map(([k, v]) => [k, String(v)]));
      // Signed with the key of echo's namespace, as its receiver's owner reads it.
      const key = (await p.call('GET', '/v1/webhook-keys?namespace=default')).json.keys[0].key as string;
      expect(verifyWebhook(key, headers, ok.body)).toBe(true);
      expect(verifyWebhook('wrong-secret-wrong-secret-wrong-secret', headers, ok.body)).toBe(false);
      expect(verifyWebhook(key, headers, ok.body.replace('call me', 'call you'))).toBe(false);
      const payload = JSON.parse(ok.body);
      expect(payload.type).toBe('job.succeeded');
      expect(payload.job.id).toBe(r.json.id);
      expect(payload.job.output).toEqual({ echo: { message: 'call me' } });
      expect(headers['autoglm-delivery-attempt']).toBe('2');
      const view = await eventually(async () => {
        const j = (await p.call('GET', `/v1/jobs/${r.json.id}`)).json;
        return j.callback?.status === 'delivered' && j;
      }, 'delivery to be recorded');
      expect(view.callback.url).toBe(url);
    } finally {
      server.close();
    }
  });

  it('delivers failures too', async () => {
    const bodies: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => (bodies.push(body), res.writeHead(200).end()));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      await platform().call('POST', '/v1/functions/echo/jobs', { input: { fail: 'fatal' }, callbackUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` });
      await eventually(async () => bodies.length >= 1, 'a delivery');
      const payload = JSON.parse(bodies[0]!);
      expect(payload.type).toBe('job.failed');
      expect(payload.job.error.code).toBe('ECHO_FAILED');
    } finally {
      server.close();
    }
  });
});

describe('crashes', () => {
  it('a job whose worker is killed with SIGKILL mid-run is picked up again and completes', async () => {
    p = await startPlatform(redis.url, { env: QUICK_DEATH });
    const r = await p.call('POST', '/v1/functions/echo/jobs', { input: { sleepMs: 3000, message: 'survivor' } });
    await eventually(async () => (await p!.call('GET', `/v1/jobs/${r.json.id}`)).json.status === 'running', 'the job to start');
    const [pid] = await p.pool!.workerPids();
    process.kill(pid!, 'SIGKILL');
    const job = await eventually(async () => {
      const j = (await p!.call('GET', `/v1/jobs/${r.json.id}?wait=5s`)).json;
      return j.status === 'succeeded' && j;
    }, 'the job to complete on a new worker', 45_000);
    expect(job.output).toEqual({ echo: { sleepMs: 3000, message: 'survivor' } });
    // The supervisor replaced the dead worker.
    const pids = await eventually(async () => {
      const now = await p!.pool!.workerPids();
      return now.length === 1 && now[0] !== pid && now;
    }, 'a replacement worker');
    expect(pids[0]).not.toBe(pid);
  });

  it('accepted async jobs survive a Redis restart (AOF) and complete', async () => {
    p = await startPlatform(redis.url, { pool: false });
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await p.call('POST', '/v1/functions/echo/jobs', { input: { message: `m${i}` } });
      expect(r.status).toBe(202);
      ids.push(r.json.id);
    }
    await redis.stop();
    await redis.start();
    // The router reconnects by itself; the pool starts against the restarted Redis.
    await p.startPool();
    for (const [i, id] of ids.entries()) {
      const j = await eventually(async () => {
        const v = await p!.call('GET', `/v1/jobs/${id}?wait=5s`);
        return v.status === 200 && v.json.status === 'succeeded' && v.json;
      }, `job ${id}`);
      expect(j.output).toEqual({ echo: { message: `m${i}` } });
    }
  });
});

describe('sync calls and queued async work', () => {
  it('a sync call runs ahead of an async backlog submitted before it, and the backlog still completes', async () => {
    p = await startPlatform(redis.url, { pool: false });
    const backlog = 300;
    const ids: string[] = [];
    for (let i = 0; i < backlog; i++) ids.push((await p.call('POST', '/v1/functions/echo/jobs', { input: { i } })).json.id);
    const sync = p.call('POST', '/v1/functions/echo/invoke', { input: { message: 'a caller is waiting' } });
    // Every job waits until a pool starts: the backlog, then the sync call's.
    await eventually(async () => Number(/autoglm_queue_jobs\{function="echo",state="waiting"\} (\d+)/.exec(await (await fetch(`${p!.url}/metrics`, { headers: { authorization: `Bearer ${p!.adminToken}` } })).text())?.[1]) === backlog + 1, 'the sync call queued behind the backlog');
    await p.startPool();
    const answer = await sync;
    expect(answer.status).toBe(200);
    const startedAt = async (id: string) => {
      const j = (await p!.call('GET', `/v1/jobs/${id}?wait=30s`)).json;
      expect(j.status).toBe('succeeded');
      return Date.parse(j.timings.started);
    };
    const syncStart = await startedAt(answer.json.id);
    const asyncStarts = [];
    for (const id of ids) asyncStarts.push(await startedAt(id));
    // In submission order it would start after at least backlog − 64 (echo's concurrency) of them.
    expect(asyncStarts.filter((t) => t < syncStart).length).toBeLessThan(64);
  });
});

describe('async job priority', () => {
  it('runs queued async jobs by priority, each priority in submission order', async () => {
    // in-order runs one input at a time and appends its label to a file: the file's lines are the
    // order the worker took the jobs in (start timestamps of concurrent jobs are not an order).
    // Thread isolation: it writes the test's file, which a sandbox cannot see.
    const dir = mkdtempSync(join(tmpdir(), 'autoglm-order-'));
    const log = join(dir, 'order.txt');
    try {
      p = await startPlatform(redis.url, { pool: false, env: { AUTOGLM_FUNCTIONS_DIR: functionSet('order'), AUTOGLM_ISOLATION: 'thread' } });
      const submit = async (label: string, priority?: number) => {
        const r = await p!.call('POST', '/v1/functions/in-order/jobs', { input: { log, label }, ...(priority === undefined ? {} : { priority }) });
        expect(r.status).toBe(202);
        return r.json.id as string;
      };
      const labels = (group: string) => Array.from({ length: 100 }, (_, i) => `${group} ${i}`);
      const ids: string[] = [];
      // Submitted in the reverse of the order they should run in.
      for (const label of labels('late')) ids.push(await submit(label, 10));
      for (const label of labels('normal')) ids.push(await submit(label));
      for (const label of labels('first')) ids.push(await submit(label, 1));
      expect((await p.call('GET', `/v1/jobs/${ids[0]}`)).json).toMatchObject({ status: 'queued', priority: 10 });
      expect((await p.call('GET', `/v1/jobs/${ids[100]}`)).json.priority).toBe(5);
      await p.startPool();
      for (const id of ids) expect((await waitFor(p, id)).status).toBe('succeeded');
      expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual([...labels('first'), ...labels('normal'), ...labels('late')]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a priority outside 1 to 10, naming the field', async () => {
    p = await startPlatform(redis.url, { pool: false });
    for (const priority of [0, 11, 2.5, 'high']) {
      const r = await p.call('POST', '/v1/functions/echo/jobs', { input: {}, priority });
      expect(r.status, String(priority)).toBe(400);
      expect(r.headers.get('content-type')).toContain('application/problem+json');
      expect(r.json.field).toBe('priority');
    }
  });
});

describe('backpressure', () => {
  it('answers 503 with Retry-After once the queue holds its configured depth, losing no accepted job', async () => {
    p = await startPlatform(redis.url, { pool: false, env: { AUTOGLM_MAX_QUEUE_DEPTH: '5' } });
    const results = [];
    for (let i = 0; i < 12; i++) results.push(await p.call('POST', '/v1/functions/echo/jobs', { input: { i } }));
    const accepted = results.filter((r) => r.status === 202);
    const refused = results.filter((r) => r.status === 503);
    expect(accepted.length).toBeGreaterThanOrEqual(5);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]!.json.code).toBe('QUEUE_FULL');
    expect(Number(refused[0]!.headers.get('retry-after'))).toBeGreaterThan(0);
    await p.startPool();
    for (const r of accepted) expect((await waitFor(p, r.json.id)).status).toBe('succeeded');
  });
});
