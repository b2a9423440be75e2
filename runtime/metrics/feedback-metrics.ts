import type { FeedbackStore, FeedbackFigures } from '../../queue/cluster/index.ts';
import type { Labels, MetricFamily } from './exposition.ts';
import { gauge } from './instruments.ts';

/**
 * `autoglm_feedback_total{function,version}` and `autoglm_feedback_score{function,version}`: each
 * version's feedback records so far and their mean score (share correct, mean score, or label
 * agreement), read at scrape time: one pipelined HGETALL per function, whatever the traffic.
 * A gauge, as it is read from Redis rather than counted here (and starts again should a function
 * go a whole `AUTOGLM_FEEDBACK_TTL` without feedback).
 */
export async function feedbackFamilies(functions: readonly string[], store: Pick<FeedbackStore, 'totalsOf'>): Promise<MetricFamily[]> {
  const totals = await store.totalsOf([...functions].sort());
  const count: [Labels, number][] = [];
  const score: [Labels, number][] = [];
  for (const [fn, versions] of totals) {
    for (const [version, f] of [...versions].sort(([a], [b]) => a.localeCompare(b)) as [string, FeedbackFigures][]) {
      count.push([{ function: fn, version }, f.count]);
      if (f.score !== null) score.push([{ function: fn, version }, f.score]);
    }
  }
  return [
    gauge('autoglm_feedback_total', 'Feedback records given on the outputs of a version (one per job; a replaced one counts once).', count),
    gauge('autoglm_feedback_score', "Mean score of a version's feedback, 0..1: share correct, mean score, or agreement of labels with outputs.", score),
  ];
}
