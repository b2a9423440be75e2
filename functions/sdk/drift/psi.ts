/**
 * Population stability index of live counts against a baseline's shares:
 * Σ (actual − expected) · ln(actual / expected) over the bins. Under 0.1 the population is
 * stable; 0.1–0.2 shifted somewhat; over 0.2 it has drifted (the usual reading in credit
 * scoring, where PSI comes from). A bin empty on either side would make the term infinite:
 * shares are floored at `EMPTY_SHARE`, as most implementations do.
 */
export function psi(expected: readonly number[], counts: readonly number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return 0;
  let sum = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(expected[i]!, EMPTY_SHARE);
    const a = Math.max((counts[i] ?? 0) / total, EMPTY_SHARE);
    sum += (a - e) * Math.log(a / e);
  }
  return sum;
}

/** The share an empty bin is taken to have. */
export const EMPTY_SHARE = 1e-4;

export type DriftStatus = 'ok' | 'warn' | 'drift' | 'insufficient';

/** Thresholds of a version's drift verdicts (manifest `drift`). */
export interface DriftThresholds {
  /** PSI from which a feature is `warn` [0.1]. */
  warn: number;
  /** PSI from which a feature has drifted [0.2]. */
  drift: number;
  /** Values needed in the window before any verdict [500]. */
  minCount: number;
}

export const DEFAULT_THRESHOLDS: DriftThresholds = { warn: 0.1, drift: 0.2, minCount: 500 };

/** The verdict for one feature: `insufficient` until `minCount` values were seen. */
export function driftStatus(value: number, count: number, t: DriftThresholds = DEFAULT_THRESHOLDS): DriftStatus {
  if (count < t.minCount) return 'insufficient';
  if (value >= t.drift) return 'drift';
  if (value >= t.warn) return 'warn';
  return 'ok';
}
