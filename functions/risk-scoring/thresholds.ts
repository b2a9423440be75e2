import { atThreshold } from './metrics.ts';
import type { Thresholds } from './risk-model.ts';

/**
 * Threshold rule, applied on the validation records: `high` is for blocking or calling the
 * customer now, so it must rarely be wrong; `medium` fills the review queue, so it is set by how
 * many genuine customers analysts can afford to look at.
 */
const HIGH_PRECISION = 0.9;
const MEDIUM_MAX_FPR = 0.01;
/** Fewest flagged validation histories a `high` threshold must rest on. */
const HIGH_MIN_FLAGGED = 5;
/** Used when no score reaches the precision `high` asks for (e.g. a validation set without fraud). */
const FALLBACK_HIGH = 0.5;

export const THRESHOLD_RULE =
  `high: the lowest score (0.01 steps) at which validation precision is at least ${HIGH_PRECISION}; ` +
  `medium: the lowest score at which at most ${MEDIUM_MAX_FPR * 100}% of genuine validation histories are flagged (capped at high)`;

/** Picks the thresholds by {@link THRESHOLD_RULE} from validation scores and their labels. */
export function chooseThresholds(scores: ArrayLike<number>, labels: ArrayLike<number>): Thresholds {
  const grid = Array.from({ length: 99 }, (_, i) => (i + 1) / 100);
  const high =
    grid.find((t) => {
      const a = atThreshold(scores, labels, t);
      return a.tp + a.fp >= HIGH_MIN_FLAGGED && a.precision >= HIGH_PRECISION;
    }) ?? FALLBACK_HIGH;
  const medium = grid.find((t) => atThreshold(scores, labels, t).falsePositiveRate <= MEDIUM_MAX_FPR) ?? high;
  return { medium: Math.min(medium, high), high };
}
