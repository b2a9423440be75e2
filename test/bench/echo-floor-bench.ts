/**
 * Issue 26's echo target (platform ≥ 0.3× bare Hono JSON) against the design's floor: Hono
 * answering JSON; the skeleton (`skeleton-router.ts`: calls grouped into BullMQ jobs as the
 * platform's router groups them, one worker, no features), echoing in a child process as the
 * platform's sandbox does, and on the worker's own thread; and the platform's `echo` (1 worker).
 * 64 connections, rounds alternating, each figure the median round. If the skeleton itself is
 * under the target, the target is beyond the design, not only beyond the platform's features.
 *
 * Exported for `npm run bench`; standalone: `npx tsx test/bench/echo-floor-bench.ts`.
 * Env: ECHO_FLOOR_SECONDS per run [10], ECHO_FLOOR_ROUNDS [3].
 */
import { startChild } from './child.ts';
import { withCpuShare } from './cpu-share.ts';
import { load, type LoadResult, type Target } from './load.ts';
import { startPlatform } from './platform.ts';
import { treeCpuMs } from './proc-stats.ts';
import { startSkeleton } from './skeleton.ts';
import { startBenchRedis } from './redis-stats.ts';
import { markdownTable, medianBy, num, ratio } from './table.ts';

type Run = LoadResult & { cpuUsPerCall: number };

/** Runs the comparison; returns the Markdown section. */
export async function runEchoFloorBench(o: { seconds?: number; rounds?: number; log?: (s: string) => void } = {}): Promise<string> {
  const seconds = o.seconds ?? Number(process.env.ECHO_FLOOR_SECONDS ?? 10);
  const rounds = o.rounds ?? Number(process.env.ECHO_FLOOR_ROUNDS ?? 3);
  const log = o.log ?? ((s: string) => process.stderr.write(`echo-floor: ${s}\n`));
  const redis = await startBenchRedis();
  const redisPid = redis.pid;
  const stops: (() => Promise<unknown>)[] = [redis.stop];
  try {
    const json = await startChild('./json-server.ts', {});
    stops.unshift(() => json.stop());
    const skeleton = await startSkeleton(redis.url, 'echo-child', 1);
    stops.unshift(() => skeleton.stop());
    const inline = await startSkeleton(redis.url, 'echo', 1);
    stops.unshift(() => inline.stop());
    const platform = await startPlatform(redis.url, { env: { AUTOGLM_LOG_LEVEL: 'error' } });
    stops.unshift(() => platform.stop());

    const body = JSON.stringify({ input: { message: 'hi' } });
    const headers = { 'content-type': 'application/json' };
    const targets: Record<string, { target: Target; cpu: () => number }> = {
      'Hono JSON, no queue': { target: { url: `http://127.0.0.1:${json.ready.port}/invoke`, body, headers }, cpu: () => treeCpuMs(json.pid) },
      'skeleton: grouped BullMQ jobs, 1 worker, echo in a child process': { target: { url: skeleton.url, body, headers }, cpu: () => skeleton.cpuMs() + treeCpuMs(redisPid) },
      "skeleton, echo on the worker's thread": { target: { url: inline.url, body, headers }, cpu: () => inline.cpuMs() + treeCpuMs(redisPid) },
      'platform echo, 1 worker': {
        target: { url: `${platform.url}/v1/functions/echo/invoke`, body, headers: { ...headers, authorization: `Bearer ${platform.token}` } },
        cpu: () => treeCpuMs(platform.routerPid) + treeCpuMs(redisPid),
      },
    };
    const names = Object.keys(targets);
    for (const name of names) {
      const r = await fetch(targets[name]!.target.url, { method: 'POST', headers: targets[name]!.target.headers, body });
      if (r.status !== 200 || !(await r.text()).includes('"hi"')) throw new Error(`${name} answered ${r.status}`);
      log(`warming up ${name}`);
      await load(targets[name]!.target, 64, Math.min(5, seconds));
    }
    const runs: Record<string, Run[]> = {};
    for (let round = 1; round <= rounds; round++) {
      for (const name of names) {
        log(`round ${round}/${rounds}: ${name} (${seconds} s)`);
        const { value, cpuMs } = await withCpuShare({ target: targets[name]!.cpu }, () => load(targets[name]!.target, 64, seconds));
        (runs[name] ??= []).push({ ...value, cpuUsPerCall: value.ok ? (cpuMs.target! * 1000) / value.ok : NaN });
      }
    }
    const medians = names.map((n) => medianBy(runs[n]!, (r) => r.rps));
    const [j, k, , p] = medians as [Run, Run, Run, Run];
    return [
      "## Echo against bare Hono JSON, and the design's floor (issue 26)",
      '',
      markdownTable(
        ['target', 'calls/s @64', 'p95 ms', 'CPU µs per call (its processes and Redis)', 'failed'],
        names.map((n, i) => {
          const r = medians[i]!;
          return [n, num(r.rps, 0), num(r.p95, 1), num(r.cpuUsPerCall, 0), String(runs[n]!.reduce((a, x) => a + x.non2xx + x.errors, 0))];
        }),
      ),
      '',
      markdownTable(
        ['ratio', 'now', 'target'],
        [
          ['calls/s: platform / Hono JSON', ratio(p.rps, j.rps), '≥ 0.3×'],
          ['calls/s: skeleton / Hono JSON', ratio(k.rps, j.rps), '(the design without the features)'],
          ['calls/s: platform / skeleton', ratio(p.rps, k.rps), '(what the features cost)'],
          ['CPU per call: platform / skeleton', ratio(p.cpuUsPerCall, k.cpuUsPerCall), ''],
        ],
      ),
      '',
      `Medians of ${rounds} rounds of ${seconds} s at 64 connections, targets alternating; the load generator shares the 2 cores.`,
    ].join('\n');
  } finally {
    for (const s of stops) await s().catch(() => undefined);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(`${await runEchoFloorBench()}\n`);
