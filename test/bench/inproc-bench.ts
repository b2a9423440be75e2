/**
 * Cost per call against the server a team would write instead (issue 26): `risk-scoring` sync
 * through the platform as `npm start` runs it (router, pool of 2 workers, a private Redis) against
 * the same handler and artifacts served in-process by Hono with 2 ms / 32-call micro-batching
 * (`inproc-server.ts`), in 1 process and in 2 (`node:cluster`). Realistic bodies (30
 * transactions), 64 connections and 1 (sequential), rounds alternating the targets; each row is
 * the median round. CPU per call counts every process of a target (the platform's router, pool,
 * workers and Redis; the server's processes), not the load generator. A fourth target, the
 * skeleton (`skeleton-router.ts`), is the platform's design without its features: it splits the
 * gap into what the design costs and what the features do.
 *
 * Exported for `npm run bench`; standalone: `npx tsx test/bench/inproc-bench.ts`.
 * Env: INPROC_BENCH_SECONDS per run [10], INPROC_BENCH_ROUNDS [3], INPROC_BENCH_SKELETON_MODEL
 * [child]: `thread` runs the skeleton's model on its workers' own threads (no sandbox hop),
 * INPROC_BENCH_SKELETON_WORKERS [2].
 */
import { startChild } from './child.ts';
import { withCpuShare } from './cpu-share.ts';
import { load, type LoadResult, type Target } from './load.ts';
import { PARTS, cpuByPart, type Part } from './platform-parts.ts';
import { startPlatform } from './platform.ts';
import { treeCpuMs } from './proc-stats.ts';
import { commandCalls, startBenchRedis } from './redis-stats.ts';
import { benchHistory } from './risk-history.ts';
import { scoreRounds } from './score-rounds.ts';
import { startSkeleton } from './skeleton.ts';
import { markdownTable, medianBy, num, ratio } from './table.ts';

type Run = LoadResult & { cpuUsPerCall: number };

/** The 1-process server with the platform's rule for a lone call (sent at once, not held 2 ms). */
const LONE = 'in-process, 1 process, lone calls not held';
/** The platform's design with none of its features (`skeleton-router.ts`). */
const SKELETON_MODEL = process.env.INPROC_BENCH_SKELETON_MODEL === 'thread' ? 'thread' : 'child';
const SKELETON_WORKERS = Number(process.env.INPROC_BENCH_SKELETON_WORKERS ?? 2);
if (!Number.isInteger(SKELETON_WORKERS) || SKELETON_WORKERS < 1) throw new Error(`INPROC_BENCH_SKELETON_WORKERS=${process.env.INPROC_BENCH_SKELETON_WORKERS}: a whole number ≥ 1`);
const SKELETON = `skeleton: grouped BullMQ jobs, ${SKELETON_WORKERS} worker${SKELETON_WORKERS === 1 ? '' : 's'}, model ${SKELETON_MODEL === 'child' ? 'in a child process' : "on the worker's thread"}`;

/** Runs the comparison; returns the Markdown section. */
export async function runInprocBench(o: { seconds?: number; rounds?: number; log?: (s: string) => void } = {}): Promise<string> {
  const seconds = o.seconds ?? Number(process.env.INPROC_BENCH_SECONDS ?? 10);
  const rounds = o.rounds ?? Number(process.env.INPROC_BENCH_ROUNDS ?? 3);
  const log = o.log ?? ((s: string) => process.stderr.write(`inproc-bench: ${s}\n`));
  const redis = await startBenchRedis();
  const { admin, pid: redisPid } = redis;
  const stops: (() => Promise<unknown>)[] = [redis.stop];
  try {
    const platform = await startPlatform(redis.url, { env: { AUTOGLM_WORKERS: '2', AUTOGLM_LOG_LEVEL: 'error' } });
    stops.unshift(() => platform.stop());
    const one = await startChild('./inproc-server.ts', { BENCH_INPROC_PROCESSES: '1' });
    stops.unshift(() => one.stop());
    const two = await startChild('./inproc-server.ts', { BENCH_INPROC_PROCESSES: '2' });
    stops.unshift(() => two.stop());
    // The issue's baseline holds a lone call 2 ms for companions; the platform no longer does
    // (docs/gpu-pool.md): the same server with the platform's rule shows what that alone is worth.
    const lone = await startChild('./inproc-server.ts', { BENCH_INPROC_PROCESSES: '1', BENCH_INPROC_LONE: 'now' });
    stops.unshift(() => lone.stop());
    const skeleton = await startSkeleton(redis.url, SKELETON_MODEL, SKELETON_WORKERS);
    stops.unshift(() => skeleton.stop());

    const body = JSON.stringify({ input: benchHistory() });
    const json = { 'content-type': 'application/json' };
    const targets: Record<string, { target: Target; cpu: () => number; connections?: number[] }> = {
      platform: {
        target: { url: `${platform.url}/v1/functions/risk-scoring/invoke`, body, headers: { ...json, authorization: `Bearer ${platform.token}` } },
        cpu: () => treeCpuMs(platform.routerPid) + treeCpuMs(redisPid),
      },
      'in-process, 1 process': { target: { url: `http://127.0.0.1:${one.ready.port}/invoke`, body, headers: json }, cpu: () => treeCpuMs(one.pid) },
      'in-process, 2 processes': { target: { url: `http://127.0.0.1:${two.ready.port}/invoke`, body, headers: json }, cpu: () => treeCpuMs(two.pid) },
      [SKELETON]: { target: { url: skeleton.url, body, headers: json }, cpu: () => skeleton.cpuMs() + treeCpuMs(redisPid) },
      [LONE]: { target: { url: `http://127.0.0.1:${lone.ready.port}/invoke`, body, headers: json }, cpu: () => treeCpuMs(lone.pid), connections: [1] },
    };
    // The platform's CPU by part over its runs at 64 connections, for the profile table.
    const parts = new Map<Part, number>(PARTS.map((p) => [p, 0]));
    // And the Redis commands it sent (only the platform uses this Redis).
    const commands = new Map<string, number>();
    let partCalls = 0;
    const runs = await scoreRounds(targets, { seconds, rounds, log }, async (t, connections): Promise<Run> => {
      const split = t === targets.platform && connections === 64;
      const before = split ? { cpu: cpuByPart(platform.routerPid, redisPid), commands: await commandCalls(admin) } : undefined;
      const { value, cpuMs } = await withCpuShare({ target: t.cpu }, () => load(t.target, connections, seconds));
      if (before) {
        for (const [part, ms] of cpuByPart(platform.routerPid, redisPid)) parts.set(part, parts.get(part)! + ms - before.cpu.get(part)!);
        for (const [cmd, n] of await commandCalls(admin)) commands.set(cmd, (commands.get(cmd) ?? 0) + n - (before.commands.get(cmd) ?? 0));
        partCalls += value.ok;
      }
      return { ...value, cpuUsPerCall: value.ok ? (cpuMs.target! * 1000) / value.ok : NaN };
    });
    const pick = (name: string, c: number) => medianBy(runs[name]![c]!, (r) => r.rps);
    const rows = Object.keys(targets).map((name) => {
      const r = runs[name]![64] ? pick(name, 64) : undefined;
      const s = pick(name, 1);
      return [name, r ? num(r.rps, 0) : '—', r ? num(r.p95, 1) : '—', r ? num(r.cpuUsPerCall, 0) : '—', num(s.p50, 2), String(Object.values(runs[name]!).flat().reduce((a, x) => a + x.non2xx + x.errors, 0))];
    });
    const p = pick('platform', 64);
    const i1 = pick('in-process, 1 process', 64);
    const i2 = pick('in-process, 2 processes', 64);
    const k = pick(SKELETON, 64);
    return [
      '## Cost per call: risk-scoring sync, platform against the in-process server (issue 26)',
      '',
      markdownTable(['target', 'calls/s @64', 'p95 ms @64', 'CPU µs per call @64 (all its processes)', 'p50 ms sequential', 'failed'], rows),
      '',
      markdownTable(
        ['ratio', 'now', 'target'],
        [
          ['calls/s: platform / 2-process server', ratio(p.rps, i2.rps), '≥ 0.5×'],
          ['calls/s: platform / 1-process server', ratio(p.rps, i1.rps), '≥ 0.9×'],
          ['p95: platform / 2-process server', ratio(p.p95, i2.p95), '≤ 1.5×'],
          ['CPU per call: platform / 1-process server', ratio(p.cpuUsPerCall, i1.cpuUsPerCall), '≤ 2×'],
          ['sequential p50: platform / 1-process server', ratio(pick('platform', 1).p50, pick('in-process, 1 process', 1).p50), '≤ 1.5×'],
          ['sequential p50: platform / 1-process server holding no lone call', ratio(pick('platform', 1).p50, pick(LONE, 1).p50), '(for reading the one above)'],
        ],
      ),
      '',
      'The same ratios for the skeleton (the design without the features), and the platform against it:',
      '',
      markdownTable(
        ['ratio', 'skeleton / in-process server', 'platform / skeleton'],
        [
          ['calls/s @64 (against 2 processes)', ratio(k.rps, i2.rps), ratio(p.rps, k.rps)],
          ['calls/s @64 (against 1 process)', ratio(k.rps, i1.rps), '—'],
          ['p95 @64 (against 2 processes)', ratio(k.p95, i2.p95), ratio(p.p95, k.p95)],
          ['CPU per call @64 (against 1 process)', ratio(k.cpuUsPerCall, i1.cpuUsPerCall), ratio(p.cpuUsPerCall, k.cpuUsPerCall)],
          ['sequential p50 (against 1 process)', ratio(pick(SKELETON, 1).p50, pick('in-process, 1 process', 1).p50), ratio(pick('platform', 1).p50, pick(SKELETON, 1).p50)],
        ],
      ),
      '',
      `Medians of ${rounds} rounds of ${seconds} s, targets alternating; the platform's pool has 2 workers.`,
      '',
      "The platform's CPU per call by part, at 64 connections (all rounds; /proc, by process and thread):",
      '',
      markdownTable(['part', 'CPU µs per call'], PARTS.map((part) => [part, num(partCalls ? (parts.get(part)! * 1000) / partCalls : NaN, 0)])),
      '',
      `Redis commands per call, at 64 connections (commands run by Lua scripts included): ${perCall(commands, partCalls)}.`,
    ].join('\n');
  } finally {
    for (const s of stops) await s().catch(() => undefined);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(`${await runInprocBench()}\n`);

/** `total 10.2: rpush 2.05, hmget 0.38, …`, the commands above 0.05 a call, most first. */
function perCall(commands: Map<string, number>, calls: number): string {
  if (!calls) return 'none measured';
  const rows = [...commands].map(([cmd, n]) => [cmd, n / calls] as const).sort((a, b) => b[1] - a[1]);
  const total = rows.reduce((a, [, n]) => a + n, 0);
  return `total ${total.toFixed(2)}: ${rows.filter(([cmd, n]) => n >= 0.05 && cmd !== 'info').map(([cmd, n]) => `${cmd} ${n.toFixed(2)}`).join(', ')}`;
}
