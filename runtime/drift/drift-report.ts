import { driftStatus, psi, type DriftStatus } from '../../functions/sdk/drift/index.ts';
import type { DriftCounts, FunctionRecord } from '../../queue/cluster/index.ts';

/** One feature of a drift report: PSI of the window's live values against the baseline. */
export interface FeatureDrift {
  name: string;
  psi: number;
  status: DriftStatus;
  /** Live values counted in the window. */
  count: number;
  /** Per bin: its upper edge (null for the last, open bin), the baseline's share, the window's share. */
  bins: { upTo: number | null; expected: number; actual: number }[];
}

/** How a version's live inputs compare with its training data, over its manifest's window. */
export interface DriftReport {
  function: string;
  version: string;
  windowMs: number;
  minCount: number;
  thresholds: { warn: number; drift: number };
  features: FeatureDrift[];
  /** Inputs in the window whose features could not all be computed. */
  skipped: number;
}

/** The drift report of `rec` (a version whose manifest has `drift`), from the counts in Redis. */
export async function driftReport(rec: FunctionRecord, counts: Pick<DriftCounts, 'window'>, now = Date.now()): Promise<DriftReport | undefined> {
  const spec = rec.manifest.drift;
  const baseline = rec.driftBaseline;
  if (!spec || !baseline) return undefined;
  const bins = Object.fromEntries(Object.entries(baseline.features).map(([name, f]) => [name, f.shares.length]));
  const live = await counts.window(rec.name, rec.version, spec.window, bins, now);
  const thresholds = { warn: spec.warn, drift: spec.drift, minCount: spec.minCount };
  const features = Object.entries(baseline.features).map(([name, f]): FeatureDrift => {
    const c = live.counts[name]!;
    const count = c.reduce((a, b) => a + b, 0);
    const value = psi(f.shares, c);
    return {
      name,
      psi: round(value),
      status: driftStatus(value, count, thresholds),
      count,
      bins: f.shares.map((expected, i) => ({ upTo: i < f.edges.length ? f.edges[i]! : null, expected, actual: count ? round(c[i]! / count) : 0 })),
    };
  });
  return { function: rec.name, version: rec.version, windowMs: spec.window, minCount: spec.minCount, thresholds: { warn: spec.warn, drift: spec.drift }, features, skipped: live.skipped };
}

const round = (x: number) => Math.round(x * 1e4) / 1e4;
