/**
 * The floor's worker: one process, one BullMQ Worker (concurrency 64) whose processor echoes its
 * input, announcing each finished job with `{id, result}` on the bare server's channel. It is
 * what the platform's pool worker does minus the function host, deadlines, tracing and retries.
 *
 * Env (set by run.ts): BENCH_REDIS_URL, BENCH_PREFIX, BENCH_QUEUE, BENCH_CHANNEL.
 */
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { announceReady } from './ready.ts';

const url = process.env.BENCH_REDIS_URL!;
const channel = process.env.BENCH_CHANNEL!;

// BullMQ's blocking commands need a connection that retries forever.
const connection = new Redis(url, { maxRetriesPerRequest: null });
const publisher = new Redis(url, { maxRetriesPerRequest: 2 });

const worker = new Worker(process.env.BENCH_QUEUE!, async (job) => ({ echo: job.data as unknown }), {
  connection,
  prefix: process.env.BENCH_PREFIX!,
  concurrency: 64,
});
worker.on('completed', (job, result: unknown) => {
  publisher.publish(channel, JSON.stringify({ id: job.id, result })).catch(() => undefined);
});
worker.on('error', (err) => process.stderr.write(`bare worker: ${err.message}\n`));
await worker.waitUntilReady();

announceReady({}, async () => {
  await worker.close();
  connection.disconnect();
  publisher.disconnect();
});
