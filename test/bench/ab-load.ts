/**
 * A function (`risk-scoring` unless AB_FN) sync under load, two checkouts side by side:
 * `AB_BASE=/path/to/other/checkout npx tsx test/bench/ab-load.ts`. Both platforms run as
 * `npm start` runs them (2 workers each, sandboxed function code) on one private Redis under
 * their own key prefixes; 64-connection rounds alternate A, B, A, B…, so a machine that speeds
 * up or slows down moves both alike. Read the medians and the win counts, not one round. The
 * other checkout needs its own `node_modules` (`git worktree add --detach /tmp/base <commit>`,
 * then `npm ci` there).
 *
 * Env: AB_BASE (required; A), AB_SECONDS per round [6], AB_ROUNDS per target [6], AB_C
 * connections [64], AB_FN [risk-scoring] or `echo` (`{"message":"hi"}`), AB_ENV_A / AB_ENV_B
 * extra environment as JSON (with AB_BASE=. this compares two settings of this checkout). B is this checkout. Redis is shared, so its CPU is not counted.
 * Prints a Markdown table; no pass/fail.
 */
import { resolve } from 'node:path';
import { startTestRedis } from '../harness/redis.ts';
import { withCpuShare } from './cpu-share.ts';
import { load } from './load.ts';
import { PARTS, cpuByPart, type Part } from './platform-parts.ts';
import { startPlatform, type BenchPlatform } from './platform.ts';
import { treeCpuMs } from './proc-stats.ts';
import { benchHistory } from './risk-history.ts';
import { markdownTable, num } from './table.ts';

const base = process.env.AB_BASE;
if (!base) {
  process.stderr.write('AB_BASE: the path of the checkout to compare with (A); this one is B\n');
  process.exit(2);
}
const seconds = Number(process.env.AB_SECONDS ?? 6);
const rounds = Number(process.env.AB_ROUNDS ?? 6);
const connections = Number(process.env.AB_C ?? 64);
const envOf = (name: string) => JSON.parse(process.env[name] ?? '{}') as Record<string, string>;
const fn = process.env.AB_FN === 'echo' ? 'echo' : 'risk-scoring';
const body = JSON.stringify({ input: fn === 'echo' ? { message: 'hi' } : benchHistory() });

interface Round {
  rps: number;
  p95: number;
  cpuUs: number;
  parts: Map<Part, number>;
}

const redis = await startTestRedis();
const stops: (() => Promise<unknown>)[] = [() => redis.destroy()];
try {
  const common = { AUTOGLM_WORKERS: '2', AUTOGLM_LOG_LEVEL: 'error' };
  const a = await startPlatform(redis.url, { root: resolve(base), env: { ...common, AUTOGLM_REDIS_PREFIX: 'ala', ...envOf('AB_ENV_A') } });
  stops.unshift(() => a.stop());
  const b = await startPlatform(redis.url, { env: { ...common, AUTOGLM_REDIS_PREFIX: 'alb', ...envOf('AB_ENV_B') } });
  stops.unshift(() => b.stop());
  const targets: [string, BenchPlatform][] = [
    [`A (${base})`, a],
    ['B (this checkout)', b],
  ];
  const targetOf = (p: BenchPlatform) => ({ url: `${p.url}/v1/functions/${fn}/invoke`, body, headers: { 'content-type': 'application/json', authorization: `Bearer ${p.token}` } });
  const run = async (p: BenchPlatform): Promise<Round> => {
    const target = targetOf(p);
    // Redis's pid is not needed: 0 reads as no process, and its part is left out of the table.
    const before = cpuByPart(p.routerPid, 0);
    const { value, cpuMs } = await withCpuShare({ p: () => treeCpuMs(p.routerPid) }, () => load(target, connections, seconds));
    const after = cpuByPart(p.routerPid, 0);
    const parts = new Map(PARTS.map((part) => [part, ((after.get(part)! - before.get(part)!) * 1000) / value.ok]));
    return { rps: value.rps, p95: value.p95, cpuUs: (cpuMs.p! * 1000) / value.ok, parts };
  };
  // Warm both (model loaded, JIT settled) before anything counts.
  for (const [, p] of targets) await load(targetOf(p), connections, 3);
  const got: Round[][] = [[], []];
  for (let r = 0; r < rounds; r++) {
    // Alternate which goes first, so neither always follows the other's GC debt.
    const order = r % 2 === 0 ? [0, 1] : [1, 0];
    for (const j of order) got[j]!.push(await run(targets[j]![1]));
    process.stderr.write(`ab-load: round ${r + 1}/${rounds}: A ${num(got[0]!.at(-1)!.rps, 0)}/s ${num(got[0]!.at(-1)!.cpuUs, 0)} µs, B ${num(got[1]!.at(-1)!.rps, 0)}/s ${num(got[1]!.at(-1)!.cpuUs, 0)} µs\n`);
  }
  const median = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor((v.length - 1) / 2)]!;
  const col = (j: number, f: (r: Round) => number) => median(got[j]!.map(f));
  const wins = (f: (r: Round) => number, lower: boolean) => got[1]!.filter((r, i) => (lower ? f(r) < f(got[0]![i]!) : f(r) > f(got[0]![i]!))).length;
  const shown = PARTS.filter((part) => part !== 'Redis');
  const rows = targets.map(([name], j) => [name, num(col(j, (r) => r.rps), 0), num(col(j, (r) => r.p95), 1), num(col(j, (r) => r.cpuUs), 0), ...shown.map((part) => num(col(j, (r) => r.parts.get(part)!), 0))]);
  rows.push(['B better in', `${wins((r) => r.rps, false)}/${rounds}`, `${wins((r) => r.p95, true)}/${rounds}`, `${wins((r) => r.cpuUs, true)}/${rounds}`, ...shown.map((part) => `${wins((r) => r.parts.get(part)!, true)}/${rounds}`)]);
  process.stdout.write(
    `${markdownTable(['target', 'calls/s', 'p95 ms', 'CPU µs per call', ...shown.map((p) => `${p} µs`)], rows)}\n\n` +
      `Medians of ${rounds} rounds of ${seconds} s at ${connections} connections, alternating; CPU without Redis (shared).\n`,
  );
} finally {
  for (const stop of stops) await stop().catch(() => undefined);
}
