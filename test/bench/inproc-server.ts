/**
 * The server a team would write instead of the platform (issue 26's comparison): `risk-scoring`'s
 * own handler and artifacts served in-process by Hono, with 2 ms / 32-call micro-batching and no
 * queue, no auth, no audit, no sealing, no tracing. `BENCH_INPROC_PROCESSES=2` runs two of it on
 * one port with `node:cluster` (the primary only forks; workers share the listening socket).
 * Forked by the bench (`startChild`); reports its port when every process listens.
 */
import cluster from 'node:cluster';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { TS_EXEC_ARGV } from '../../gpu-pool/supervisor.ts';
import { freePort } from '../../runtime/launcher/embedded-redis.ts';
import { announceReady } from './ready.ts';
import { loadRiskScoring } from './risk-model.ts';

const MAX_BATCH = 32;
const MAX_DELAY_MS = 2;
const processes = Number(process.env.BENCH_INPROC_PROCESSES ?? 1);

if (cluster.isPrimary && processes > 1) {
  const port = await freePort();
  cluster.setupPrimary({ execArgv: TS_EXEC_ARGV });
  const workers = Array.from({ length: processes }, () => cluster.fork({ BENCH_INPROC_PORT: String(port), BENCH_INPROC_PROCESSES: '1' }));
  await Promise.all(workers.map((w) => new Promise((r) => w.once('listening', r))));
  announceReady({ port }, async () => {
    for (const w of workers) w.kill('SIGTERM');
  });
} else {
  await serveInProcess(Number(process.env.BENCH_INPROC_PORT ?? 0));
}

async function serveInProcess(port: number): Promise<void> {
  const score = await loadRiskScoring();

  // Micro-batching: calls wait up to 2 ms for companions, 32 at most, one handler call per batch.
  // With BENCH_INPROC_LONE=now, the platform's rule for a lone call (docs/gpu-pool.md): one that
  // arrives with nothing else in flight goes once this turn is over, with what came in it.
  const loneNow = process.env.BENCH_INPROC_LONE === 'now';
  let pending: { input: unknown; done: (r: unknown) => void }[] = [];
  let timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  let inFlight = 0;
  const flush = async () => {
    clearTimeout(timer as NodeJS.Timeout);
    clearImmediate(timer as NodeJS.Immediate);
    timer = undefined;
    const batch = pending;
    pending = [];
    const results = await score(batch.map((b) => b.input));
    batch.forEach((b, i) => b.done(results[i]));
  };
  const call = (input: unknown) =>
    new Promise<unknown>((done) => {
      const lone = loneNow && inFlight === 0;
      inFlight++;
      pending.push({ input, done: (r) => (inFlight--, done(r)) });
      if (pending.length >= MAX_BATCH) void flush();
      else timer ??= lone ? setImmediate(() => void flush()) : setTimeout(() => void flush(), MAX_DELAY_MS);
    });

  const app = new Hono();
  app.post('/invoke', async (c) => {
    const body = await c.req.json<{ input?: unknown }>();
    const out = await call(body.input);
    if (out instanceof Error) return c.json({ error: out.message }, 400);
    return c.json({ output: out });
  });
  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port }, (info: AddressInfo) => {
    if (cluster.isWorker) return; // the primary reports for all
    announceReady({ port: info.port }, async () => {
      server.close();
    });
  });
  if (cluster.isWorker) process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
