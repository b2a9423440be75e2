/**
 * What waking an idle process costs on this machine: one Redis round trip (SET of 100 bytes)
 * back to back, and after an idle gap, with the client's CPU per round trip:
 * `npx tsx test/bench/wakeup-bench.ts`. A sequential call crosses about nine such hops (HTTP in,
 * Redis, the worker's blocked fetch, its move to active, the sandbox and back, the completion and
 * its publish, the router), each one waking a process that had gone idle; the in-process server
 * crosses one. Where waking costs far more than a round trip (a VM whose guest halts without
 * polling), that, not the work, is the sequential gap (docs/benchmarks.md, twenty-first session).
 *
 * Env: WAKE_N round trips per row [400], WAKE_GAPS idle gaps in ms, comma-separated [0,1,5,20].
 * Prints a Markdown table; no pass/fail.
 */
import { Redis } from 'ioredis';
import { startTestRedis } from '../harness/redis.ts';
import { markdownTable, num } from './table.ts';

const n = Number(process.env.WAKE_N ?? 400);
const gaps = (process.env.WAKE_GAPS ?? '0,1,5,20').split(',').map(Number);
const idle = (ms: number) => new Promise((r) => setTimeout(r, ms));

const redis = await startTestRedis();
const client = new Redis(redis.url);
try {
  const value = 'v'.repeat(100);
  for (let i = 0; i < 200; i++) await client.set('wake', value);
  const rows: string[][] = [];
  for (const gap of gaps) {
    const rtts: number[] = [];
    let cpuUs = 0;
    for (let i = 0; i < n; i++) {
      if (gap) await idle(gap);
      // CPU from just before the command to its reply: the timer's own wakeup is not counted.
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await client.set('wake', value);
      rtts.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpuUs += c.user + c.system;
    }
    rtts.sort((a, b) => a - b);
    rows.push([gap ? `${gap} ms` : 'none (back to back)', num(rtts[Math.floor(n / 2)]! * 1000, 0), num(rtts[Math.floor(n * 0.9)]! * 1000, 0), num(cpuUs / n, 0)]);
  }
  process.stdout.write(`${markdownTable(['idle gap before each', 'round trip p50 µs', 'p90 µs', 'client CPU µs per round trip'], rows)}\n\n${n} SETs of 100 bytes per row, to a private redis-server over TCP loopback.\n`);
} finally {
  client.disconnect();
  await redis.destroy();
}
