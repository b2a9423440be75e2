/**
 * The design's floor for issue 26 (worker half, with `skeleton-router.ts`): one BullMQ Worker
 * whose jobs (groups of calls) join one batch for up to 2 ms or 32 inputs (a lone call's at once,
 * as the platform's batcher does), scored by `risk-scoring`'s handler, the answers published with
 * `{id, results}` on the router's channel and kept as the job's return value.
 * `BENCH_SKELETON_MODEL`: `child` runs the model in a child process fed JSON text over IPC (the
 * platform's sandbox hop, without bubblewrap), `thread` on this process's thread; `echo-child`
 * and `echo` run no model but answer each input `{echo: input}`, in a child process or here,
 * each job at once (as `echo`, which declares no batching).
 *
 * Env (set by skeleton.ts): BENCH_REDIS_URL, BENCH_PREFIX, BENCH_QUEUE, BENCH_CHANNEL,
 * BENCH_SKELETON_MODEL.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { TS_EXEC_ARGV } from '../../gpu-pool/supervisor.ts';
import { announceReady } from './ready.ts';
import { loadRiskScoring, type ScoreBatch } from './risk-model.ts';

const MAX_BATCH = 32;
const MAX_DELAY_MS = 2;
const url = process.env.BENCH_REDIS_URL!;
const channel = process.env.BENCH_CHANNEL!;

const model = process.env.BENCH_SKELETON_MODEL;
const echo = model === 'echo' || model === 'echo-child';
const score = model === 'echo' ? async (inputs: unknown[]) => inputs.map((input) => ({ echo: input })) : model === 'child' || model === 'echo-child' ? await childModel() : await loadRiskScoring();

interface Waiting {
  inputs: unknown[];
  done: (results: unknown[]) => void;
}
let pending: Waiting[] = [];
let count = 0;
let timer: NodeJS.Timeout | NodeJS.Immediate | undefined;

async function flush(): Promise<void> {
  clearTimeout(timer as NodeJS.Timeout);
  clearImmediate(timer as NodeJS.Immediate);
  timer = undefined;
  const batch = pending;
  pending = [];
  count = 0;
  const results = await score(batch.flatMap((w) => w.inputs));
  let at = 0;
  for (const w of batch) w.done(results.slice(at, (at += w.inputs.length)));
}

const scoreJob = (inputs: unknown[], solo: boolean) =>
  new Promise<unknown[]>((done) => {
    pending.push({ inputs, done });
    count += inputs.length;
    if (count >= MAX_BATCH) void flush();
    else timer ??= solo ? setImmediate(() => void flush()) : setTimeout(() => void flush(), MAX_DELAY_MS);
  });

// BullMQ's blocking commands need a connection that retries forever.
const connection = new Redis(url, { maxRetriesPerRequest: null });
const publisher = new Redis(url, { maxRetriesPerRequest: 2 });
const worker = new Worker(
  process.env.BENCH_QUEUE!,
  async (job) => {
    const { inputs, solo } = job.data as { inputs: unknown[]; solo: boolean };
    return echo ? score(inputs) : scoreJob(inputs, solo);
  },
  { connection, prefix: process.env.BENCH_PREFIX!, concurrency: 64 },
);
worker.on('completed', (job, results: unknown[]) => {
  publisher.publish(channel, JSON.stringify({ id: job.id, results })).catch(() => undefined);
});
worker.on('error', (err) => process.stderr.write(`skeleton worker: ${err.message}\n`));
await worker.waitUntilReady();

announceReady({}, async () => {
  await worker.close();
  connection.disconnect();
  publisher.disconnect();
});

/** The model in a child process: each batch crosses as JSON text, its results come back by IPC. */
async function childModel(): Promise<ScoreBatch> {
  const child = fork(fileURLToPath(new URL('./skeleton-model.ts', import.meta.url)), [], { execArgv: TS_EXEC_ARGV, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  child.on('exit', () => process.exit(1));
  const answers = new Map<number, (results: unknown[]) => void>();
  let next = 0;
  child.on('message', (m: { id: number; results: unknown[] }) => {
    answers.get(m.id)?.(m.results);
    answers.delete(m.id);
  });
  await new Promise((ready) => child.once('message', ready));
  return (inputs) =>
    new Promise((resolve) => {
      const id = next++;
      answers.set(id, resolve);
      child.send({ id, json: JSON.stringify(inputs) });
    });
}
