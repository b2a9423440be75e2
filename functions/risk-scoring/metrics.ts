/** Binary classification metrics for the evaluation report. */

/** ROC AUC as the Mann–Whitney statistic: the chance a random positive outscores a random negative (ties count half). */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let pos = 0;
  let rankSum = 0;
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]!] === scores[idx[i]!]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (labels[idx[k]!] === 1) {
        pos++;
        rankSum += avgRank;
      }
    }
    i = j + 1;
  }
  const neg = idx.length - pos;
  if (pos === 0 || neg === 0) return Number.NaN;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** Average precision (area under the precision–recall curve, step-wise). */
export function averagePrecision(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  const pos = Array.from(labels).filter((l) => l === 1).length;
  let tp = 0;
  let ap = 0;
  idx.forEach((i, rank) => {
    if (labels[i] === 1) {
      tp++;
      ap += tp / (rank + 1);
    }
  });
  return pos === 0 ? Number.NaN : ap / pos;
}

/** Counts and rates when flagging `score >= threshold`. */
export interface AtThreshold {
  threshold: number;
  precision: number;
  recall: number;
  falsePositiveRate: number;
  /** Flagged histories per 1,000 scored: the analysts' workload. */
  alertsPer1000: number;
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

export function atThreshold(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold: number): AtThreshold {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let i = 0; i < scores.length; i++) {
    const flagged = scores[i]! >= threshold;
    if (labels[i] === 1) flagged ? tp++ : fn++;
    else flagged ? fp++ : tn++;
  }
  return {
    threshold,
    precision: tp + fp === 0 ? 1 : tp / (tp + fp),
    recall: tp + fn === 0 ? Number.NaN : tp / (tp + fn),
    falsePositiveRate: fp + tn === 0 ? Number.NaN : fp / (fp + tn),
    alertsPer1000: ((tp + fp) / scores.length) * 1000,
    tp,
    fp,
    fn,
    tn,
  };
}
