/**
 * Re-computes the held-out evaluation of the committed intent classifier and compares it with
 * `evaluation.json`:
 *
 *   npx tsx functions/customer-reply/evaluate.ts
 *
 * Exits 1 when accuracy moved by more than {@link TOLERANCE}. `train.ts` writes the report with
 * the same function.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { loadExamples, splitExamples, type Example } from './dataset.ts';
import { classify, loadIntentModel, type IntentModel } from './intent-model.ts';
import { INTENTS } from './intents.ts';

/** The held-out split: 20% of every (intent, language) group, chosen with this seed. */
export const SPLIT = { seed: 42, testShare: 0.2 } as const;
/** Largest change that still counts as reproduced (one example in the held-out set is ~0.7%). */
export const TOLERANCE = { accuracy: 0.01 } as const;

export const FUNCTION_DIR = dirname(fileURLToPath(import.meta.url));
export const EVALUATION_FILE = 'evaluation.json';

export interface IntentScores {
  support: number;
  precision: number;
  recall: number;
  f1: number;
}

/** The evaluation report (`evaluation.json`). */
export interface Evaluation {
  heldOut: { seed: number; examples: number; trainExamples: number };
  accuracy: number;
  accuracyByLanguage: { zh: number; en: number };
  macroF1: number;
  byIntent: Record<string, IntentScores>;
  /** `confusion[actual][predicted]` counts, intents in model order. */
  confusion: Record<string, Record<string, number>>;
  /** Held-out messages the model got wrong, for reading. */
  errors: { text: string; expected: string; predicted: string; confidence: number }[];
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;

/** Evaluates a loaded classifier on `test`. */
export async function evaluateModel(im: IntentModel, test: readonly Example[], trainCount: number): Promise<Evaluation> {
  const preds = await classify(im, test.map((e) => e.text));
  const confusion: Evaluation['confusion'] = Object.fromEntries(INTENTS.map((a) => [a, Object.fromEntries(INTENTS.map((p) => [p, 0]))]));
  const errors: Evaluation['errors'] = [];
  test.forEach((e, i) => {
    const p = preds[i]!;
    confusion[e.intent]![p.intent]!++;
    if (p.intent !== e.intent) errors.push({ text: e.text, expected: e.intent, predicted: p.intent, confidence: round(p.confidence) });
  });
  const byIntent: Evaluation['byIntent'] = {};
  for (const intent of INTENTS) {
    const tp = confusion[intent]![intent]!;
    const support = INTENTS.reduce((s, p) => s + confusion[intent]![p]!, 0);
    const predicted = INTENTS.reduce((s, a) => s + confusion[a]![intent]!, 0);
    const precision = predicted === 0 ? 0 : tp / predicted;
    const recall = support === 0 ? 0 : tp / support;
    byIntent[intent] = { support, precision: round(precision), recall: round(recall), f1: round(precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall)) };
  }
  const acc = (lang?: string) => {
    const idx = test.flatMap((e, i) => (lang === undefined || e.lang === lang ? [i] : []));
    return round(idx.filter((i) => preds[i]!.intent === test[i]!.intent).length / idx.length);
  };
  return {
    heldOut: { seed: SPLIT.seed, examples: test.length, trainExamples: trainCount },
    accuracy: acc(),
    accuracyByLanguage: { zh: acc('zh'), en: acc('en') },
    macroF1: round(INTENTS.reduce((s, i) => s + byIntent[i]!.f1, 0) / INTENTS.length),
    byIntent,
    confusion,
    errors,
  };
}

/** Loads the classifier in `dir` (default: this folder) and evaluates it on the held-out split. */
export async function evaluateFolder(dir = FUNCTION_DIR): Promise<Evaluation> {
  const { train, test } = splitExamples(loadExamples(dir), SPLIT.seed, SPLIT.testShare);
  const im = await loadIntentModel(dir);
  try {
    return await evaluateModel(im, test, train.length);
  } finally {
    im.model.dispose();
  }
}

export async function readCommittedEvaluation(dir = FUNCTION_DIR): Promise<Evaluation & Record<string, unknown>> {
  return JSON.parse(await readFile(join(dir, EVALUATION_FILE), 'utf8')) as Evaluation & Record<string, unknown>;
}

/** Differences beyond {@link TOLERANCE}; empty when the evaluation reproduces. */
export function compareEvaluations(committed: Evaluation, now: Evaluation): string[] {
  const out: string[] = [];
  if (committed.heldOut.examples !== now.heldOut.examples) out.push(`held-out size: committed ${committed.heldOut.examples}, now ${now.heldOut.examples}`);
  for (const [name, a, b] of [
    ['accuracy', committed.accuracy, now.accuracy],
    ['accuracy zh', committed.accuracyByLanguage.zh, now.accuracyByLanguage.zh],
    ['accuracy en', committed.accuracyByLanguage.en, now.accuracyByLanguage.en],
  ] as const) {
    if (!(Math.abs(a - b) <= TOLERANCE.accuracy)) out.push(`${name}: committed ${a}, now ${b} (tolerance ${TOLERANCE.accuracy})`);
  }
  return out;
}

async function main(): Promise<void> {
  await import('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
  await tf.ready();
  const [committed, now] = await Promise.all([readCommittedEvaluation(), evaluateFolder()]);
  console.log(`held-out split: ${now.heldOut.examples} messages (seed ${now.heldOut.seed}); backend ${tf.getBackend()}`);
  console.log(`accuracy     committed ${committed.accuracy.toFixed(4)}  now ${now.accuracy.toFixed(4)}`);
  console.log(`accuracy zh  committed ${committed.accuracyByLanguage.zh.toFixed(4)}  now ${now.accuracyByLanguage.zh.toFixed(4)}`);
  console.log(`accuracy en  committed ${committed.accuracyByLanguage.en.toFixed(4)}  now ${now.accuracyByLanguage.en.toFixed(4)}`);
  console.log(`macro F1     committed ${committed.macroF1.toFixed(4)}  now ${now.macroF1.toFixed(4)}`);
  const diffs = compareEvaluations(committed, now);
  if (diffs.length > 0) {
    console.error(`evaluation does NOT reproduce:\n  ${diffs.join('\n  ')}`);
    process.exitCode = 1;
  } else {
    console.log('evaluation reproduces the committed metrics');
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
