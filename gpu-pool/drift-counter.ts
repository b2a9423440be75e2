import { binOf } from '../functions/sdk/drift/index.ts';
import type { DriftTally, FunctionRecord } from '../queue/cluster/index.ts';

/** What a host counted of one version's inputs since the last take. */
export type DriftDelta = DriftTally;

/**
 * Counts live inputs into their versions' baseline bins (manifest `drift`), where function code
 * runs: `features(input)` is function code. Counts leave as deltas (`take`), towards the worker
 * that writes them to Redis: a host that dies loses only what it counted since the last take.
 */
export class DriftCounter {
  private deltas = new Map<string, DriftDelta>();

  /** Counts each input of a batch of `rec` (nothing when the version watches no drift, or has no `features`). */
  count(rec: FunctionRecord, features: ((input: unknown) => Record<string, number>) | undefined, inputs: readonly unknown[]): void {
    const baseline = rec.driftBaseline;
    if (!rec.manifest.drift || !baseline || !features) return;
    const key = `${rec.name}@${rec.version}`;
    let d = this.deltas.get(key);
    if (!d) {
      d = { fn: rec.name, version: rec.version, counts: {}, skipped: 0 };
      for (const [name, f] of Object.entries(baseline.features)) d.counts[name] = new Array<number>(f.edges.length + 1).fill(0);
      this.deltas.set(key, d);
    }
    for (const input of inputs) {
      let values: Record<string, number>;
      try {
        values = features(input);
      } catch {
        d.skipped++;
        continue;
      }
      let all = true;
      for (const [name, f] of Object.entries(baseline.features)) {
        const v = values?.[name];
        if (typeof v === 'number' && Number.isFinite(v)) d.counts[name]![binOf(f.edges, v)]!++;
        else all = false;
      }
      if (!all) d.skipped++;
    }
  }

  /** What was counted since the last take, and starts again from zero. */
  take(): DriftDelta[] {
    const out = [...this.deltas.values()];
    this.deltas = new Map();
    return out;
  }
}

/** Adds `from` into `into` (same versions' bins add up), for counts that wait to be written. */
export function mergeDrift(into: DriftDelta[], from: readonly DriftDelta[]): DriftDelta[] {
  const byKey = new Map(into.map((d) => [`${d.fn}@${d.version}`, d]));
  for (const d of from) {
    const cur = byKey.get(`${d.fn}@${d.version}`);
    if (!cur) {
      byKey.set(`${d.fn}@${d.version}`, structuredClone(d));
      continue;
    }
    cur.skipped += d.skipped;
    for (const [name, counts] of Object.entries(d.counts)) {
      const c = (cur.counts[name] ??= new Array<number>(counts.length).fill(0));
      counts.forEach((n, i) => (c[i] = (c[i] ?? 0) + n));
    }
  }
  return [...byKey.values()];
}
