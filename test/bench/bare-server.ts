/**
 * The floor: the least code that can carry an HTTP call through BullMQ and back. One Hono route
 * enqueues the body's input and waits for the worker's answer on ONE shared pub/sub
 * subscription (jobId → resolver). No auth, validation, deadline, tracing or idempotency: the
 * platform is measured against this, so everything here is something the platform must also do.
 * It imports bullmq and ioredis directly, which platform code may not (only queue/ does).
 *
 * Env (set by run.ts): BENCH_REDIS_URL, BENCH_PREFIX, BENCH_QUEUE, BENCH_CHANNEL.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Queue } from 'bullmq';
import { Hono } from 'hono';
import { Redis } from 'ioredis';
import { announceReady } from './ready.ts';

const url = process.env.BENCH_REDIS_URL!;
const channel = process.env.BENCH_CHANNEL!;

// As the platform's router: auto-pipelining batches the many small writes of concurrent adds.
const producer = new Redis(url, { maxRetriesPerRequest: 2, enableAutoPipelining: true });
const subscriber = new Redis(url);
const queue = new Queue(process.env.BENCH_QUEUE!, { connection: producer, prefix: process.env.BENCH_PREFIX! });

const waiting = new Map<string, (result: unknown) => void>();
subscriber.on('message', (_ch: string, payload: string) => {
  const { id, result } = JSON.parse(payload) as { id: string; result: unknown };
  const resolve = waiting.get(id);
  if (resolve) {
    waiting.delete(id);
    resolve(result);
  }
});
await subscriber.subscribe(channel);

const app = new Hono();
app.post('/invoke', async (c) => {
  const body = await c.req.json<{ input?: unknown }>();
  const id = randomUUID();
  // Registered before the add: a fast worker's answer can never arrive before its waiter.
  const result = new Promise((resolve) => waiting.set(id, resolve));
  try {
    await queue.add('invoke', body.input ?? null, { jobId: id, removeOnComplete: { age: 3600 }, removeOnFail: { age: 86_400 } });
  } catch (err) {
    waiting.delete(id);
    throw err;
  }
  return c.json(await result);
});

const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => {
  announceReady({ port: info.port }, async () => {
    server.close();
    await queue.close();
    producer.disconnect();
    subscriber.disconnect();
  });
});
