import type { RiskInput } from './validate-input.ts';

/**
 * One line of a risk-scoring dataset (README, "Training data"), in either of two shapes:
 *
 * - labelled: `{ "input": <RiskInput>, "label": 0 | 1, "split"?: "validation" }`, what
 *   `generate-data.ts` writes. `split: "validation"` reserves the record for choosing the
 *   thresholds (and the drift baseline); without any such record, `train` carves its own.
 * - a feedback export line (`autoglm feedback export risk-scoring`):
 *   `{ input, output: { level }, feedback: { label?, correct? } }`. A label is the level the case
 *   deserved: `"high"` is fraud, any other label is not. Without a label, `correct` judges the
 *   output's level: fraud exactly when (`level` was `high`) equals `correct`.
 */
export type RiskTrainingRecord =
  | { input: RiskInput; label: 0 | 1; split?: 'train' | 'validation' }
  | { input?: RiskInput; output?: unknown; failed?: boolean; feedback: { label?: unknown; correct?: boolean } };

/** What a record teaches: a history, whether it was fraud, and whether it is reserved for validation. */
export interface LabelledInput {
  input: unknown;
  label: 0 | 1;
  validation: boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The level a feedback label names: the label itself, or the `level` of a whole output given as the label. */
function labelLevel(label: unknown): string | undefined {
  if (typeof label === 'string') return label;
  if (isObject(label) && typeof label.level === 'string') return label.level;
  return undefined;
}

/**
 * Reads one record: its history and label, or why it teaches nothing (a feedback line without a
 * usable judgement, a record without `input`). The history is not validated here.
 */
export function readRecord(record: unknown): LabelledInput | { skip: string } {
  if (!isObject(record)) return { skip: 'not a JSON object' };
  if (!isObject(record.input)) return { skip: 'no `input` object (a feedback line whose input was no longer stored?)' };
  if (record.label !== undefined) {
    if (record.label !== 0 && record.label !== 1) return { skip: '`label` must be 0 or 1' };
    return { input: record.input, label: record.label, validation: record.split === 'validation' };
  }
  const fb = record.feedback;
  if (!isObject(fb)) return { skip: 'neither `label` nor `feedback`' };
  const level = labelLevel(fb.label);
  if (level !== undefined) return { input: record.input, label: level === 'high' ? 1 : 0, validation: false };
  if (typeof fb.correct === 'boolean') {
    const out = record.output;
    // A failed job's output is its error: `correct` then judges no level.
    if (record.failed === true || !isObject(out) || typeof out.level !== 'string') return { skip: '`feedback.correct` without an output `level` to judge' };
    return { input: record.input, label: (out.level === 'high') === fb.correct ? 1 : 0, validation: false };
  }
  return { skip: 'feedback gives neither `label` nor `correct`' };
}
