/**
 * The risk model through the pool: LSTM(64) over 30 steps × 8 features (random weights; the
 * numbers do not depend on their values). Measures, in one run on this machine:
 *
 *   in-process   scoring in this process on the wasm backend at batch 1 and 32, through the fused
 *                predictor the functions use and through the layers model's `predict`: the
 *                fastest row is the ceiling
 *   sync HTTP    the platform's invoke at 64 connections, batching off (maxSize 1) and on
 *                (maxSize 32, 2 ms), with the router grouping concurrent calls (its default);
 *                batching on with 64 callers (a token per connection), and with every call
 *                mirrored to a shadow version; and a no-op function batched the same way (the
 *                queue alone)
 *   async bulk   N scores as N async jobs submitted at 64 connections, and as bulk jobs of 256
 *                inputs each (`inputs`), until the last one completed; the bulk jobs again with
 *                one worker per core (the platform's default pool) when that is more workers;
 *                then to the same model deployed for bulk scoring (`lstm-risk-bulk`: batches
 *                of up to 256, where the others batch up to 32)
 *   soak         SOAK_N async invocations of a small model; worker tensors and RSS before/after
 *   CPU          for each sync and bulk run, where the CPU went per call or score (router, the
 *                workers' main and other threads, Redis, this process), beside what the issue's
 *                targets leave per call or score on this machine
 *
 * The platform runs as an operator runs it, in separate processes: router (`runtime/start.mjs
 * --role router`), pool (`gpu-pool/main.ts`), a private redis-server. Exported for `npm run bench`;
 * standalone: `npx tsx test/bench/lstm-bench.ts`. Prints Markdown tables; no pass/fail.
 *
 * Env: LSTM_BENCH_SECONDS per HTTP run [10], LSTM_BENCH_WORKERS pool workers [1],
 * LSTM_BENCH_ASYNC_N [20000], SOAK_N [100000], LSTM_BENCH_PARTS to run only some of
 * `inproc,http,bulk,soak,inline` [all; `inline` repeats the batched LSTM row with
 * AUTOGLM_INFERENCE=inline]. A full run takes about 5 minutes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { plainPredictor, selectBackend } from '../../functions/sdk/tf/index.ts';
import { TS_EXEC_ARGV } from '../../gpu-pool/supervisor.ts';
import { WorkerRoster, newKeyringSpec, type WorkerState } from '../../queue/cluster/index.ts';
import { buildBundle } from '../../runtime/bundles/build-bundle.ts';
import { ApiClient } from '../../runtime/client/api-client.ts';
import { freePort } from '../../runtime/launcher/embedded-redis.ts';
import { disposeRiskScorer, loadRiskScorer, scoreBatch, FEATURES, STEPS } from '../fixtures/functions/lstm-risk/model.ts';
import { poolEnv } from '../harness/pool-env.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';
import { withCpuShare, type PidGroups } from './cpu-share.ts';
import { cpuMs as processCpuMs, descendants, machineBusyMs, threadCpuMs, treeCpuMs } from './proc-stats.ts';
import { markdownTable, num } from './table.ts';

/** Options of {@link runLstmBench}; defaults from the environment, then in brackets. */
export interface LstmBenchOptions {
  /** Seconds per HTTP load run [10]. */
  seconds?: number;
  /** Pool worker processes [1]. */
  workers?: number;
  /** Async jobs in the bulk run [20,000]. */
  asyncJobs?: number;
  /** Invocations in the soak [100,000]. */
  soakN?: number;
  /** Sections to run, of `inproc`, `http`, `bulk`, `soak`, `inline` [all]. */
  parts?: string[];
  /** Progress lines [stderr]. */
  log?: (line: string) => void;
}

/** One HTTP load run. */
export interface HttpRow {
  name: string;
  /** Successful calls per second. */
  rps: number;
  /** Sequences each call scores (1, or 32 when a call carries a group). */
  scoresPerCall: number;
  p50: number;
  p95: number;
  p99: number;
  ok: number;
  failed: number;
  /** Non-2xx statuses and errors seen, with counts (`504×3`). */
  statuses: string;
  /** Handler calls per job during the run: 1 without batching. */
  meanBatch: number | undefined;
  /** Where the CPU went during the load, µs per successful call. */
  cpu: CpuPerUnit;
}

/**
 * CPU time by where it ran, µs per call or per score: `router`, `worker main` (the pool's worker
 * processes' main threads: queue, batcher), `worker threads` (their other threads: the
 * inference thread, GC and compiler helpers), `supervisor`, `redis`, `loadgen` (this process),
 * `other` (the rest of the machine), and `cores` (the whole machine's busy cores over the run).
 */
export type CpuPerUnit = Record<string, number>;

/** Everything one run measured. */
export interface LstmBenchReport {
  machine: string;
  /** Cores this machine has. */
  cores: number;
  /** Cores busy with other work before the bench started (0–cores). */
  busyCoresBefore: number;
  inProcess: { backend: string; path: string; batch: number; scoresPerS: number; msPerCall: number }[];
  http: HttpRow[];
  bulk: { jobs: number; submitPerS: number; completePerS: number; seconds: number } | undefined;
  /** The same scores as bulk jobs (many inputs per job). */
  /**
   * Bulk jobs with the bench's pool, then with one worker per core (the platform's default) when
   * that is more; then, with that pool, to a function set up for bulk scoring (`maxBatch` 256).
   */
  bulkJobs: { scores: number; perJob: number; workers: number; maxBatch: number; completePerS: number; seconds: number; cpu: CpuPerUnit }[];
  soak: { n: number; seconds: number; perS: number; before: WorkerState; after: WorkerState } | undefined;
}

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const BENCH_SET = join(REPO, 'test/fixtures/pool-sets/bench');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function optionsFromEnv(o: LstmBenchOptions): Required<LstmBenchOptions> {
  const env = process.env;
  const int = (v: string | undefined, d: number) => (v === undefined || v === '' ? d : Number(v));
  return {
    seconds: o.seconds ?? int(env.LSTM_BENCH_SECONDS, 10),
    workers: o.workers ?? int(env.LSTM_BENCH_WORKERS, 1),
    asyncJobs: o.asyncJobs ?? int(env.LSTM_BENCH_ASYNC_N, 20_000),
    soakN: o.soakN ?? int(env.SOAK_N, 100_000),
    parts: o.parts ?? (env.LSTM_BENCH_PARTS ? env.LSTM_BENCH_PARTS.split(',').map((x) => x.trim()) : ['inproc', 'http', 'bulk', 'soak', 'inline']),
    log: o.log ?? ((l) => process.stderr.write(`lstm-bench: ${l}\n`)),
  };
}

/** Random sequences of the model's shape. */
function sequences(n: number): number[][][] {
  return Array.from({ length: n }, () => Array.from({ length: STEPS }, () => Array.from({ length: FEATURES }, () => Math.random() * 2 - 1)));
}

/**
 * In-process throughput at each batch size, for `seconds` each: through the fused predictor the
 * functions score with (`sequencePredictor`, functions/sdk/tf), and through the layers model's
 * own `predict` for comparison. The fastest row is the ceiling.
 */
async function inProcess(seconds: number): Promise<LstmBenchReport['inProcess']> {
  const sel = await selectBackend({ choice: 'wasm' });
  const scorer = loadRiskScorer();
  const paths = { 'fused predictor (what the functions run)': scorer.predictor, 'layers model.predict': plainPredictor(scorer.model) };
  const out: LstmBenchReport['inProcess'] = [];
  for (const [path, predictor] of Object.entries(paths)) {
    for (const batch of [1, 32]) {
      const xs = sequences(batch);
      for (let i = 0; i < 5; i++) scoreBatch(predictor, xs);
      const t0 = performance.now();
      let calls = 0;
      while (performance.now() - t0 < seconds * 1000) {
        scoreBatch(predictor, xs);
        calls++;
      }
      const s = (performance.now() - t0) / 1000;
      out.push({ backend: sel.name, path, batch, scoresPerS: (calls * batch) / s, msPerCall: (s * 1000) / calls });
    }
  }
  disposeRiskScorer(scorer);
  return out;
}

/** A router and a pool as separate processes, on a private Redis, with the bench functions deployed. */
export interface Platform {
  url: string;
  token: string;
  prefix: string;
  /** Environment the router and pool share (Redis, prefix, state dir, keys). */
  env: Record<string, string>;
  /** What to watch to see where the CPU goes (see {@link CpuPerUnit}); read at the call, as the pool may have restarted. */
  cpuGroups(): PidGroups;
  redis: Redis;
  startPool(env?: Record<string, string>): Promise<void>;
  stopPool(): Promise<void>;
  stop(): Promise<void>;
}

function child(script: string, env: Record<string, string>): ChildProcess {
  const c = spawn(process.execPath, [...(script.endsWith('.ts') ? TS_EXEC_ARGV : []), join(REPO, script)], { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  c.on('error', () => undefined);
  return c;
}

function stopChild(c: ChildProcess | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!c || c.exitCode !== null || c.signalCode !== null) return resolve();
    const t = setTimeout(() => c.kill('SIGKILL'), 15_000);
    c.once('exit', () => (clearTimeout(t), resolve()));
    c.kill('SIGTERM');
  });
}

export async function startBenchPlatform(redisUrl: string, workers: number, redisPid?: number): Promise<Platform> {
  const stateDir = mkdtempSync(join(tmpdir(), 'autoglm-lstm-bench-'));
  const prefix = `lstmbench${process.pid}`;
  const port = await freePort();
  const common = { REDIS_URL: redisUrl, AUTOGLM_REDIS_PREFIX: prefix, AUTOGLM_STATE_DIR: stateDir, AUTOGLM_LOG_LEVEL: 'warn', AUTOGLM_ENCRYPTION_KEYS: newKeyringSpec('bench') };
  const router = child('runtime/start.mjs', { ...common, AUTOGLM_ROLE: 'router', AUTOGLM_PORT: String(port), AUTOGLM_MAX_QUEUE_DEPTH: '10000000', AUTOGLM_SHUTDOWN_GRACE: '5s' });
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  redis.on('error', () => undefined);
  const registry = new WorkerRoster(redis, prefix);
  let pool: ChildProcess | undefined;
  const url = `http://127.0.0.1:${port}`;
  const waitFor = async (what: string, ok: () => Promise<boolean>) => {
    for (let i = 0; i < 600; i++) {
      if (router.exitCode !== null) throw new Error('the router exited during start');
      if (await ok().catch(() => false)) return;
      await sleep(100);
    }
    throw new Error(`${what} within 60 s`);
  };
  const p: Platform = {
    url,
    token: '',
    prefix,
    env: common,
    redis,
    cpuGroups() {
      const poolPid = pool?.pid;
      const workerPids = poolPid ? descendants(poolPid) : [];
      // The other threads as the process's total less its main thread: that counts threads that ended too.
      const mainMs = (pid: number) => threadCpuMs(pid)?.main ?? 0;
      const threads = (which: 'main' | 'others') => () => workerPids.reduce((sum, pid) => sum + (which === 'main' ? mainMs(pid) : processCpuMs(pid) - mainMs(pid)), 0);
      return {
        router: router.pid ? [router.pid] : [],
        'worker main': threads('main'),
        'worker threads': threads('others'),
        supervisor: poolPid ? [poolPid] : [],
        // With its AOF-rewrite children, which otherwise show up as nobody's CPU.
        redis: redisPid ? () => treeCpuMs(redisPid) : [],
      };
    },
    async startPool(env = {}) {
      await redis.del(`${prefix}:workers`);
      pool = child('gpu-pool/main.ts', poolEnv({ PATH: process.env.PATH, HOME: process.env.HOME, ...common, AUTOGLM_WORKERS: String(workers), AUTOGLM_SHUTDOWN_GRACE: '5s', ...env }));
      const want = Number(env.AUTOGLM_WORKERS ?? workers);
      await waitFor('not every worker ready', async () => (await registry.liveCount()) >= want);
    },
    stopPool: () => stopChild(pool),
    async stop() {
      await stopChild(pool);
      await stopChild(router);
      redis.disconnect();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
  try {
    await waitFor('router not up', async () => (await fetch(`${url}/healthz`)).ok);
    p.token = readFileSync(join(stateDir, 'admin-token'), 'utf8').trim();
    await p.startPool();
    const api = new ApiClient({ url, token: p.token });
    for (const name of ['lstm-risk', 'lstm-risk-bulk', 'lstm-risk-single', 'tiny-model', 'noop']) {
      const b = await buildBundle(join(BENCH_SET, name), { typecheck: false });
      await api.deploy(b.archive, b.hash);
    }
  } catch (err) {
    await p.stop();
    throw err;
  }
  return p;
}

/**
 * Loads `fn`'s sync invoke at 64 connections; latencies from autocannon's per-response event
 * (float ms). With `callers`, each connection calls with its own token (one per caller).
 */
export async function loadInvoke(p: Platform, fn: string, body: string, seconds: number, name: string, scoresPerCall = 1, callers?: string[]): Promise<HttpRow> {
  const before = await batchesOf(p);
  const latencies: number[] = [];
  const headers = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });
  let next = 0;
  const inst = autocannon({
    url: `${p.url}/v1/functions/${fn}/invoke`,
    method: 'POST',
    headers: headers(p.token),
    body,
    connections: 64,
    pipelining: 1,
    duration: seconds,
    // A connection's context lives as long as it does: it takes the next caller's token once.
    ...(callers ? { requests: [{ setupRequest: (req: object, ctx: { headers?: object }) => ({ ...req, headers: (ctx.headers ??= headers(callers[next++ % callers.length]!)) }) }] } : {}),
  });
  inst.on('response', (_c: unknown, status: number, _b: number, ms: number) => {
    if (status >= 200 && status < 300) latencies.push(ms);
  });
  const { value: r, cpuMs, wallMs } = await withCpuShare(p.cpuGroups(), () => new Promise<Awaited<typeof inst>>((resolve, reject) => inst.then(resolve, reject)));
  const after = await batchesOf(p);
  latencies.sort((a, b) => a - b);
  const q = (x: number) => latencies[Math.min(latencies.length - 1, Math.max(0, Math.ceil(x * latencies.length) - 1))] ?? NaN;
  const jobs = after.jobs - before.jobs;
  const statuses = [...Object.entries(r.statusCodeStats).filter(([c]) => !c.startsWith('2')).map(([c, v]) => `${c}×${v.count}`), ...(r.errors ? [`errors×${r.errors}`] : [])].join(' ');
  return { name, rps: r['2xx'] / r.duration, scoresPerCall, p50: q(0.5), p95: q(0.95), p99: q(0.99), ok: r['2xx'], failed: r.non2xx + r.errors, statuses, meanBatch: after.batches > before.batches ? jobs / (after.batches - before.batches) : undefined, cpu: perUnit(cpuMs, wallMs, r['2xx']) };
}

/** CPU ms by label over a run of `wallMs` → µs per unit (call or score), and the cores busy. */
function perUnit(cpuMs: Record<string, number>, wallMs: number, units: number): CpuPerUnit {
  const out: CpuPerUnit = {};
  let all = 0;
  for (const [label, ms] of Object.entries(cpuMs)) {
    out[label] = (ms * 1000) / units;
    all += ms;
  }
  out.cores = all / wallMs;
  return out;
}

/** Runs `f` while every lstm-risk call is mirrored to a candidate version of it; drops the shadow after. */
async function withShadow(api: ApiClient, f: () => Promise<void>): Promise<void> {
  const b = await buildBundle(join(REPO, 'test/fixtures/functions/lstm-risk-candidate'), { typecheck: false });
  await api.deploy(b.archive, b.hash, { shadow: 100 });
  try {
    await f();
  } finally {
    await api.request('POST', '/v1/functions/lstm-risk/rollback');
  }
}

/** `n` invoker tokens, each for a caller of its own. */
async function invokerTokens(api: ApiClient, n: number): Promise<string[]> {
  return Promise.all(Array.from({ length: n }, async (_, i) => (await api.request<{ token: string }>('POST', '/v1/tokens', { body: { sub: `bench-caller-${i}`, roles: ['invoker'] } })).body.token));
}

/** Jobs done and handler calls so far, summed over the live workers' latest heartbeats. */
async function batchesOf(p: Platform): Promise<{ jobs: number; batches: number }> {
  await sleep(2200); // one heartbeat period, so the counts include the run just finished
  const ws = await new WorkerRoster(p.redis, p.prefix).live();
  return { jobs: ws.reduce((a, w) => a + w.jobsDone, 0), batches: ws.reduce((a, w) => a + (w.batches ?? 0), 0) };
}

/** Counts `fn`'s completed jobs from now on: the returned wait resolves once `n` more completed (≤ 10 minutes). */
async function completions(p: Platform, fn: string): Promise<(n: number, what: string) => Promise<void>> {
  const completed = `${p.prefix}:fn.${fn}:completed`;
  const base = await p.redis.zcard(completed);
  return async (n, what) => {
    for (let idle = 0; (await p.redis.zcard(completed)) - base < n; ) {
      await sleep(50);
      if (++idle > 20 * 600) throw new Error(`${what} did not complete within 10 minutes`);
    }
  };
}

/** Submits `n` async jobs at 64 connections and waits until every one completed. */
async function bulk(p: Platform, fn: string, body: string, n: number): Promise<{ submitS: number; totalS: number }> {
  const done = await completions(p, fn);
  const t0 = performance.now();
  // `amount` (total requests instead of a duration) is autocannon's, missing from our typings.
  const opts: Parameters<typeof autocannon>[0] & { amount: number } = {
    url: `${p.url}/v1/functions/${fn}/jobs`,
    method: 'POST',
    headers: { authorization: `Bearer ${p.token}`, 'content-type': 'application/json' },
    body,
    connections: 64,
    pipelining: 1,
    amount: n,
    timeout: 60,
  };
  const inst = autocannon(opts);
  const r = await new Promise<Awaited<typeof inst>>((resolve, reject) => inst.then(resolve, reject));
  const submitS = (performance.now() - t0) / 1000;
  const accepted = r['2xx'];
  if (accepted < n) throw new Error(`only ${accepted} of ${n} async submissions were accepted`);
  await done(n, 'async jobs');
  return { submitS, totalS: (performance.now() - t0) / 1000 };
}

/** Inputs per bulk job: about 600 KB of JSON (features to 4 decimals), under the default 1 MiB body limit. */
const BULK_PER_JOB = 256;

/**
 * Request bodies scoring `n` sequences as bulk jobs of {@link BULK_PER_JOB} inputs. Built before
 * any clock starts: the bench measures the platform, not JSON.stringify.
 */
function bulkBodies(n: number): string[] {
  const jobs = Math.ceil(n / BULK_PER_JOB);
  return Array.from({ length: jobs }, (_, j) => JSON.stringify({ inputs: sequences(Math.min(BULK_PER_JOB, n - j * BULK_PER_JOB)).map((sequence) => ({ sequence: sequence.map((step) => step.map((x) => Math.round(x * 1e4) / 1e4)) })) }));
}

/** Submits `bodies` as bulk jobs, four submissions in flight, and waits until every job completed. Returns the seconds taken. */
async function bulkJobs(p: Platform, fn: string, bodies: string[]): Promise<number> {
  const done = await completions(p, fn);
  const t0 = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < bodies.length) {
      const res = await fetch(`${p.url}/v1/functions/${fn}/jobs`, { method: 'POST', headers: { authorization: `Bearer ${p.token}`, 'content-type': 'application/json' }, body: bodies[next++] });
      if (res.status !== 202) throw new Error(`bulk submission answered ${res.status}: ${await res.text()}`);
      await res.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: 4 }, lane));
  await done(bodies.length, 'bulk jobs');
  return (performance.now() - t0) / 1000;
}

async function worker(p: Platform): Promise<WorkerState> {
  await sleep(2500); // a fresh heartbeat, after the thread has reported its state
  const [w] = await new WorkerRoster(p.redis, p.prefix).live();
  if (!w) throw new Error('no live worker');
  return w;
}

/** Runs the whole bench and returns its numbers; see {@link formatLstmBench} to print them. */
export async function runLstmBench(options: LstmBenchOptions = {}): Promise<LstmBenchReport> {
  const o = optionsFromEnv(options);
  const busy0 = machineBusyMs();
  await sleep(1000);
  const busyCoresBefore = (machineBusyMs() - busy0) / 1000;
  const machine = `${availableParallelism()} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}`;

  const has = (part: string) => o.parts.includes(part);
  let inProc: LstmBenchReport['inProcess'] = [];
  if (has('inproc')) {
    o.log('in-process predict (wasm)…');
    inProc = await inProcess(Math.max(2, Math.min(5, o.seconds / 2)));
  }

  let redis: TestRedis | undefined;
  let p: Platform | undefined;
  try {
    redis = await startTestRedis();
    o.log(`starting router + pool (${o.workers} worker${o.workers > 1 ? 's' : ''})…`);
    p = await startBenchPlatform(redis.url, o.workers, redis.pid());
    const body = JSON.stringify({ input: { sequence: sequences(1)[0] } });
    const http: HttpRow[] = [];
    const run = async (fn: string, name: string, b = body, perCall = 1, callers?: string[]) => {
      await loadInvoke(p!, fn, b, 2, 'warm-up', perCall, callers);
      o.log(`${name}…`);
      http.push(await loadInvoke(p!, fn, b, o.seconds, name, perCall, callers));
    };
    if (has('http')) {
      await run('lstm-risk-single', 'LSTM, batching off (maxSize 1)');
      await run('lstm-risk', 'LSTM, batching on (maxSize 32, 2 ms)');
      // Many apps or users with a call each, not one client with many: grouped all the same.
      const api = new ApiClient({ url: p.url, token: p.token });
      await run('lstm-risk', 'LSTM, batching on, 64 callers (a token each)', body, 1, await invokerTokens(api, 64));
      // Every call also mirrored to another version (shadow 100%): twice the model work per call.
      await withShadow(api, () => run('lstm-risk', 'LSTM, batching on, every call shadowed'));
      await run('noop', 'no-op, batching on (the queue alone)', JSON.stringify({ input: {} }));
    }

    let bulkRow: LstmBenchReport['bulk'];
    const bulkJobsRows: LstmBenchReport['bulkJobs'] = [];
    if (has('bulk')) {
      o.log(`async bulk: ${o.asyncJobs} jobs…`);
      const b = await bulk(p, 'lstm-risk', body, o.asyncJobs);
      bulkRow = { jobs: o.asyncJobs, submitPerS: o.asyncJobs / b.submitS, completePerS: o.asyncJobs / b.totalS, seconds: b.totalS };
      o.log(`async bulk: ${o.asyncJobs} scores in jobs of ${BULK_PER_JOB}…`);
      const measureBulkJobs = async (workers: number, fn = 'lstm-risk', maxBatch = 32) => {
        const bodies = bulkBodies(o.asyncJobs);
        const { value: seconds, cpuMs, wallMs } = await withCpuShare(p!.cpuGroups(), () => bulkJobs(p!, fn, bodies));
        bulkJobsRows.push({ scores: o.asyncJobs, perJob: BULK_PER_JOB, workers, maxBatch, completePerS: o.asyncJobs / seconds, seconds, cpu: perUnit(cpuMs, wallMs, o.asyncJobs) });
      };
      await measureBulkJobs(o.workers);
      // Bulk work can keep every core's model busy: also measure the pool as the platform starts
      // it by default (AUTOGLM_WORKERS: one worker per core), then return to the bench's pool.
      const perCore = Math.max(o.workers, availableParallelism());
      if (perCore > o.workers) {
        o.log(`async bulk: again with ${perCore} workers (the default, one per core)…`);
        await p.stopPool();
        await p.startPool({ AUTOGLM_WORKERS: String(perCore) });
        // Fresh workers run cold code: warm them as the earlier parts warmed the first pool.
        await bulkJobs(p, 'lstm-risk', bulkBodies(8 * BULK_PER_JOB));
        await measureBulkJobs(perCore);
      }
      // The same model deployed for bulk scoring, batches of up to 256 (a manifest setting): the
      // model's fixed cost per predict (~1.7 ms here, most of it TF.js's own JavaScript) is
      // spread over 256 sequences instead of 32.
      o.log(`async bulk: to lstm-risk-bulk (batches up to 256), ${perCore} workers…`);
      await bulkJobs(p, 'lstm-risk-bulk', bulkBodies(8 * BULK_PER_JOB));
      await measureBulkJobs(perCore, 'lstm-risk-bulk', 256);
      if (perCore > o.workers) {
        await p.stopPool();
        await p.startPool();
      }
    }

    let soak: LstmBenchReport['soak'];
    if (has('soak')) {
      o.log(`soak: ${o.soakN} invocations of tiny-model…`);
      const tinyBody = JSON.stringify({ input: { features: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8] } });
      await bulk(p, 'tiny-model', tinyBody, 1000); // loaded and warmed: "before" is the steady state
      const before = await worker(p);
      const s = await bulk(p, 'tiny-model', tinyBody, o.soakN);
      const after = await worker(p);
      soak = { n: o.soakN, seconds: s.totalS, perS: o.soakN / s.totalS, before, after };
    }

    if (has('inline')) {
      o.log('restarting the pool with AUTOGLM_INFERENCE=inline…');
      await p.stopPool();
      await p.startPool({ AUTOGLM_INFERENCE: 'inline' });
      await run('lstm-risk', 'LSTM, batching on, inference inline (main thread)');
    }
    return { machine, cores: availableParallelism(), busyCoresBefore, inProcess: inProc, http, bulk: bulkRow, bulkJobs: bulkJobsRows, soak };
  } finally {
    await p?.stop();
    await redis?.destroy();
  }
}

/** How a bulk row's function batches, when not as the sync rows' (maxSize 32). */
const batchNote = (b: LstmBenchReport['bulkJobs'][number]): string => (b.maxBatch === 32 ? '' : `, batches ≤ ${b.maxBatch}`);

/** The report as Markdown tables. */
export function formatLstmBench(r: LstmBenchReport): string {
  const ceiling = r.inProcess.length ? Math.max(...r.inProcess.map((x) => x.scoresPerS)) : NaN;
  const mb = (n: number | undefined) => (n === undefined ? '—' : num(n / 1024 / 1024, 0));
  // Without the in-process part there is no ceiling to compare with.
  const ofCeiling = (perS: number) => (Number.isFinite(ceiling) ? `${num((100 * perS) / ceiling, 0)}%` : '—');
  const out = [`Machine: ${r.machine}; other work kept ${num(r.busyCoresBefore, 2)} cores busy before the run.`];
  if (r.inProcess.length) {
    out.push('', '**LSTM(64) over 30×8, in-process** (the fastest row is the ceiling)', '');
    out.push(markdownTable(['backend', 'path', 'batch', 'scores/s', 'ms/predict'], r.inProcess.map((x) => [x.backend, x.path, String(x.batch), num(x.scoresPerS), num(x.msPerCall)])));
  }
  if (r.http.length) {
    out.push('', '**Sync invoke over HTTP, 64 connections** (router → BullMQ → worker → reply)', '');
    out.push(
      markdownTable(
        ['path', 'calls/s', 'scores/s', '% of ceiling', 'p50 ms', 'p95 ms', 'p99 ms', 'jobs per handler call', 'ok', 'failed'],
        r.http.map((h) => [
          h.name,
          num(h.rps),
          num(h.rps * h.scoresPerCall),
          // For the no-op too: the queue alone bounds the ratio any model's batched path can reach.
          ofCeiling(h.rps * h.scoresPerCall),
          num(h.p50),
          num(h.p95),
          num(h.p99),
          h.meanBatch === undefined ? '—' : num(h.meanBatch, 1),
          String(h.ok),
          h.failed ? `${h.failed} (${h.statuses})` : '0',
        ]),
      ),
    );
  }
  if (r.bulk) {
    out.push('', '**Async bulk scoring** (jobs submitted at 64 connections; done when the last completed)', '');
    const rows = [[`${r.bulk.jobs} jobs of 1 input`, num(r.bulk.submitPerS), num(r.bulk.completePerS), ofCeiling(r.bulk.completePerS), num(r.bulk.seconds, 1)]];
    for (const b of r.bulkJobs) {
      rows.push([`${Math.ceil(b.scores / b.perJob)} bulk jobs of ${b.perJob} inputs, ${b.workers} worker${b.workers > 1 ? 's' : ''}${batchNote(b)}`, '—', num(b.completePerS), ofCeiling(b.completePerS), num(b.seconds, 1)]);
    }
    out.push(markdownTable(['submitted as', 'jobs submitted/s', 'scores/s end to end', '% of ceiling', 'seconds'], rows));
  }
  const cpuRows = [
    ...r.http.map((h) => ({ name: `sync: ${h.name}`, unit: 'call', cpu: h.cpu })),
    ...r.bulkJobs.map((b) => ({ name: `bulk jobs of ${b.perJob}, ${b.workers} worker${b.workers > 1 ? 's' : ''}${batchNote(b)}`, unit: 'score', cpu: b.cpu })),
  ];
  if (cpuRows.length) {
    out.push('', '**Where the CPU went**, µs per call (sync) or per score (bulk), from /proc: the worker processes split into their main threads and their other threads (the inference thread, GC and compiler helpers)', '');
    const labels = ['router', 'worker main', 'worker threads', 'supervisor', 'redis', 'loadgen', 'other'];
    out.push(
      markdownTable(
        ['run', 'router', 'worker main', 'worker threads', 'supervisor', 'Redis', 'load generator', 'elsewhere', 'machine', 'cores busy'],
        cpuRows.map((row) => [row.name, ...labels.map((l) => num(row.cpu[l] ?? NaN, 0)), num(labels.reduce((a, l) => a + (row.cpu[l] ?? 0), 0), 0), num(row.cpu.cores ?? NaN, 2)]),
      ),
    );
    // What the targets leave per unit when every core is busy: a row whose machine column is above it cannot reach the target here.
    out.push('', `With all ${r.cores} cores busy, ${num(2000)} calls/s leaves ${num((r.cores * 1e6) / 2000, 0)} µs per call and ${num(5000)} scores/s ${num((r.cores * 1e6) / 5000, 0)} µs per score (the issue-4 targets).`);
    if (Number.isFinite(ceiling)) {
      const ratioRate = 0.6 * ceiling;
      out.push(
        `60% of the ceiling is ${num(ratioRate)} calls/s: ${num((r.cores * 1e6) / ratioRate, 0)} µs per call, of which the model alone, at the ceiling's batch, takes ${num(1e6 / ceiling, 0)}.`,
      );
    }
  }
  if (r.soak) {
    const { before, after } = r.soak;
    out.push('', `**Soak**: ${r.soak.n} async invocations of a small dense model (batched ≤ 32), ${num(r.soak.perS)}/s`, '');
    out.push(
      markdownTable(
        ['', 'worker tensors', 'worker RSS MiB', 'jobs done', 'handler calls'],
        [
          ['before', String(before.tensors ?? '—'), mb(before.rss), String(before.jobsDone), String(before.batches ?? '—')],
          ['after', String(after.tensors ?? '—'), mb(after.rss), String(after.jobsDone), String(after.batches ?? '—')],
        ],
      ),
    );
  }
  return out.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runLstmBench().then(
    (r) => {
      process.stdout.write(formatLstmBench(r) + '\n');
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`lstm-bench failed: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
