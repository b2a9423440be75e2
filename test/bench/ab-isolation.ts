/**
 * The cost of running function code in a sandbox process, measured as a same-run A/B of one
 * checkout: `npx tsx test/bench/ab-isolation.ts`. Two platforms run at once on one private Redis
 * (A: `AUTOGLM_ISOLATION=thread`, B: `sandbox`, one worker each) serving `risk-scoring`; calls
 * alternate A, B, A, B… sequentially, then 64-connection loads alternate A, B in rounds, so a
 * machine that speeds up or slows down (other work on it) moves both alike: read the ratios.
 *
 * Env: AB_N sequential calls per target [500], AB_SECONDS per load round [8], AB_ROUNDS [3],
 * AB_ENV_A / AB_ENV_B extra environment as JSON (defaults: thread and sandbox), AB_FUNCTION
 * `risk-scoring` or `echo` (the cheapest call, where a per-call cost of the platform shows most)
 * [risk-scoring]. Prints a Markdown table; no pass/fail.
 */
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { normalInput } from '../functions/risk-fixtures.ts';
import { startTestRedis } from '../harness/redis.ts';
import { startPlatform, type BenchPlatform } from './platform.ts';
import { markdownTable, num } from './table.ts';

const n = Number(process.env.AB_N ?? 500);
const seconds = Number(process.env.AB_SECONDS ?? 8);
const rounds = Number(process.env.AB_ROUNDS ?? 3);
const envOf = (name: string, dflt: Record<string, string>) => (process.env[name] ? (JSON.parse(process.env[name]!) as Record<string, string>) : dflt);
const echo = process.env.AB_FUNCTION === 'echo';
const SET = fileURLToPath(new URL(echo ? '../fixtures/default-functions/' : '../fixtures/pool-sets/ai-functions/', import.meta.url));
const FUNCTION = echo ? 'echo' : 'risk-scoring';
const BODY = JSON.stringify({ input: echo ? { message: 'hi' } : normalInput() });

const redis = await startTestRedis();
const stops: (() => Promise<unknown>)[] = [() => redis.destroy()];
try {
  const envA = envOf('AB_ENV_A', { AUTOGLM_ISOLATION: 'thread' });
  const envB = envOf('AB_ENV_B', { AUTOGLM_ISOLATION: 'sandbox' });
  const a = await startPlatform(redis.url, { env: { AUTOGLM_REDIS_PREFIX: 'aia', AUTOGLM_FUNCTIONS_DIR: SET, ...envA } });
  stops.unshift(() => a.stop());
  const b = await startPlatform(redis.url, { env: { AUTOGLM_REDIS_PREFIX: 'aib', AUTOGLM_FUNCTIONS_DIR: SET, ...envB } });
  stops.unshift(() => b.stop());
  const targets: [string, BenchPlatform][] = [
    [`A ${JSON.stringify(envA)}`, a],
    [`B ${JSON.stringify(envB)}`, b],
  ];
  const url = (p: BenchPlatform) => `${p.url}/v1/functions/${FUNCTION}/invoke`;
  const headers = (p: BenchPlatform) => ({ 'content-type': 'application/json', authorization: `Bearer ${p.token}` });
  const call = async (p: BenchPlatform): Promise<number> => {
    const t0 = performance.now();
    const res = await fetch(url(p), { method: 'POST', headers: headers(p), body: BODY });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`${url(p)} answered ${res.status}: ${text.slice(0, 300)}`);
    return performance.now() - t0;
  };
  for (const [, p] of targets) for (let i = 0; i < 100; i++) await call(p);
  const seq = targets.map((): number[] => []);
  for (let i = 0; i < n; i++) for (const [j, [, p]] of targets.entries()) seq[j]!.push(await call(p));
  const q = (v: number[], x: number) => [...v].sort((m, k) => m - k)[Math.floor(x * (v.length - 1))]!;

  const load = targets.map((): { rps: number[]; p50: number[]; p95: number[] } => ({ rps: [], p50: [], p95: [] }));
  for (let r = 0; r < rounds; r++) {
    for (const [j, [, p]] of targets.entries()) {
      const lat: number[] = [];
      const inst = autocannon({ url: url(p), method: 'POST', headers: headers(p), body: BODY, connections: 64, pipelining: 1, duration: seconds });
      inst.on('response', (_c: unknown, status: number, _b: number, ms: number) => {
        if (status === 200) lat.push(ms);
      });
      const res = await inst;
      load[j]!.rps.push(res['2xx'] / res.duration);
      load[j]!.p50.push(q(lat, 0.5));
      load[j]!.p95.push(q(lat, 0.95));
    }
  }
  const med = (v: number[]) => q(v, 0.5);
  const rows = targets.map(([name], j) => [name, num(q(seq[j]!, 0.5), 2), num(q(seq[j]!, 0.9), 2), num(med(load[j]!.rps), 0), num(med(load[j]!.p50), 1), num(med(load[j]!.p95), 1)]);
  const ratio = (f: (j: number) => number) => num(f(1) / f(0), 3);
  process.stdout.write(
    `${markdownTable(['target', 'seq p50 ms', 'seq p90 ms', '64 conn calls/s', '64 conn p50 ms', '64 conn p95 ms'], rows)}\n\n` +
      `B/A: sequential p50 ${ratio((j) => q(seq[j]!, 0.5))}; 64-conn calls/s ${ratio((j) => med(load[j]!.rps))}, p95 ${ratio((j) => med(load[j]!.p95))} (${n} sequential calls each, alternating; ${rounds} rounds of ${seconds} s at 64 connections, alternating; medians of rounds)\n`,
  );
} finally {
  for (const stop of stops) await stop().catch(() => undefined);
}
