/**
 * What `AUTOGLM_REDIS_MIN_REPLICAS=1` costs an async submission: two routers in this process on
 * one master with one replica (loopback), one with MIN_REPLICAS 0 and one with 1, loaded in turn
 * (interleaved, same run) with `POST /v1/functions/echo/jobs` at 1 and 16 connections. No pool
 * runs, so only the submission is measured (the queue depth limit is raised out of the way).
 * Prints a Markdown table; timings are information, never pass/fail.
 *
 * `npx tsx test/bench/replica-wait-bench.ts`; env BENCH_DURATION seconds per measurement [10],
 * BENCH_ROUNDS [2] (each figure is the median round).
 */
import { availableParallelism, cpus } from 'node:os';
import { Redis } from 'ioredis';
import { startPlatform, type TestPlatform } from '../harness/platform.ts';
import { startTestRedis } from '../harness/redis.ts';
import { eventually } from '../harness/eventually.ts';
import { load, type LoadResult } from './load.ts';
import { markdownTable, num } from './table.ts';

const durationS = Number(process.env.BENCH_DURATION || 10);
const rounds = Number(process.env.BENCH_ROUNDS || 2);
const CONNECTIONS = [1, 16] as const;
const log = (s: string) => process.stderr.write(`bench: ${s}\n`);

const master = await startTestRedis();
const replica = await startTestRedis();
const platforms: TestPlatform[] = [];
try {
  const r = new Redis(replica.url);
  const m = new Redis(master.url);
  await m.config('SET', 'repl-diskless-sync-delay', '0');
  m.disconnect();
  await r.replicaof('127.0.0.1', String(master.port));
  await eventually(async () => (await r.info('replication')).includes('master_link_status:up'), 'the replica to sync');
  r.disconnect();

  const variants = [0, 1] as const;
  for (const n of variants) {
    platforms.push(await startPlatform(master.url, { pool: false, env: { AUTOGLM_REDIS_MIN_REPLICAS: String(n), AUTOGLM_MAX_QUEUE_DEPTH: '10000000', AUTOGLM_LOG_LEVEL: 'error' } }));
  }
  const target = (p: TestPlatform) => ({ url: `${p.url}/v1/functions/echo/jobs`, body: JSON.stringify({ input: { message: 'hi' } }), headers: { authorization: `Bearer ${p.adminToken}`, 'content-type': 'application/json' } });

  // Warm-up, then every (connections, variant) once per round, interleaved.
  for (const p of platforms) await load(target(p), 4, 2);
  const results = new Map<string, LoadResult[]>();
  for (let round = 0; round < rounds; round++) {
    for (const c of CONNECTIONS) {
      for (const [i, n] of variants.entries()) {
        log(`round ${round + 1}: MIN_REPLICAS=${n}, ${c} connection(s)`);
        const res = await load(target(platforms[i]!), c, durationS);
        if (res.non2xx || res.errors) log(`  non-2xx ${JSON.stringify(res.statuses)}, errors ${res.errors}`);
        const key = `${n}/${c}`;
        results.set(key, [...(results.get(key) ?? []), res]);
      }
    }
  }
  const median = (rs: LoadResult[]) => [...rs].sort((a, b) => a.rps - b.rps)[Math.floor(rs.length / 2)]!;
  const rows = CONNECTIONS.flatMap((c) =>
    variants.map((n) => {
      const m = median(results.get(`${n}/${c}`)!);
      return [String(n), String(c), num(m.rps), num(m.p50), num(m.p95), String(m.non2xx + m.errors)];
    }),
  );
  console.log(`\n${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Redis master + 1 replica on loopback, ${durationS} s per measurement, median of ${rounds} round(s)\n`);
  console.log(markdownTable(['MIN_REPLICAS', 'connections', '202/s', 'p50 ms', 'p95 ms', 'refused'], rows));
} finally {
  for (const p of platforms) await p.stop().catch(() => undefined);
  await replica.destroy();
  await master.destroy();
}
