/**
 * Where the CPU went during one run: each named group of processes' CPU time over the run, as a
 * share of one core. On a 2-core machine the load generator, the HTTP front, the worker and
 * Redis all compete, so throughput alone does not say which of them is the bottleneck.
 */
import { cpuMs, machineBusyMs } from './proc-stats.ts';

/**
 * What to watch, by label (`front`, `worker`, `redis`): processes, whose CPU time is summed, or
 * a function that reads a CPU time itself, ms so far (to split a process by thread, say). Two
 * labels are added: the bench itself as `loadgen`, and `other`, whatever else kept the machine
 * busy (another job running alongside skews every number, and this is where it shows).
 */
export type PidGroups = Record<string, number[] | (() => number)>;

/** Per-label share of one core (1 = one core busy for the whole run). */
export type CpuShare = Record<string, number>;

/** Runs `fn` and reports each group's CPU time (ms) and share over its wall time (ms). */
export async function withCpuShare<T>(groups: PidGroups, fn: () => Promise<T>): Promise<{ value: T; cpu: CpuShare; cpuMs: Record<string, number>; wallMs: number }> {
  const before = sample(groups);
  const busyBefore = machineBusyMs();
  const self = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const wall = performance.now() - t0;
  const after = sample(groups);
  const busy = machineBusyMs() - busyBefore;
  const used: Record<string, number> = {};
  for (const label of Object.keys(groups)) used[label] = after[label]! - before[label]!;
  const mine = process.cpuUsage(self);
  used.loadgen = (mine.user + mine.system) / 1000;
  const ours = Object.values(used).reduce((a, b) => a + b, 0);
  // Tick rounding makes this a few percent either way; never below zero.
  used.other = Math.max(0, busy - ours);
  const cpu: CpuShare = {};
  for (const [label, ms] of Object.entries(used)) cpu[label] = ms / wall;
  return { value, cpu, cpuMs: used, wallMs: wall };
}

function sample(groups: PidGroups): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [label, g] of Object.entries(groups)) out[label] = typeof g === 'function' ? g() : g.reduce((sum, pid) => sum + cpuMs(pid), 0);
  return out;
}
