import { isDeepStrictEqual } from 'node:util';
import { resolveJsonPointer } from '../../functions/sdk/index.ts';

/** Feedback on one output: exactly one of `correct`, `score` or `label`, and an optional comment. */
export type Feedback = ({ correct: boolean } | { score: number } | { label: unknown }) & { comment?: string };

/**
 * The score of one feedback record, 0..1: `correct` is 1 or 0, `score` itself, and `label` 1 when
 * it agrees with the output, else 0. A label agrees when it equals (deeply) the part of the output
 * the version's manifest names (`feedback.label`, a JSON Pointer), or the whole output when the
 * manifest names none. So a version's mean score is its share correct, its mean score or its label
 * agreement alike, and versions compare on one figure.
 */
export function feedbackScore(feedback: Feedback, output: unknown, labelPointer?: string): number {
  if ('correct' in feedback) return feedback.correct ? 1 : 0;
  if ('score' in feedback) return feedback.score;
  const part = labelPointer === undefined ? output : resolveJsonPointer(output, labelPointer);
  return part !== undefined && isDeepStrictEqual(part, feedback.label) ? 1 : 0;
}
