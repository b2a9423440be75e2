/**
 * The design's floor for issue 26 (router half): the least code that carries `risk-scoring` calls
 * the way the platform does. Concurrent calls are grouped into one durable BullMQ job (a lone call
 * goes at once; otherwise up to 1 ms or 32 calls, the platform's defaults), separate worker
 * processes score them (`skeleton-worker.ts`), and the answers come back on ONE shared pub/sub
 * subscription. None of the platform's other guarantees: no auth, validation, audit, sealing,
 * tracing, metrics, deadlines, limits or retries. What the platform costs above this is its
 * features; what this costs above the in-process server is the design (queue, processes, hops).
 *
 * Env (set by inproc-bench.ts): BENCH_REDIS_URL, BENCH_PREFIX, BENCH_QUEUE, BENCH_CHANNEL.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Queue } from 'bullmq';
import { Hono } from 'hono';
import { Redis } from 'ioredis';
import { announceReady } from './ready.ts';

const MAX_ITEMS = 32;
const MAX_WAIT_MS = 1;
const url = process.env.BENCH_REDIS_URL!;
const channel = process.env.BENCH_CHANNEL!;

// As the platform's router: auto-pipelining batches the many small writes of concurrent adds.
const producer = new Redis(url, { maxRetriesPerRequest: 2, enableAutoPipelining: true });
const subscriber = new Redis(url);
const queue = new Queue(process.env.BENCH_QUEUE!, { connection: producer, prefix: process.env.BENCH_PREFIX! });

type Answer = (output: unknown) => void;
const waiting = new Map<string, Answer[]>();
subscriber.on('message', (_ch: string, payload: string) => {
  const { id, results } = JSON.parse(payload) as { id: string; results: unknown[] };
  const answers = waiting.get(id);
  if (!answers) return;
  waiting.delete(id);
  outstanding -= answers.length;
  answers.forEach((answer, i) => answer(results[i]));
});
await subscriber.subscribe(channel);

let forming: { inputs: unknown[]; answers: Answer[]; solo: boolean } | undefined;
let timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
let outstanding = 0;

function flush(): void {
  clearTimeout(timer as NodeJS.Timeout);
  clearImmediate(timer as NodeJS.Immediate);
  timer = undefined;
  const group = forming!;
  forming = undefined;
  const id = randomUUID();
  // Registered before the add: a fast worker's answer can never arrive before its waiter.
  waiting.set(id, group.answers);
  outstanding += group.answers.length;
  queue.add('call', { inputs: group.inputs, solo: group.solo }, { jobId: id, removeOnComplete: { age: 3600 }, removeOnFail: { age: 86_400 } }).catch((err: unknown) => {
    waiting.delete(id);
    outstanding -= group.answers.length;
    group.answers.forEach((answer) => answer(err));
  });
}

const call = (input: unknown) =>
  new Promise<unknown>((answer) => {
    if (!forming) {
      // Nothing in flight: nobody else is coming soon, so wait only for this turn's arrivals.
      const solo = outstanding === 0;
      forming = { inputs: [], answers: [], solo };
      timer = solo ? setImmediate(flush) : setTimeout(flush, MAX_WAIT_MS);
    }
    forming.inputs.push(input);
    forming.answers.push(answer);
    if (forming.inputs.length >= MAX_ITEMS) flush();
  });

const app = new Hono();
app.post('/invoke', async (c) => {
  const body = await c.req.json<{ input?: unknown }>();
  const output = await call(body.input ?? null);
  if (output instanceof Error) return c.json({ error: output.message }, 503);
  return c.json({ output });
});

const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => {
  announceReady({ port: info.port }, async () => {
    server.close();
    await queue.close();
    producer.disconnect();
    subscriber.disconnect();
  });
});
