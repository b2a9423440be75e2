import { recordOf, servingVersions, type DriftCounts, type FunctionState } from '../../queue/cluster/index.ts';
import { driftReport } from '../drift/index.ts';
import type { Labels, MetricFamily } from './exposition.ts';
import { gauge } from './instruments.ts';

/**
 * `autoglm_feature_psi{function,version,feature}` and `autoglm_feature_drift_values`: each
 * serving version that watches drift, over its manifest's window, read from Redis at scrape
 * time (one pipelined read per version). A feature with fewer values than `minCount` has its
 * count but no PSI: no verdict yet.
 */
export async function driftFamilies(states: readonly FunctionState[], counts: Pick<DriftCounts, 'window'>): Promise<MetricFamily[]> {
  const psi: [Labels, number][] = [];
  const values: [Labels, number][] = [];
  for (const s of [...states].sort((a, b) => a.name.localeCompare(b.name))) {
    for (const version of [...servingVersions(s.traffic)].sort()) {
      const rec = recordOf(s, version);
      const report = rec && (await driftReport(rec, counts));
      for (const f of report?.features ?? []) {
        const labels = { function: s.name, version, feature: f.name };
        values.push([labels, f.count]);
        if (f.status !== 'insufficient') psi.push([labels, f.psi]);
      }
    }
  }
  return [
    gauge('autoglm_feature_psi', "Population stability index of a feature's live values over the version's drift window against its training baseline (0.1 warn, 0.2 drift by default).", psi),
    gauge('autoglm_feature_drift_values', "Live values of a feature counted in the version's drift window.", values),
  ];
}
