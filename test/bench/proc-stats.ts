/**
 * What the kernel says about a process: resident memory, CPU time, children. The bench reads
 * these from /proc rather than asking the processes, so the numbers cost the subject nothing
 * and cover processes (Redis, the pool) that have no API for them. Linux only.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** `CLK_TCK`: 100 on every Linux we run on; utime/stime in /proc/<pid>/stat count these. */
const TICKS_PER_SECOND = 100;

/** Resident set size (VmRSS) of `pid` in bytes, or undefined when it is gone. */
export function rssBytes(pid: number): number | undefined {
  const status = readOr(`/proc/${pid}/status`);
  const kb = status && /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
  return kb ? Number(kb) * 1024 : undefined;
}

/** User + system CPU time `pid` has used so far, ms (10 ms resolution), or 0 when it is gone. */
export function cpuMs(pid: number): number {
  const f = statFields(pid);
  return f ? usedMs(f) : 0;
}

/**
 * User + system time in a stat line's fields, ms. The fields start after the ")" that closes
 * the command name, at the state (field 3), so utime and stime (fields 14–15) sit at 11–12;
 * with `reaped` also cutime and cstime (16–17), the time of children already waited for.
 */
function usedMs(f: string[], reaped = false): number {
  const ticks = Number(f[11]) + Number(f[12]) + (reaped ? Number(f[13]) + Number(f[14]) : 0);
  return (ticks * 1000) / TICKS_PER_SECOND;
}

/**
 * CPU time of `pid` and everything it forked, ms: its own, its live descendants', and what its
 * reaped children left in cutime/cstime. Redis forks for AOF rewrites (and snapshots); those
 * children can come and go within one measurement, and are its cost all the same.
 */
export function treeCpuMs(pid: number): number {
  return [pid, ...descendants(pid)].reduce((sum, p) => {
    const f = statFields(p);
    return sum + (f ? usedMs(f, true) : 0);
  }, 0);
}

/**
 * CPU time of `pid`'s threads so far, ms: its main thread (the one whose id is the pid) and all
 * its other threads together (worker threads such as the pool's inference thread, V8's GC and
 * compiler helpers, libuv's pool). Threads that already ended are not counted; undefined when it is gone.
 */
export function threadCpuMs(pid: number): { main: number; others: number } | undefined {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  const out = { main: 0, others: 0 };
  for (const tid of tids) {
    const f = fieldsOf(readOr(`/proc/${pid}/task/${tid}/stat`));
    if (!f) continue;
    const ms = usedMs(f);
    if (tid === String(pid)) out.main += ms;
    else out.others += ms;
  }
  return out;
}

/**
 * When `pid` started, in clock ticks since boot: with the pid, it names one process for good,
 * so a pid the kernel has since reused is never mistaken for it.
 */
export function startTicks(pid: number): number | undefined {
  const f = statFields(pid);
  return f ? Number(f[19]) : undefined;
}

/** CPU time the whole machine has been busy (all cores, not idle or iowait), ms since boot. */
export function machineBusyMs(): number {
  const line = readOr('/proc/stat')?.split('\n', 1)[0] ?? '';
  // cpu  user nice system idle iowait irq softirq steal …
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return (((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) * 1000) / TICKS_PER_SECOND;
}

/** True while `pid` exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  const f = statFields(pid);
  return f !== undefined && f[0] !== 'Z';
}

/** Every descendant of `pid` (children, grandchildren…), found by scanning /proc for parent ids. */
export function descendants(pid: number): number[] {
  const byParent = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const ppid = Number(statFields(Number(name))?.[1]);
    if (!ppid) continue;
    const list = byParent.get(ppid) ?? [];
    list.push(Number(name));
    byParent.set(ppid, list);
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of byParent.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

/** Direct parent of `pid`, or undefined when it is gone. */
export function parentOf(pid: number): number | undefined {
  const ppid = statFields(pid)?.[1];
  return ppid === undefined ? undefined : Number(ppid);
}

/** Fields of /proc/<pid>/stat after the command name (which may itself contain spaces). */
function statFields(pid: number): string[] | undefined {
  return fieldsOf(readOr(`/proc/${pid}/stat`));
}

/** Fields of a stat line (a process's or a thread's) after the command name. */
function fieldsOf(stat: string | undefined): string[] | undefined {
  if (!stat) return undefined;
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

function readOr(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
