import { isIntent, type Intent } from './intents.ts';
import { detectLanguage, type Language } from './language.ts';

/**
 * One line of a customer-reply dataset (README, "Training data"), in either of two shapes:
 *
 * - labelled: `{ "text": "…", "intent": "<one of the intents>", "language"?: "en" | "zh" }`
 *   (`language` only splits the report's accuracy; default: detected from the text).
 * - a feedback export line (`autoglm feedback export customer-reply`):
 *   `{ input: { message }, output: { intent }, feedback: { label?, correct? } }`. A label is the
 *   right intent; without one, `correct: true` confirms the output's intent. `correct: false`
 *   says the intent was wrong but not which was right, so it teaches nothing.
 */
export type IntentTrainingRecord =
  | { text: string; intent: Intent; language?: Language }
  | { input?: { message?: string }; output?: unknown; failed?: boolean; feedback: { label?: unknown; correct?: boolean } };

/** What a record teaches: a message, its intent and its language. */
export interface LabelledText {
  text: string;
  intent: Intent;
  lang: Language;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isText = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';

/** The intent a feedback label names: the label itself, or the `intent` of a whole output given as the label. */
function labelIntent(label: unknown): unknown {
  return isObject(label) ? label.intent : label;
}

/** Reads one record: the message and its intent, or why it teaches nothing. */
export function readRecord(record: unknown): LabelledText | { skip: string } {
  if (!isObject(record)) return { skip: 'not a JSON object' };
  if (record.text !== undefined || record.intent !== undefined) {
    if (!isText(record.text)) return { skip: '`text` must be a non-empty string' };
    if (typeof record.intent !== 'string' || !isIntent(record.intent)) return { skip: `unknown intent ${JSON.stringify(record.intent)}` };
    const lang = record.language === 'zh' || record.language === 'en' ? record.language : detectLanguage(record.text);
    return { text: record.text, intent: record.intent, lang };
  }
  const fb = record.feedback;
  if (!isObject(fb)) return { skip: 'neither `text` and `intent` nor `feedback`' };
  const message = isObject(record.input) ? record.input.message : undefined;
  if (!isText(message)) return { skip: 'no `input.message` (a feedback line whose input was no longer stored?)' };
  let intent: unknown;
  if (fb.label !== undefined) intent = labelIntent(fb.label);
  else if (fb.correct === true && record.failed !== true && isObject(record.output)) intent = record.output.intent;
  else return { skip: fb.correct === false ? '`correct: false` does not say which intent was right' : 'feedback gives neither `label` nor `correct`' };
  if (typeof intent !== 'string' || !isIntent(intent)) return { skip: `unknown intent ${JSON.stringify(intent)}` };
  return { text: message, intent, lang: detectLanguage(message) };
}
