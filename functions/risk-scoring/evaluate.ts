/**
 * Re-computes the evaluation of the committed model on the regenerated held-out set and compares
 * it with `evaluation.json`:
 *
 *   npx tsx functions/risk-scoring/evaluate.ts
 *
 * Exits 1 when a metric moved by more than {@link TOLERANCE}. `train.ts` writes the report with
 * the same function, so the two cannot drift apart.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { rawFeatures } from './features.ts';
import { FRAUD_PATTERNS, generateSequences, type LabelledSequence } from './generate-data.ts';
import { atThreshold, averagePrecision, rocAuc, type AtThreshold } from './metrics.ts';
import { disposeRiskModel, loadRiskModel, type RiskModel } from './risk-model.ts';
import { scoreSequences } from './risk-scorer.ts';
import { parseRiskInput } from './validate-input.ts';

/** The held-out set: never seen in training or threshold choice. */
export const HELD_OUT = { seed: 303, count: 10_000, fraudRate: 0.02 } as const;
/** Largest change in any metric that still counts as "reproduced" (float differences across backends and machines). */
export const TOLERANCE = { rocAuc: 0.003, averagePrecision: 0.01, rate: 0.02 } as const;

export const FUNCTION_DIR = dirname(fileURLToPath(import.meta.url));
export const EVALUATION_FILE = 'evaluation.json';

/** The evaluation report (`evaluation.json`). */
export interface Evaluation {
  heldOut: { seed: number; sequences: number; fraudulent: number };
  rocAuc: number;
  averagePrecision: number;
  medium: AtThreshold;
  high: AtThreshold;
  /** Recall per fraud pattern at each threshold. */
  byPattern: Record<string, { sequences: number; recallMedium: number; recallHigh: number }>;
}

/** Scores labelled sequences with the model, in chunks of `chunk` per model call. */
export async function scoreLabelled(rm: RiskModel, data: readonly LabelledSequence[], chunk = 1024): Promise<Float32Array> {
  const scores = new Float32Array(data.length);
  for (let at = 0; at < data.length; at += chunk) {
    const seqs = data.slice(at, at + chunk).map((d, i) => {
      const req = parseRiskInput(d.input);
      if (req instanceof Error) throw new Error(`generated sequence ${at + i} is invalid: ${req.message}`);
      return rawFeatures(req);
    });
    scores.set(await scoreSequences(rm, seqs), at);
  }
  return scores;
}

const round = (x: number, d = 4) => Math.round(x * 10 ** d) / 10 ** d;
const roundAt = (a: AtThreshold): AtThreshold => ({ ...a, precision: round(a.precision), recall: round(a.recall), falsePositiveRate: round(a.falsePositiveRate, 5), alertsPer1000: round(a.alertsPer1000, 2) });

/** Evaluates a loaded model on the held-out set. */
export async function evaluateModel(rm: RiskModel): Promise<Evaluation> {
  const data = generateSequences(HELD_OUT);
  const scores = await scoreLabelled(rm, data);
  const labels = data.map((d) => d.label);
  const { medium, high } = rm.meta.thresholds;
  const byPattern: Evaluation['byPattern'] = {};
  for (const p of FRAUD_PATTERNS) {
    const idx = data.flatMap((d, i) => (d.pattern === p ? [i] : []));
    const recall = (t: number) => round(idx.filter((i) => scores[i]! >= t).length / Math.max(idx.length, 1));
    byPattern[p] = { sequences: idx.length, recallMedium: recall(medium), recallHigh: recall(high) };
  }
  return {
    heldOut: { seed: HELD_OUT.seed, sequences: data.length, fraudulent: labels.filter((l) => l === 1).length },
    rocAuc: round(rocAuc(scores, labels), 5),
    averagePrecision: round(averagePrecision(scores, labels)),
    medium: roundAt(atThreshold(scores, labels, medium)),
    high: roundAt(atThreshold(scores, labels, high)),
    byPattern,
  };
}

/** Loads the model in `dir` (default: this folder) and evaluates it. */
export async function evaluateFolder(dir = FUNCTION_DIR): Promise<Evaluation> {
  const rm = await loadRiskModel(dir);
  try {
    return await evaluateModel(rm);
  } finally {
    disposeRiskModel(rm);
  }
}

/** The committed report in `dir`. */
export async function readCommittedEvaluation(dir = FUNCTION_DIR): Promise<Evaluation & Record<string, unknown>> {
  return JSON.parse(await readFile(join(dir, EVALUATION_FILE), 'utf8')) as Evaluation & Record<string, unknown>;
}

/** Differences beyond {@link TOLERANCE}, as readable lines; empty when the evaluation reproduces. */
export function compareEvaluations(committed: Evaluation, now: Evaluation): string[] {
  const out: string[] = [];
  const check = (name: string, a: number, b: number, tol: number) => {
    if (!(Math.abs(a - b) <= tol)) out.push(`${name}: committed ${a}, now ${b} (tolerance ${tol})`);
  };
  check('rocAuc', committed.rocAuc, now.rocAuc, TOLERANCE.rocAuc);
  check('averagePrecision', committed.averagePrecision, now.averagePrecision, TOLERANCE.averagePrecision);
  for (const level of ['medium', 'high'] as const) {
    check(`${level}.threshold`, committed[level].threshold, now[level].threshold, 0);
    check(`${level}.precision`, committed[level].precision, now[level].precision, TOLERANCE.rate);
    check(`${level}.recall`, committed[level].recall, now[level].recall, TOLERANCE.rate);
  }
  return out;
}

async function main(): Promise<void> {
  await import('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
  await tf.ready();
  const started = performance.now();
  const [committed, now] = await Promise.all([readCommittedEvaluation(), evaluateFolder()]);
  const rows: [string, number, number][] = [
    ['ROC AUC', committed.rocAuc, now.rocAuc],
    ['average precision', committed.averagePrecision, now.averagePrecision],
    [`precision @ medium ${now.medium.threshold}`, committed.medium.precision, now.medium.precision],
    [`recall @ medium ${now.medium.threshold}`, committed.medium.recall, now.medium.recall],
    [`precision @ high ${now.high.threshold}`, committed.high.precision, now.high.precision],
    [`recall @ high ${now.high.threshold}`, committed.high.recall, now.high.recall],
  ];
  console.log(`held-out set: ${now.heldOut.sequences} sequences (seed ${now.heldOut.seed}), ${now.heldOut.fraudulent} fraudulent; backend ${tf.getBackend()}; ${((performance.now() - started) / 1000).toFixed(1)} s`);
  for (const [name, a, b] of rows) console.log(`${name.padEnd(28)} committed ${a.toFixed(4)}  now ${b.toFixed(4)}`);
  const diffs = compareEvaluations(committed, now);
  if (diffs.length > 0) {
    console.error(`evaluation does NOT reproduce:\n  ${diffs.join('\n  ')}`);
    process.exitCode = 1;
  } else {
    console.log('evaluation reproduces the committed metrics');
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
