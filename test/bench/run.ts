/**
 * `npm run bench`: the platform's invoke path against the floor it is built on, in one run on
 * one private Redis. Three targets take the same request:
 *   json      Hono answering JSON, no queue (context: the HTTP ceiling on this machine);
 *   bare      Hono → BullMQ → one worker process → pub/sub → reply, nothing else (the floor);
 *   platform  the real router + pool with one worker, via `runtime/main.ts`.
 * Each is warmed up, then loaded at 1 and at 64 connections, the targets interleaved per level.
 * Prints Markdown tables; timings are information, never pass/fail.
 *
 * Env: BENCH_DURATION seconds per measurement [10], BENCH_WARMUP seconds per target [2],
 * BENCH_ROUNDS [1]: repeat every measurement, interleaved, and report each one's median round
 * (worth it on a machine that other work shares); BENCH_TRAINING=0 skips the live-calls-during-a-
 * training comparison (`training-bench.ts`), BENCH_INPROC=0 the platform against the in-process
 * server a team would write instead (`inproc-bench.ts`, issue 26's targets), BENCH_ECHO_FLOOR=0
 * echo against bare Hono JSON and the design's floor (`echo-floor-bench.ts`), BENCH_CACHE=0 the
 * result cache on against off under a 50%-repeated load (`result-cache-bench.ts`).
 */
import { availableParallelism } from 'node:os';
import { Redis } from 'ioredis';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';
import { startChild, type BenchChild } from './child.ts';
import { withCpuShare, type PidGroups } from './cpu-share.ts';
import { load, type Target } from './load.ts';
import { startPlatform, type BenchPlatform } from './platform.ts';
import { machineBusyMs, rssBytes, treeCpuMs } from './proc-stats.ts';
import { commandCount, serverPid } from './redis-stats.ts';
import { printReport, type BenchOptions, type Measurement, type Memory, type TargetName } from './report.ts';

/** Measurement and warm-up lengths from the environment; a bad value stops the bench. */
function benchOptions(env: Readonly<Record<string, string | undefined>>): BenchOptions {
  const seconds = (name: string, dflt: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return dflt;
    const n = Number(raw);
    if (!(n > 0)) throw new Error(`${name}=${raw}: a positive number of seconds`);
    return n;
  };
  const rounds = Number(env.BENCH_ROUNDS || 1);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`BENCH_ROUNDS=${env.BENCH_ROUNDS}: a whole number ≥ 1`);
  return { durationS: seconds('BENCH_DURATION', 10), warmupS: seconds('BENCH_WARMUP', 2), rounds };
}

const CONNECTIONS = [1, 64] as const;
/**
 * One-second RSS samples after start, before any load: the first few give the figure just after
 * start, all of them the settled one. V8's memory reducer gives back the young generation that
 * start-up grew (32 MB of semispaces in the router) only some 10–20 s after its last full
 * collection, so a shorter window measured start-up garbage, not an idle router.
 */
const STARTED_RSS_SAMPLES = 5;
const SETTLED_RSS_SAMPLES = 30;
const BODY = JSON.stringify({ input: { message: 'hi' } });
const log = (s: string) => process.stderr.write(`bench: ${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const cleanups: (() => Promise<unknown>)[] = [];
let cleaning: Promise<void> | undefined;
/** Stops everything started so far, newest first. Idempotent. */
const cleanup = () =>
  (cleaning ??= (async () => {
    for (const c of cleanups.reverse()) await c().catch((err: Error) => log(`cleanup: ${err.message}`));
  })());

async function main(): Promise<void> {
  const opts = benchOptions(process.env);
  log(`${availableParallelism()} cores; ${opts.warmupS} s warm-up, ${opts.durationS} s per measurement`);

  // What else keeps the machine busy, before we add anything: a shared machine skews every number.
  const busy0 = machineBusyMs();
  await sleep(1000);
  const busyBefore = (machineBusyMs() - busy0) / 1000;

  const redis: TestRedis = await startTestRedis();
  cleanups.push(() => redis.destroy());
  const admin = new Redis(redis.url);
  cleanups.push(async () => admin.disconnect());
  const redisPid = await serverPid(admin);

  const bareEnv = { BENCH_REDIS_URL: redis.url, BENCH_PREFIX: 'benchbare', BENCH_QUEUE: 'echo', BENCH_CHANNEL: 'benchbare:done' };
  const started = async (module: string, env: Record<string, string>): Promise<BenchChild> => {
    const child = await startChild(module, env);
    cleanups.push(() => child.stop());
    return child;
  };
  const json = await started('./json-server.ts', {});
  const bareWorker = await started('./bare-worker.ts', bareEnv);
  const bareServer = await started('./bare-server.ts', bareEnv);
  log('starting the platform (router + pool, 1 worker)…');
  const platform: BenchPlatform = await startPlatform(redis.url);
  cleanups.push(() => platform.stop());

  log(`reading idle memory for ${SETTLED_RSS_SAMPLES} s…`);
  const idle = { routerStarted: Infinity, router: Infinity, worker: Infinity, bare: Infinity };
  for (let i = 0; i < SETTLED_RSS_SAMPLES; i++) {
    await sleep(1000);
    const router = rssBytes(platform.routerPid) ?? Infinity;
    if (i < STARTED_RSS_SAMPLES) idle.routerStarted = Math.min(idle.routerStarted, router);
    idle.router = Math.min(idle.router, router);
    idle.worker = Math.min(idle.worker, rssBytes(platform.workerPids[0] ?? -1) ?? Infinity);
    idle.bare = Math.min(idle.bare, rssBytes(bareServer.pid) ?? Infinity);
  }
  const known = (n: number) => (Number.isFinite(n) ? n : undefined);
  const memory: Memory = {
    routerStarted: known(idle.routerStarted),
    routerIdle: known(idle.router),
    routerAfter: undefined,
    workerIdle: known(idle.worker),
    bareServerIdle: known(idle.bare),
  };

  const headers = { 'content-type': 'application/json' };
  // With its AOF-rewrite children (see treeCpuMs).
  const redisCpu = () => treeCpuMs(redisPid);
  const targets: Record<TargetName, { target: Target; pids: PidGroups }> = {
    json: { target: { url: `http://127.0.0.1:${json.ready.port}/invoke`, body: BODY, headers }, pids: { front: [json.pid] } },
    bare: {
      target: { url: `http://127.0.0.1:${bareServer.ready.port}/invoke`, body: BODY, headers },
      pids: { front: [bareServer.pid], worker: [bareWorker.pid], redis: redisCpu },
    },
    platform: {
      target: { url: `${platform.url}/v1/functions/echo/invoke`, body: BODY, headers: { ...headers, authorization: `Bearer ${platform.token}` } },
      pids: { front: [platform.routerPid], worker: [...platform.poolPids, ...platform.workerPids], redis: redisCpu },
    },
  };
  const names = Object.keys(targets) as TargetName[];

  for (const name of names) await checkAnswers(name, targets[name].target);
  for (const name of names) {
    log(`warming up ${name} (${opts.warmupS} s, 64 connections)`);
    await load(targets[name].target, 64, opts.warmupS);
  }

  const measure = async (name: TargetName, connections: number): Promise<Measurement> => {
    // Jobs cut off when the previous run stopped finish before this one starts.
    await sleep(1000);
    log(`measuring ${name} at ${connections} connection(s) (${opts.durationS} s)`);
    const cmdsBefore = await commandCount(admin);
    const { value: result, cpu, cpuMs } = await withCpuShare(targets[name].pids, () => load(targets[name].target, connections, opts.durationS));
    const cmdsAfter = await commandCount(admin);
    const serverMs = (cpuMs.front ?? 0) + (cpuMs.worker ?? 0) + (cpuMs.redis ?? 0);
    const perOk = (n: number) => (result.ok > 0 ? n / result.ok : NaN);
    return {
      target: name,
      result,
      cpu,
      serverCpuUsPerReq: perOk(serverMs * 1000),
      // Background work (heartbeats, sweeps, stalled checks) lands here too; small at this rate.
      redisScriptsPerReq: name === 'json' ? NaN : perOk(cmdsAfter.scripts - cmdsBefore.scripts),
      redisCmdsPerReq: name === 'json' ? NaN : perOk(cmdsAfter.all - cmdsBefore.all),
      rpsRange: [result.rps, result.rps],
    };
  };

  // Rounds interleave the targets, so a burst of outside load hits all of them alike.
  const runs: Measurement[][] = [];
  for (let round = 1; round <= opts.rounds; round++) {
    if (opts.rounds > 1) log(`round ${round} of ${opts.rounds}`);
    let i = 0;
    for (const connections of CONNECTIONS) for (const name of names) (runs[i++] ??= []).push(await measure(name, connections));
  }
  const measurements = runs.map(median);
  memory.routerAfter = rssBytes(platform.routerPid);

  printReport({ measurements, memory, cores: availableParallelism(), opts, busyBefore });
}

/**
 * The round with the median throughput (its req/s, latencies, CPU), with the range of req/s and
 * the response and error counts of all rounds: an error in any round must show.
 */
function median(rounds: Measurement[]): Measurement {
  const sorted = [...rounds].sort((a, b) => a.result.rps - b.result.rps);
  const mid = sorted[Math.floor((sorted.length - 1) / 2)]!;
  const sum = (f: (m: Measurement) => number) => rounds.reduce((a, m) => a + f(m), 0);
  const statuses: Record<string, number> = {};
  for (const m of rounds) for (const [code, n] of Object.entries(m.result.statuses)) statuses[code] = (statuses[code] ?? 0) + n;
  return {
    ...mid,
    result: { ...mid.result, ok: sum((m) => m.result.ok), non2xx: sum((m) => m.result.non2xx), errors: sum((m) => m.result.errors), statuses },
    rpsRange: [sorted[0]!.result.rps, sorted[sorted.length - 1]!.result.rps],
  };
}

/** One call before any load: a target that answers wrongly would make its numbers meaningless. */
async function checkAnswers(name: string, t: Target): Promise<void> {
  const res = await fetch(t.url, { method: 'POST', headers: t.headers, body: t.body });
  const text = await res.text();
  if (res.status !== 200 || !text.includes('"hi"')) throw new Error(`${name} answered ${res.status}: ${text.slice(0, 300)}`);
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    log(`${sig}: stopping everything`);
    void cleanup().then(() => process.exit(130));
  });
}

/**
 * The model benchmarks of issues 4 and 5, after the HTTP tables: per-function latency and batch
 * throughput in-process (always; a minute), and the LSTM platform/batching/soak suite
 * (`BENCH_LSTM=1`: several minutes).
 */
async function modelBenchmarks(): Promise<void> {
  const { benchFunctions, functionBenchTable } = await import('./functions-bench.ts');
  log('measuring the built-in functions in-process (batch 1 and batch 32)');
  process.stdout.write(`\n## Built-in functions, in-process (wasm backend)\n\n${functionBenchTable(await benchFunctions())}\n`);
  if (process.env.BENCH_INPROC !== '0') {
    const { runInprocBench } = await import('./inproc-bench.ts');
    log('measuring risk-scoring against the in-process server, 1 and 2 processes and the skeleton (BENCH_INPROC=0 skips; about 6 minutes)');
    process.stdout.write(`\n${await runInprocBench({ log: (s) => log(`inproc: ${s}`) })}\n`);
  }
  if (process.env.BENCH_ECHO_FLOOR !== '0') {
    const { runEchoFloorBench } = await import('./echo-floor-bench.ts');
    log("measuring echo against bare Hono JSON and the design's floor (BENCH_ECHO_FLOOR=0 skips; about 2 minutes)");
    process.stdout.write(`\n${await runEchoFloorBench({ log: (s) => log(`echo floor: ${s}`) })}\n`);
  }
  if (process.env.BENCH_CACHE !== '0') {
    const { runResultCacheBench } = await import('./result-cache-bench.ts');
    log('measuring risk-scoring with half its inputs repeated, result cache on and off (BENCH_CACHE=0 skips; about 3 minutes)');
    process.stdout.write(`\n${await runResultCacheBench({ log: (s) => log(`cache: ${s}`) })}\n`);
  }
  if (process.env.BENCH_TRAINING !== '0') {
    const { runTrainingBench } = await import('./training-bench.ts');
    log('measuring live calls with and without a training on the node (BENCH_TRAINING=0 skips; about 3 minutes)');
    process.stdout.write(`\n${await runTrainingBench({ log: (s) => log(`training: ${s}`) })}\n`);
  }
  if (process.env.BENCH_LSTM === '1') {
    const { runLstmBench, formatLstmBench } = await import('./lstm-bench.ts');
    log('running the LSTM suite (BENCH_LSTM=1)');
    process.stdout.write(`\n${formatLstmBench(await runLstmBench())}\n`);
  }
}

try {
  await main();
  await modelBenchmarks();
} catch (err) {
  process.exitCode = 1;
  log(`failed: ${(err as Error).stack ?? String(err)}`);
} finally {
  await cleanup();
}
