/**
 * Sequential echo latency of two checkouts side by side, with the bare loop as the floor:
 * `AB_BASE=/path/to/other/checkout npx tsx test/bench/ab-sequential.ts`. Both platforms run at
 * once on one private Redis (each under its own key prefix, one worker each), and the calls
 * alternate A, B, bare, A, B, bare…, so a machine that speeds up or slows down moves all three
 * alike. That makes a change of a tenth of a millisecond visible on a noisy VM, where runs a
 * minute apart differ by more. The other checkout needs its own `node_modules` (`npm ci`;
 * `git worktree add /tmp/base <commit>` makes one).
 *
 * Env: AB_BASE (required; A), AB_N calls per target [2000], AB_FN the function called [echo;
 * `risk-scoring` sends a 30-transaction history, the bare loop stays echo], AB_ENV_A / AB_ENV_B extra
 * environment as JSON (e.g. `{"AUTOGLM_INFERENCE":"inline"}`; with AB_BASE=. this compares two
 * settings of this checkout). B is this checkout. Prints a Markdown table; no pass/fail.
 */
import { resolve } from 'node:path';
import { startTestRedis } from '../harness/redis.ts';
import { startChild } from './child.ts';
import { startPlatform } from './platform.ts';
import { benchHistory } from './risk-history.ts';
import { markdownTable, num } from './table.ts';

const base = process.env.AB_BASE;
if (!base) {
  process.stderr.write('AB_BASE: the path of the checkout to compare with (A); this one is B\n');
  process.exit(2);
}
const n = Number(process.env.AB_N ?? 2000);
const envOf = (name: string) => JSON.parse(process.env[name] ?? '{}') as Record<string, string>;
const fn = process.env.AB_FN ?? 'echo';
const BODY = JSON.stringify({ input: fn === 'risk-scoring' ? benchHistory() : { message: 'hi' } });

const redis = await startTestRedis();
const stops: (() => Promise<unknown>)[] = [() => redis.destroy()];
try {
  const a = await startPlatform(redis.url, { root: resolve(base), env: { AUTOGLM_REDIS_PREFIX: 'aba', ...envOf('AB_ENV_A') } });
  stops.unshift(() => a.stop());
  const b = await startPlatform(redis.url, { env: { AUTOGLM_REDIS_PREFIX: 'abb', ...envOf('AB_ENV_B') } });
  stops.unshift(() => b.stop());
  const bareEnv = { BENCH_REDIS_URL: redis.url, BENCH_PREFIX: 'abbare', BENCH_QUEUE: 'echo', BENCH_CHANNEL: 'abbare:done' };
  const worker = await startChild('./bare-worker.ts', bareEnv);
  stops.unshift(() => worker.stop());
  const server = await startChild('./bare-server.ts', bareEnv);
  stops.unshift(() => server.stop());

  const caller = (url: string, token?: string) => async (): Promise<number> => {
    const t0 = performance.now();
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: BODY });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`${url} answered ${res.status}: ${text.slice(0, 300)}`);
    return performance.now() - t0;
  };
  const targets: [string, () => Promise<number>][] = [
    [`A (${base})`, caller(`${a.url}/v1/functions/${fn}/invoke`, a.token)],
    ['B (this checkout)', caller(`${b.url}/v1/functions/${fn}/invoke`, b.token)],
    ['bare loop (floor)', caller(`http://127.0.0.1:${server.ready.port}/invoke`)],
  ];
  for (const [, call] of targets) for (let i = 0; i < 300; i++) await call();
  const ms = targets.map((): number[] => []);
  for (let i = 0; i < n; i++) for (const [j, [, call]] of targets.entries()) ms[j]!.push(await call());
  const q = (v: number[], x: number) => v[Math.floor(x * (v.length - 1))]!;
  const rows = targets.map(([name], j) => {
    const v = ms[j]!.sort((x, y) => x - y);
    return [name, num(q(v, 0.25), 3), num(q(v, 0.5), 3), num(q(v, 0.75), 3), num(q(v, 0.9), 3)];
  });
  const p50 = (j: number) => q(ms[j]!, 0.5);
  process.stdout.write(`${markdownTable(['target', 'p25 ms', 'p50 ms', 'p75 ms', 'p90 ms'], rows)}\n\nB/A p50: ${num(p50(1) / p50(0), 3)}; B/floor p50: ${num(p50(1) / p50(2), 3)} (${n} calls each, alternating)\n`);
} finally {
  for (const stop of stops) await stop().catch(() => undefined);
}
