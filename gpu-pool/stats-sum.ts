import { addCounts, type FunctionStat } from '../queue/cluster/index.ts';

/** The counters of a host's figures: what only grows over a worker's life. */
export interface HostCounters {
  batches: number;
  jobsDone: number;
  loads: number;
  unloads: number;
  functions: FunctionStat[];
}

export const noCounters = (): HostCounters => ({ batches: 0, jobsDone: 0, loads: 0, unloads: 0, functions: [] });

/**
 * The sum of several hosts' counters, a version's figures merged into one entry. A sandbox that
 * stops or dies takes its figures with it; the worker adds them to what it has kept, so its
 * totals (reported as counters) never go down.
 */
export function sumCounters(parts: readonly HostCounters[]): HostCounters {
  const out = noCounters();
  const byVersion = new Map<string, FunctionStat>();
  for (const p of parts) {
    out.batches += p.batches;
    out.jobsDone += p.jobsDone;
    out.loads += p.loads;
    out.unloads += p.unloads;
    for (const f of p.functions) {
      const key = `${f.function}@${f.version}`;
      const into = byVersion.get(key);
      if (!into) {
        byVersion.set(key, structuredClone(f));
        continue;
      }
      into.ok += f.ok;
      into.failed += f.failed;
      addCounts(into.batchSize, f.batchSize);
      addCounts(into.runSeconds, f.runSeconds);
      addCounts(into.queueSeconds, f.queueSeconds);
    }
  }
  out.functions = [...byVersion.values()];
  return out;
}
