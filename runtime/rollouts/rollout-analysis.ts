import { p95Of, stageOf, type GateReading, type RolloutRecord, type RolloutWindow, type VersionCallCounts } from '../../queue/cluster/index.ts';

/** Feedback figures of one version: how many records and their mean score. */
export interface FeedbackFigures {
  count: number;
  score: number | null;
}

/** What one window of a rollout is judged on. */
export interface WindowFigures {
  /** Synchronous calls of the new version and of the stable one over the window (canary steps). */
  candidate: VersionCallCounts;
  stable: VersionCallCounts;
  /** Shadowed calls over the window (shadow step). */
  shadow?: { samples: number; agreed: number; shadowErrors: number };
  /** Feedback on both versions since the rollout began; judged once both have {@link MIN_FEEDBACK}. */
  feedback?: { candidate: FeedbackFigures; stable: FeedbackFigures };
}

/** Feedback records each version needs before the feedback gate is judged. */
export const MIN_FEEDBACK = 10;

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const ms = (s: number | null) => (s === null ? 'none' : `${(s * 1000).toFixed(1)} ms`);

/** Words for a gate reading that failed, with its figures. */
function failedWords(g: GateReading, f: { calls: number; failed: number; p95: number | null; stableP95: number | null }): string {
  switch (g.gate) {
    case 'successRate':
      return `successRate ${pct(g.value!)} < ${pct(g.limit)} (${f.failed} of ${f.calls} calls failed)`;
    case 'p95Ratio':
      return `p95Ratio ${g.value!.toFixed(2)} > ${g.limit} (p95 ${ms(f.p95)} against stable ${ms(f.stableP95)})`;
    case 'shadowAgreement':
      return `shadowAgreement ${pct(g.value!)} < ${pct(g.limit)}`;
    case 'feedbackDrop':
      return `feedbackDrop ${g.value!.toFixed(3)} > ${g.limit}`;
  }
}

/**
 * Judges one window of `r`'s current stage, comparing the new version with the stable one over
 * the same span. A window with fewer than `minCalls` of the new version's calls, or a gate with
 * nothing to judge it on (no stable calls to compare a p95 with), waits: an inconclusive window
 * never promotes. Any gate failing fails the window.
 */
export function judgeWindow(r: RolloutRecord, from: number, to: number, f: WindowFigures): RolloutWindow {
  const { gates: limits, minCalls } = r.plan;
  const stage = stageOf(r);
  const shadowStep = stage.kind === 'shadow';
  const calls = shadowStep ? (f.shadow?.samples ?? 0) : f.candidate.calls;
  const failed = shadowStep ? (f.shadow?.shadowErrors ?? 0) : f.candidate.failed;
  const p95 = shadowStep ? null : p95Of(f.candidate);
  const stableP95 = shadowStep ? null : p95Of(f.stable);
  const base = { stage: r.stage, from, to, calls, failed, stableCalls: f.stable.calls, p95, stableP95 };
  if (calls < minCalls) return { ...base, gates: [], verdict: 'waiting', reason: `${calls} ${shadowStep ? 'shadowed calls' : `calls of ${r.version}`} in the window, fewer than minCalls ${minCalls}` };
  const gates: GateReading[] = [];
  const success = 1 - failed / calls;
  gates.push({ gate: 'successRate', value: success, limit: limits.successRate, ok: success >= limits.successRate });
  if (shadowStep) {
    const agreement = (f.shadow?.agreed ?? 0) / calls;
    gates.push({ gate: 'shadowAgreement', value: agreement, limit: limits.shadowAgreement, ok: agreement >= limits.shadowAgreement });
  } else {
    const ratio = p95 !== null && stableP95 ? p95 / stableP95 : null;
    gates.push({ gate: 'p95Ratio', value: ratio, limit: limits.p95Ratio, ok: ratio === null ? null : ratio <= limits.p95Ratio });
  }
  const fb = f.feedback;
  if (fb && fb.candidate.count >= MIN_FEEDBACK && fb.stable.count >= MIN_FEEDBACK && fb.candidate.score !== null && fb.stable.score !== null) {
    const drop = fb.stable.score - fb.candidate.score;
    gates.push({ gate: 'feedbackDrop', value: drop, limit: limits.feedbackDrop, ok: drop <= limits.feedbackDrop });
  }
  const failing = gates.filter((g) => g.ok === false);
  if (failing.length) return { ...base, gates, verdict: 'failed', reason: failing.map((g) => failedWords(g, base)).join('; ') };
  const unjudged = gates.filter((g) => g.ok === null);
  if (unjudged.length) return { ...base, gates, verdict: 'waiting', reason: `no stable calls in the window to compare ${unjudged.map((g) => g.gate).join(', ')} with` };
  return { ...base, gates, verdict: 'passed', reason: 'every gate passed' };
}
