/**
 * What the kernel says about processes a test started, read from /proc (Linux): children, command
 * line, and which processes carry a given environment entry, which is how a test finds a pool and
 * the workers it forked. Whether one still runs: `isAlive` (test/bench/proc-stats.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { isAlive } from '../bench/proc-stats.ts';

const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/** Direct children of `pid` (none once it is gone). */
export const childrenOf = (pid: number): number[] => (read(`/proc/${pid}/task/${pid}/children`) ?? '').trim().split(/\s+/).filter(Boolean).map(Number);

/** The command line of `pid`, arguments joined by spaces ('' once it is gone). */
export const cmdline = (pid: number): string => (read(`/proc/${pid}/cmdline`) ?? '').replace(/\0/g, ' ');

/** Live processes whose environment holds `entry` (`NAME=value`), or an entry `entry` accepts. */
export function withEnv(entry: string | ((entry: string) => boolean)): number[] {
  const holds = typeof entry === 'string' ? (e: string) => e === entry : entry;
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((pid) => (read(`/proc/${pid}/environ`) ?? '').split('\0').some(holds) && isAlive(pid));
}
