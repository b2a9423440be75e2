import { readFileSync, writeFileSync } from 'node:fs';

/** A field of `/proc/self/status` in bytes (`VmRSS`: resident now; `VmHWM`: the peak since the last reset). */
function statusBytes(field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  if (!m) throw new Error(`no ${field} in /proc/self/status`);
  return Number(m[1]) * 1024;
}

/**
 * How far this process's resident memory rose above where it stood while `fn` ran: the kernel's
 * peak (VmHWM), reset to the current size first (`5` to `/proc/self/clear_refs`), so a peak between
 * two samples is not missed. Linux only. A router started by `startPlatform` runs in this process.
 */
export async function peakRssGrowth<T>(fn: () => Promise<T>): Promise<{ result: T; growth: number }> {
  writeFileSync('/proc/self/clear_refs', '5');
  const before = statusBytes('VmRSS');
  const result = await fn();
  return { result, growth: statusBytes('VmHWM') - before };
}
