/**
 * What keeping traces costs a call, in CPU: `npx tsx test/bench/ab-trace-store.ts`. Two platforms
 * run at once on one private Redis, A with `AUTOGLM_TRACE_STORE=off`, B with the store on (one
 * worker each, echo: the cheapest call, where a per-call cost shows most). Rounds of AB_CALLS
 * calls at AB_CONNECTIONS alternate A, B; each round's CPU is read from /proc for the router
 * process, the pool's processes, and Redis (the other platform idles meanwhile). CPU per call is
 * what the store adds on a loaded machine, where throughput mostly measures the neighbours.
 *
 * Env: AB_CALLS per round [3000], AB_CONNECTIONS [32], AB_ROUNDS [4], AB_ENV_A / AB_ENV_B
 * environment as JSON [`{"AUTOGLM_TRACE_STORE":"off"}` / `{}`]: swap them, or give both the same,
 * to see what the order of the rounds does. Prints a Markdown table; no pass/fail.
 */
import { Redis } from 'ioredis';
import autocannon from 'autocannon';
import { startTestRedis } from '../harness/redis.ts';
import { startPlatform, type BenchPlatform } from './platform.ts';
import { cpuMs, treeCpuMs } from './proc-stats.ts';
import { serverPid } from './redis-stats.ts';
import { markdownTable, num } from './table.ts';

const calls = Number(process.env.AB_CALLS ?? 3000);
const connections = Number(process.env.AB_CONNECTIONS ?? 32);
const rounds = Number(process.env.AB_ROUNDS ?? 4);
const BODY = JSON.stringify({ input: { message: 'hi' } });

const redis = await startTestRedis();
const stops: (() => Promise<unknown>)[] = [() => redis.destroy()];
try {
  const admin = new Redis(redis.url);
  stops.unshift(async () => admin.disconnect());
  const redisPid = await serverPid(admin);
  const envA = JSON.parse(process.env.AB_ENV_A ?? '{"AUTOGLM_TRACE_STORE":"off"}') as Record<string, string>;
  const envB = JSON.parse(process.env.AB_ENV_B ?? '{}') as Record<string, string>;
  const a = await startPlatform(redis.url, { env: { AUTOGLM_REDIS_PREFIX: 'ata', ...envA } });
  stops.unshift(() => a.stop());
  const b = await startPlatform(redis.url, { env: { AUTOGLM_REDIS_PREFIX: 'atb', ...envB } });
  stops.unshift(() => b.stop());
  const targets: [string, BenchPlatform][] = [
    [`A ${JSON.stringify(envA)}`, a],
    [`B ${JSON.stringify(envB)}`, b],
  ];
  // The router alone (its process, not the pool it launched), the pool's tree, Redis.
  const cpu = (p: BenchPlatform) => [cpuMs(p.routerPid), p.poolPids.reduce((s, pid) => s + treeCpuMs(pid), 0), treeCpuMs(redisPid)];
  const run = (p: BenchPlatform, amount: number) =>
    autocannon({ url: `${p.url}/v1/functions/echo/invoke`, method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${p.token}` }, body: BODY, connections, amount });
  for (const [, p] of targets) await run(p, 500);
  const per = targets.map((): number[][] => []);
  const rps = targets.map((): number[] => []);
  for (let r = 0; r < rounds; r++) {
    for (const [j, [, p]] of targets.entries()) {
      const before = cpu(p);
      const res = await run(p, calls);
      const after = cpu(p);
      per[j]!.push(after.map((v, k) => ((v - before[k]!) * 1000) / res['2xx']));
      rps[j]!.push(res['2xx'] / res.duration);
    }
  }
  const med = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor((v.length - 1) / 2)]!;
  const col = (j: number, k: number) => med(per[j]!.map((c) => c[k]!));
  const total = (j: number) => med(per[j]!.map((c) => c[0]! + c[1]! + c[2]!));
  const rows = targets.map(([name], j) => [name, num(col(j, 0), 0), num(col(j, 1), 0), num(col(j, 2), 0), num(total(j), 0), num(med(rps[j]!), 0)]);
  process.stdout.write(
    `${markdownTable(['target', 'router µs/call', 'pool µs/call', 'Redis µs/call', 'total µs/call', 'calls/s'], rows)}\n\n` +
      `B/A: CPU per call ${num(total(1) / total(0), 3)} (router ${num(col(1, 0) / col(0, 0), 3)}, pool ${num(col(1, 1) / col(0, 1), 3)}, Redis ${num(col(1, 2) / col(0, 2), 3)}); calls/s ${num(med(rps[1]!) / med(rps[0]!), 3)} (${rounds} rounds of ${calls} calls at ${connections} connections, alternating; medians)\n`,
  );
} finally {
  for (const stop of stops) await stop().catch(() => undefined);
}
