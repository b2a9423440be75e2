/**
 * CPU time of a running platform by part, from /proc: where a call's cost goes (issue 26's
 * profile by process). Parts are told apart by their command lines, as the launcher starts them.
 */
import { readFileSync } from 'node:fs';
import { cpuMs, descendants, threadCpuMs } from './proc-stats.ts';

/** The parts, in the order tables show them. */
export const PARTS = ['router', 'Redis', 'pool supervisor', 'worker main threads', 'worker other threads', 'sandbox processes'] as const;
export type Part = (typeof PARTS)[number];

function partOf(pid: number, routerPid: number, redisPid: number): Part | 'worker' | undefined {
  if (pid === routerPid) return 'router';
  if (pid === redisPid) return 'Redis';
  let cmd: string;
  try {
    cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return undefined;
  }
  if (cmd.includes('worker-main')) return 'worker';
  if (cmd.includes('gpu-pool/main')) return 'pool supervisor';
  // Function code at AUTOGLM_ISOLATION=sandbox|process: a node under bwrap (or not), with the permission model.
  if (cmd.includes('sandbox-entry') || cmd.includes('--experimental-permission')) return 'sandbox processes';
  return undefined;
}

/** CPU ms so far of each part of the platform whose router (launcher) is `routerPid`. */
export function cpuByPart(routerPid: number, redisPid: number): Map<Part, number> {
  const out = new Map<Part, number>(PARTS.map((p) => [p, 0]));
  for (const pid of [routerPid, redisPid, ...descendants(routerPid)]) {
    const part = partOf(pid, routerPid, redisPid);
    if (part === 'worker') {
      const t = threadCpuMs(pid);
      if (!t) continue;
      out.set('worker main threads', out.get('worker main threads')! + t.main);
      out.set('worker other threads', out.get('worker other threads')! + t.others);
    } else if (part) out.set(part, out.get(part)! + cpuMs(pid));
  }
  return out;
}
