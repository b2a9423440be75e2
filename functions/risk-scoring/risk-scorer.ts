import { FACTORS, rankFactors, type RiskFactor } from './explain.ts';
import { SEQUENCE_SIZE, rawFeatures, writeModelInput, type RawSequence } from './features.ts';
import { predictScores, type RiskModel, type Thresholds } from './risk-model.ts';
import type { RiskRequest } from './validate-input.ts';

export type RiskLevel = 'low' | 'medium' | 'high';

/** One scoring result. */
export interface RiskOutput {
  accountId?: string;
  /** Probability-like fraud score, 0–1. */
  score: number;
  level: RiskLevel;
  /** The cut-off that decided the level: `high` for high, `medium` for medium and low. */
  threshold: number;
  thresholds: Thresholds;
  /** Top reasons, largest first; empty when the score is low and `explain` was not set. */
  factors: RiskFactor[];
}

/** Level for a score under the model's documented thresholds. */
export function riskLevel(score: number, t: Thresholds): { level: RiskLevel; threshold: number } {
  if (score >= t.high) return { level: 'high', threshold: t.high };
  if (score >= t.medium) return { level: 'medium', threshold: t.medium };
  return { level: 'low', threshold: t.medium };
}

/** Scores prepared sequences in one model call. */
export async function scoreSequences(rm: RiskModel, seqs: readonly RawSequence[]): Promise<Float32Array> {
  const buf = new Float32Array(seqs.length * SEQUENCE_SIZE);
  seqs.forEach((s, i) => writeModelInput(s, rm.meta.norm, buf, i * SEQUENCE_SIZE));
  return predictScores(rm.predictor, buf, seqs.length);
}

/**
 * Scores a batch of validated requests: one model call for every score, then, only if some
 * item needs factors (medium/high, or `explain: true`), one more call holding every occluded
 * variant of every such item (7 per item).
 */
export async function scoreRequests(rm: RiskModel, reqs: readonly RiskRequest[]): Promise<RiskOutput[]> {
  const raws = reqs.map(rawFeatures);
  const scores = await scoreSequences(rm, raws);
  const { thresholds } = rm.meta;
  const outputs = reqs.map((req, i): RiskOutput => {
    const score = scores[i]!;
    const out: RiskOutput = { score: Math.round(score * 10_000) / 10_000, ...riskLevel(score, thresholds), thresholds, factors: [] };
    if (req.accountId !== undefined) out.accountId = req.accountId;
    return out;
  });

  const explain = reqs.flatMap((req, i) => (req.explain === true || (req.explain === undefined && outputs[i]!.level !== 'low') ? [i] : []));
  if (explain.length === 0) return outputs;
  const variants = explain.flatMap((i) => FACTORS.map((f) => f.neutralise(raws[i]!, rm.meta.norm)));
  const occluded = await scoreSequences(rm, variants);
  explain.forEach((i, k) => {
    outputs[i]!.factors = rankFactors(scores[i]!, occluded.subarray(k * FACTORS.length, (k + 1) * FACTORS.length), reqs[i]!);
  });
  return outputs;
}
