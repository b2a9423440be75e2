/**
 * The result cache under a load where half the calls repeat an input (issue 26): `risk-scoring`
 * sync through two platforms as `npm start` runs them (router, pool of 1 worker) on one private
 * Redis, its result cache on in one and off (`AUTOGLM_RESULT_CACHE=off`) in the other. Every
 * other call is one of 64 histories seen before; the rest carry a fresh `accountId` (the model
 * ignores it, the cache cannot: another input). 64 connections and 1, rounds alternating the
 * targets; each row is the median round, and a last row repeats every call (the cost of a hit).
 * Hits and misses are read from the router's /metrics.
 *
 * Exported for `npm run bench` (BENCH_CACHE=0 skips it); standalone: `npx tsx test/bench/result-cache-bench.ts`.
 * Env: CACHE_BENCH_SECONDS per run [10], CACHE_BENCH_ROUNDS [2].
 */
import { generateSequences } from '../../functions/risk-scoring/generate-data.ts';
import { parseExposition, sampleValue } from '../harness/exposition.ts';
import { startTestRedis } from '../harness/redis.ts';
import { withCpuShare } from './cpu-share.ts';
import { load, type LoadResult, type Target } from './load.ts';
import { startPlatform, type BenchPlatform } from './platform.ts';
import { scoreRounds } from './score-rounds.ts';
import { markdownTable, num } from './table.ts';

type Run = LoadResult & { hitShare: number; routerUs: number; workerUs: number };
const median = <T>(xs: T[], by: (x: T) => number): T => [...xs].sort((a, b) => by(a) - by(b))[Math.floor((xs.length - 1) / 2)]!;

/** Histories the load repeats. */
const REPEATED = 64;

/** Bodies of a load that repeats every `every`-th call (2: half) from the repeated histories, the others fresh inputs. */
function repeating(every: number): () => string {
  const histories = generateSequences({ count: REPEATED, seed: 26 }).map((s) => s.input);
  const repeated = histories.map((input, i) => JSON.stringify({ input: { ...input, accountId: `repeat-${i}` } }));
  let n = 0;
  return () => {
    const i = n++;
    return i % every === 0 ? repeated[(i / every) % REPEATED]! : JSON.stringify({ input: { ...histories[i % REPEATED]!, accountId: `fresh-${i}-${process.hrtime.bigint()}` } });
  };
}

/** The router's result cache counters for risk-scoring (0 when it has none: cache off). */
async function cacheCounts(p: BenchPlatform): Promise<{ hits: number; misses: number }> {
  const text = await (await fetch(`${p.url}/metrics`, { headers: { authorization: `Bearer ${p.token}` } })).text();
  const m = parseExposition(text);
  const read = (name: string) => (text.includes(name) ? sampleValue(m, name, { function: 'risk-scoring' }) : 0);
  return { hits: read('autoglm_result_cache_hits_total'), misses: read('autoglm_result_cache_misses_total') };
}

/** Runs the comparison; returns the Markdown section. */
export async function runResultCacheBench(o: { seconds?: number; rounds?: number; log?: (s: string) => void } = {}): Promise<string> {
  const seconds = o.seconds ?? Number(process.env.CACHE_BENCH_SECONDS ?? 10);
  const rounds = o.rounds ?? Number(process.env.CACHE_BENCH_ROUNDS ?? 2);
  const log = o.log ?? ((s: string) => process.stderr.write(`cache-bench: ${s}\n`));
  const redis = await startTestRedis();
  const stops: (() => Promise<unknown>)[] = [() => redis.destroy()];
  try {
    const env = { AUTOGLM_LOG_LEVEL: 'error' };
    const on = await startPlatform(redis.url, { env: { ...env, AUTOGLM_REDIS_PREFIX: 'rcon', AUTOGLM_RESULT_CACHE: 'on' } });
    stops.unshift(() => on.stop());
    const off = await startPlatform(redis.url, { env: { ...env, AUTOGLM_REDIS_PREFIX: 'rcoff', AUTOGLM_RESULT_CACHE: 'off' } });
    stops.unshift(() => off.stop());
    const target = (p: BenchPlatform, every: number): Target => ({
      url: `${p.url}/v1/functions/risk-scoring/invoke`,
      body: '',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${p.token}` },
      next: repeating(every),
    });
    // The last row is the ceiling of a hit: every call one of the (by then kept) repeated histories.
    const targets: Record<string, { platform: BenchPlatform; target: Target }> = {
      'cache on': { platform: on, target: target(on, 2) },
      'cache off': { platform: off, target: target(off, 2) },
      'cache on, all repeated': { platform: on, target: target(on, 1) },
    };
    const runs = await scoreRounds(targets, { seconds, rounds, log }, async (t, connections): Promise<Run> => {
      const before = await cacheCounts(t.platform);
      const { value: r, cpuMs } = await withCpuShare({ router: [t.platform.routerPid], worker: t.platform.workerPids }, () => load(t.target, connections, seconds));
      const after = await cacheCounts(t.platform);
      const hits = after.hits - before.hits;
      const asked = hits + after.misses - before.misses;
      const perCall = (ms: number | undefined) => (r.ok ? ((ms ?? 0) * 1000) / r.ok : NaN);
      return { ...r, hitShare: asked ? hits / asked : 0, routerUs: perCall(cpuMs.router), workerUs: perCall(cpuMs.worker) };
    });
    const pick = (name: string, c: number) => median(runs[name]![c]!, (r) => r.rps);
    const rows = Object.keys(targets).map((name) => {
      const r = pick(name, 64);
      const s = pick(name, 1);
      const failed = Object.values(runs[name]!).flat().reduce((a, x) => a + x.non2xx + x.errors, 0);
      return [name, num(r.rps, 0), num(r.p50, 1), num(r.p95, 1), `${Math.round(r.hitShare * 100)}%`, num(r.routerUs, 0), num(r.workerUs, 0), num(s.rps, 0), num(s.p50, 2), String(failed)];
    });
    const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
    return [
      '## Result cache: risk-scoring sync, 50% repeated inputs, cache on against off (issue 26)',
      '',
      markdownTable(['target', 'calls/s @64', 'p50 ms @64', 'p95 ms @64', 'hits @64', 'router CPU µs/call @64', 'worker CPU µs/call @64', 'calls/s sequential', 'p50 ms sequential', 'failed'], rows),
      '',
      `calls/s @64, on / off: ${ratio(pick('cache on', 64).rps, pick('cache off', 64).rps)}; sequential: ${ratio(pick('cache on', 1).rps, pick('cache off', 1).rps)}.`,
      `Medians of ${rounds} rounds of ${seconds} s, targets alternating; each platform's pool has 1 worker; every other call repeats one of ${REPEATED} histories.`,
    ].join('\n');
  } finally {
    for (const s of stops) await s().catch(() => undefined);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(`${await runResultCacheBench()}\n`);
