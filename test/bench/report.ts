/**
 * Turns the bench's measurements into the printed report: results, CPU shares, memory, and the
 * issue's targets marked met / not met. The targets are information for a reader, not a gate:
 * nothing here changes the exit code.
 */
import type { CpuShare } from './cpu-share.ts';
import type { LoadResult } from './load.ts';
import { markdownTable, num } from './table.ts';

export type TargetName = 'json' | 'bare' | 'platform';

/** How long each measurement and warm-up ran, seconds. */
export interface BenchOptions {
  durationS: number;
  warmupS: number;
  /** Times every measurement was repeated; the median round is reported. */
  rounds: number;
}

/** One target at one connection count. */
export interface Measurement {
  target: TargetName;
  result: LoadResult;
  /** Share of one core per process group (`front`, `worker`, `redis`, `loadgen`, `other`). */
  cpu: CpuShare;
  /** Server-side CPU (front + worker + Redis) per 2xx response, µs. */
  serverCpuUsPerReq: number;
  /** Lua scripts (one round trip each) and all Redis commands (inside scripts too) per 2xx response. */
  redisScriptsPerReq: number;
  redisCmdsPerReq: number;
  /** Lowest and highest req/s over the rounds. */
  rpsRange: [number, number];
}

/** Resident memory, bytes (undefined: the process could not be read). */
export interface Memory {
  /** Lowest in the first seconds after start: start-up garbage not yet given back. */
  routerStarted: number | undefined;
  /** Lowest over the whole idle window, after V8's memory reducer has run. */
  routerIdle: number | undefined;
  routerAfter: number | undefined;
  workerIdle: number | undefined;
  bareServerIdle: number | undefined;
}

const LABEL: Record<TargetName, string> = {
  json: 'Hono JSON, no queue',
  bare: 'bare loop (floor)',
  platform: 'platform, 1 worker',
};

const MB = 1024 * 1024;

/** Prints the full report to stdout. */
export function printReport(r: { measurements: Measurement[]; memory: Memory; cores: number; opts: BenchOptions; busyBefore: number }): void {
  const { measurements: ms, memory, opts } = r;
  const rounds = opts.rounds > 1;
  const out: string[] = [];
  const how = rounds ? `median of ${opts.rounds} interleaved rounds of ${opts.durationS} s` : `${opts.durationS} s per run`;
  out.push(`## Results (${how}, after ${opts.warmupS} s warm-up; ${r.cores} cores; same request to each)`, '');
  out.push(`Machine busy before start (other work): ${pct(r.busyBefore)} of a core.`, '');
  out.push(
    markdownTable(
      ['target', 'conns', 'req/s', ...(rounds ? ['req/s range'] : []), 'p50 ms', 'p99 ms', ...(rounds ? ['2xx (all rounds)', 'non-2xx (all)', 'errors (all)'] : ['2xx', 'non-2xx', 'errors'])],
      ms.map(({ target, result: x, rpsRange }) => [
        LABEL[target],
        String(x.connections),
        num(x.rps, 0),
        ...(rounds ? [`${num(rpsRange[0], 0)}–${num(rpsRange[1], 0)}`] : []),
        num(x.p50, 2),
        num(x.p99, 2),
        num(x.ok, 0),
        x.non2xx ? `${x.non2xx} (${Object.entries(x.statuses).map(([code, n]) => `${code}×${n}`).join(' ')})` : '0',
        String(x.errors),
      ]),
    ),
  );
  out.push('', `## Where the time goes (CPU as a share of one core, ${r.cores} cores in all; Redis commands per call)`, '');
  out.push(
    markdownTable(
      ['target', 'conns', 'HTTP front', 'worker', 'redis', 'load gen', 'other', 'server CPU µs/req', 'redis scripts/req', 'redis cmds/req'],
      ms.map((m) => [
        LABEL[m.target],
        String(m.result.connections),
        pct(m.cpu.front),
        pct(m.cpu.worker),
        pct(m.cpu.redis),
        pct(m.cpu.loadgen),
        pct(m.cpu.other),
        num(m.serverCpuUsPerReq, 0),
        num(m.redisScriptsPerReq, 1),
        num(m.redisCmdsPerReq, 1),
      ]),
    ),
  );
  const busiest = Math.max(...ms.map((m) => m.cpu.other ?? 0));
  if (busiest > 0.15) {
    out.push('', `Note: other processes used up to ${pct(busiest)} of a core during a run ('other'); numbers from a shared machine are noisy.`);
  }
  out.push('', '## Memory (VmRSS)', '');
  out.push(
    markdownTable(
      ['process', 'RSS MB'],
      [
        ['platform router, just after start (lowest of the first 5 s)', mb(memory.routerStarted)],
        ['platform router, idle (lowest of 30 s after start, before load)', mb(memory.routerIdle)],
        ['platform router, after all runs', mb(memory.routerAfter)],
        ['platform worker, idle (same)', mb(memory.workerIdle)],
        ['bare server, idle (same)', mb(memory.bareServerIdle)],
      ],
    ),
  );
  out.push('', "## Against the issue's targets (informational, not a test)", '');
  out.push(markdownTable(['figure', 'measured', 'target', ''], targetRows(ms, memory)));
  process.stdout.write(out.join('\n') + '\n');
}

function targetRows(ms: Measurement[], memory: Memory): string[][] {
  const find = (t: TargetName, c: number) => ms.find((m) => m.target === t && m.result.connections === c)?.result;
  const plat64 = find('platform', 64);
  const bare64 = find('bare', 64);
  const plat1 = find('platform', 1);
  const rows: [string, number | undefined, string, (v: number) => boolean, (v: number) => string][] = [
    ['platform req/s, 64 connections', plat64?.rps, '≥ 3,000', (v) => v >= 3000, (v) => num(v, 0)],
    ['platform / bare throughput, 64 connections', plat64 && bare64 && plat64.rps / bare64.rps, '≥ 80%', (v) => v >= 0.8, (v) => `${num(v * 100, 0)}%`],
    ['platform p99 / bare p99, 64 connections', plat64 && bare64 && plat64.p99 / bare64.p99, '≤ 1.25×', (v) => v <= 1.25, (v) => `${num(v, 2)}×`],
    ['platform p50, 1 connection (sequential)', plat1?.p50, '≤ 2 ms', (v) => v <= 2, (v) => `${num(v, 2)} ms`],
    ['platform router idle RSS', memory.routerIdle === undefined ? undefined : memory.routerIdle / MB, '≤ 150 MB', (v) => v <= 150, (v) => `${num(v, 0)} MB`],
  ];
  return rows.map(([name, v, target, ok, fmt]) =>
    v === undefined || !Number.isFinite(v) ? [name, '—', target, 'not measured'] : [name, fmt(v), target, ok(v) ? 'met' : 'NOT met'],
  );
}

function pct(share: number | undefined): string {
  return share === undefined ? '—' : `${num(share * 100, 0)}%`;
}

function mb(bytes: number | undefined): string {
  return bytes === undefined ? '—' : num(bytes / MB, 0);
}
