/**
 * Checks that the data has not changed since the committed intent classifier was trained, then
 * re-computes its evaluation on the held-out split and on the untouched test split and compares
 * both with `evaluation.json`:
 *
 *   npx tsx functions/customer-reply/evaluate.ts [function-folder]
 *
 * Exits 1 when a dataset file, the test split or the held-out ids differ from what
 * `artifacts/model-meta.json` recorded at training time (the figures would then describe data
 * the model was not trained on, or a held-out set it saw), or when accuracy moved by more than
 * {@link TOLERANCE}. `train.ts` writes the report with the same functions.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { hashData, loadExamples, loadTestSplit, splitExamples, type Example } from './dataset.ts';
import { ARTIFACTS_DIR, META_FILE, classify, loadIntentModel, type IntentModel, type IntentModelMeta } from './intent-model.ts';
import { INTENTS } from './intents.ts';

/** The held-out split: 20% of every (intent, language) group, chosen with this seed. */
export const SPLIT = { seed: 42, testShare: 0.2 } as const;
/** Largest change that still counts as reproduced (one example in the held-out set is ~0.2%). */
export const TOLERANCE = { accuracy: 0.01 } as const;

export const FUNCTION_DIR = dirname(fileURLToPath(import.meta.url));
export const EVALUATION_FILE = 'evaluation.json';

export interface IntentScores {
  support: number;
  precision: number;
  recall: number;
  f1: number;
}

/** The metrics of one split. */
export interface Evaluation {
  examples: number;
  accuracy: number;
  accuracyByLanguage: { zh: number; en: number };
  macroF1: number;
  byIntent: Record<string, IntentScores>;
  /** `confusion[actual][predicted]` counts, intents in model order. */
  confusion: Record<string, Record<string, number>>;
  /** Messages the model got wrong, for reading. */
  errors: { id: string; text: string; expected: string; predicted: string; confidence: number }[];
}

/** The evaluation report (`evaluation.json`). */
export interface EvaluationReport {
  /** 20% of the dataset, split off before training; it also guided how the dataset grew. */
  heldOut: Evaluation & { seed: number; trainExamples: number };
  /** `data/test/messages.json`: written after the model, never used to tune it. */
  test: Evaluation;
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;

/** Evaluates a loaded classifier on `examples`. */
export async function evaluateModel(im: IntentModel, examples: readonly Example[]): Promise<Evaluation> {
  const preds = await classify(im, examples.map((e) => e.text));
  const confusion: Evaluation['confusion'] = Object.fromEntries(INTENTS.map((a) => [a, Object.fromEntries(INTENTS.map((p) => [p, 0]))]));
  const errors: Evaluation['errors'] = [];
  examples.forEach((e, i) => {
    const p = preds[i]!;
    confusion[e.intent]![p.intent]!++;
    if (p.intent !== e.intent) errors.push({ id: e.id, text: e.text, expected: e.intent, predicted: p.intent, confidence: round(p.confidence) });
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
    const idx = examples.flatMap((e, i) => (lang === undefined || e.lang === lang ? [i] : []));
    return round(idx.filter((i) => preds[i]!.intent === examples[i]!.intent).length / idx.length);
  };
  return {
    examples: examples.length,
    accuracy: acc(),
    accuracyByLanguage: { zh: acc('zh'), en: acc('en') },
    macroF1: round(INTENTS.reduce((s, i) => s + byIntent[i]!.f1, 0) / INTENTS.length),
    byIntent,
    confusion,
    errors,
  };
}

/** The model's training data split, and the test split, as the data in `dir` gives them now. */
export function loadSplits(dir: string): { train: Example[]; heldOut: Example[]; test: Example[] } {
  const { train, test } = splitExamples(loadExamples(dir), SPLIT.seed, SPLIT.testShare);
  return { train, heldOut: test, test: loadTestSplit(dir) };
}

/** Evaluates `im` on both splits of the data in `dir`. */
export async function evaluateSplits(im: IntentModel, dir: string): Promise<EvaluationReport> {
  const { train, heldOut, test } = loadSplits(dir);
  return { heldOut: { ...(await evaluateModel(im, heldOut)), seed: SPLIT.seed, trainExamples: train.length }, test: await evaluateModel(im, test) };
}

/**
 * What differs between the data in `dir` now and what the model's `model-meta.json` recorded
 * when it was trained; empty when nothing does. Any difference means the committed figures no
 * longer describe this data: retrain (a changed dataset) or restore the file (the test split).
 */
export async function dataChanges(dir = FUNCTION_DIR): Promise<string[]> {
  const meta = JSON.parse(await readFile(join(dir, ARTIFACTS_DIR, META_FILE), 'utf8')) as Partial<IntentModelMeta>;
  const recorded = meta.data;
  if (!recorded) return [`${ARTIFACTS_DIR}/${META_FILE} records no dataset hash (trained before hashes were kept, or on an uploaded dataset): retrain with train.ts`];
  const now = hashData(dir);
  const out: string[] = [];
  if (now.sha256 !== recorded.sha256) {
    const files = [...new Set([...Object.keys(now.files), ...Object.keys(recorded.files)])].filter((f) => now.files[f] !== recorded.files[f]);
    out.push(`dataset changed since training (sha256 ${recorded.sha256.slice(0, 12)}… recorded, ${now.sha256.slice(0, 12)}… now; ${files.join(', ')}): retrain with train.ts`);
  }
  if (now.testSplitSha256 !== recorded.testSplitSha256) out.push(`test split changed since training (sha256 ${recorded.testSplitSha256.slice(0, 12)}… recorded, ${now.testSplitSha256.slice(0, 12)}… now): it must stay untouched; restore it, or write a new split and retrain`);
  const ids = loadSplits(dir).heldOut.map((e) => e.id);
  if (ids.join() !== recorded.heldOutIds.join()) out.push(`held-out ids differ from those recorded at training (${ids.filter((id) => !recorded.heldOutIds.includes(id)).length} not held out then): the split changed; retrain`);
  return out;
}

/** Loads the classifier in `dir` (default: this folder) and evaluates it on both splits. */
export async function evaluateFolder(dir = FUNCTION_DIR): Promise<EvaluationReport> {
  const im = await loadIntentModel(dir);
  try {
    return await evaluateSplits(im, dir);
  } finally {
    im.model.dispose();
  }
}

export async function readCommittedEvaluation(dir = FUNCTION_DIR): Promise<EvaluationReport & Record<string, unknown>> {
  return JSON.parse(await readFile(join(dir, EVALUATION_FILE), 'utf8')) as EvaluationReport & Record<string, unknown>;
}

/** Differences beyond {@link TOLERANCE}; empty when the evaluation reproduces. */
export function compareEvaluations(committed: EvaluationReport, now: EvaluationReport): string[] {
  const out: string[] = [];
  for (const split of ['heldOut', 'test'] as const) {
    const a = committed[split];
    const b = now[split];
    if (a?.examples !== b.examples) out.push(`${split} size: committed ${a?.examples}, now ${b.examples}`);
    if (!a) continue;
    for (const [name, x, y] of [
      ['accuracy', a.accuracy, b.accuracy],
      ['accuracy zh', a.accuracyByLanguage.zh, b.accuracyByLanguage.zh],
      ['accuracy en', a.accuracyByLanguage.en, b.accuracyByLanguage.en],
    ] as const) {
      if (!(Math.abs(x - y) <= TOLERANCE.accuracy)) out.push(`${split} ${name}: committed ${x}, now ${y} (tolerance ${TOLERANCE.accuracy})`);
    }
  }
  return out;
}

/** The printed table: one row per split, committed → now. */
export function formatTable(committed: EvaluationReport, now: EvaluationReport): string {
  const f = (x: number) => x.toFixed(4);
  const rows = (['heldOut', 'test'] as const).map((split) => {
    const a = committed[split];
    const b = now[split];
    const cell = (pick: (e: Evaluation) => number) => `${a ? f(pick(a)) : '—'} → ${f(pick(b))}`;
    return `| ${split === 'heldOut' ? 'held-out' : 'test'} | ${b.examples} | ${cell((e) => e.accuracy)} | ${cell((e) => e.accuracyByLanguage.zh)} | ${cell((e) => e.accuracyByLanguage.en)} | ${cell((e) => e.macroF1)} |`;
  });
  return ['| split | messages | accuracy (committed → now) | Chinese | English | macro F1 |', '|---|---:|---:|---:|---:|---:|', ...rows].join('\n');
}

async function main(dir: string): Promise<void> {
  const changes = await dataChanges(dir);
  if (changes.length > 0) {
    console.error(`evaluation refused: the data is not what the committed model was trained and evaluated on\n  ${changes.join('\n  ')}`);
    process.exitCode = 1;
    return;
  }
  await import('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
  await tf.ready();
  const [committed, now] = await Promise.all([readCommittedEvaluation(dir), evaluateFolder(dir)]);
  console.log(`data unchanged since training; held-out split seed ${SPLIT.seed}; backend ${tf.getBackend()}\n`);
  console.log(formatTable(committed, now));
  const diffs = compareEvaluations(committed, now);
  if (diffs.length > 0) {
    console.error(`\nevaluation does NOT reproduce:\n  ${diffs.join('\n  ')}`);
    process.exitCode = 1;
  } else {
    console.log('\nevaluation reproduces the committed metrics');
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main(resolve(process.argv[2] ?? FUNCTION_DIR));
