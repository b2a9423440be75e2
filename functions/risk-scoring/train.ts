/**
 * Trains the risk model offline with the function's own `train` (training.ts), as the platform
 * would, and writes everything the function ships:
 *
 *   npx tsx functions/risk-scoring/train.ts [--data data.jsonl] [--out <folder>] [--epochs N]
 *
 * → artifacts/model.json, weights.bin, model-meta.json, drift-baseline.json, evaluation.json and
 *   EVALUATION.md (the generator's held-out set, which evaluate.ts re-checks), in the function
 *   folder unless `--out` names another.
 *
 * Without `--data` it feeds `train` the shipped model's recipe: 12,000 generated histories
 * enriched to 10% fraud to learn from, 5,000 at the natural 2% marked `split: "validation"` for
 * the thresholds, and the held-out set of evaluate.ts, so a rerun reproduces the committed model.
 * With `--data`, the file is split as the platform splits an upload (manifest `training.heldOut`).
 * Fixed seeds for data, initial weights and batch order: a rerun on the same machine and backend
 * gives the same model; other machines may differ in the last float bits.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { offlineTraining, type TrainingData, type TrainingResult } from '../sdk/index.ts';
import { FUNCTION_DIR, EVALUATION_FILE, evaluateModel, HELD_OUT, type Evaluation } from './evaluate.ts';
import { sequences, toRecord } from './generate-data.ts';
import { ARTIFACTS_DIR, META_FILE, disposeRiskModel, loadRiskModel, type RiskModelMeta } from './risk-model.ts';
import { TRAIN_SETTINGS, train } from './training.ts';

/** The shipped model's data; every number here is in the evaluation report. */
export const TRAINING = {
  /** Enriched with fraud (case-control sampling) so the subtle variants are seen often enough. */
  train: { seed: 101, count: 12_000, fraudRate: 0.1 },
  /** Used only to choose the thresholds (and for the drift baseline): the natural fraud rate. */
  validation: { seed: 202, count: 5_000, fraudRate: 0.02 },
} as const;

/** The recipe as records: training histories, then the validation ones marked as such; the held-out set apart. */
function generatedData(): TrainingData {
  const records = (gen: Iterable<ReturnType<typeof toRecord>>, extra: object = {}) => ({
    async *[Symbol.asyncIterator]() {
      for (const r of gen) yield { ...r, ...extra };
    },
  });
  const trainSide = {
    async *[Symbol.asyncIterator]() {
      yield* records(map(sequences(TRAINING.train), toRecord));
      yield* records(map(sequences(TRAINING.validation), toRecord), { split: 'validation' });
    },
  };
  return {
    train: trainSide,
    heldOut: records(map(sequences(HELD_OUT), toRecord)),
    counts: { train: TRAINING.train.count + TRAINING.validation.count, heldOut: HELD_OUT.count },
  };
}

function* map<A, B>(it: Iterable<A>, f: (a: A) => B): Generator<B> {
  for (const a of it) yield f(a);
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function evaluationMarkdown(ev: Evaluation, meta: RiskModelMeta, source: string, seconds: number): string {
  const patterns = Object.entries(ev.byPattern)
    .map(([p, r]) => `| \`${p}\` | ${r.sequences} | ${pct(r.recallMedium)} | ${pct(r.recallHigh)} |`)
    .join('\n');
  const s = meta.training as typeof TRAIN_SETTINGS;
  return `# risk-scoring: evaluation

Written by \`train.ts\`; re-checked by \`npx tsx functions/risk-scoring/evaluate.ts\` (and by
\`test/functions/risk-scoring.test.ts\`), which regenerates the held-out set and must reproduce
these figures within ${'±'}0.003 AUC and ${'±'}0.02 precision/recall.

## Held-out set

${ev.heldOut.sequences.toLocaleString('en-US')} synthetic histories (generator seed ${ev.heldOut.seed}), ${ev.heldOut.fraudulent} fraudulent
(${pct(ev.heldOut.fraudulent / ev.heldOut.sequences)}). Never used in training or in choosing thresholds.

| metric | value |
|---|---:|
| ROC AUC | **${ev.rocAuc.toFixed(4)}** |
| average precision (PR AUC) | ${ev.averagePrecision.toFixed(4)} |

| level | threshold | precision | recall | false-positive rate | alerts per 1,000 histories |
|---|---:|---:|---:|---:|---:|
| medium (score ≥ t) | ${ev.medium.threshold} | ${pct(ev.medium.precision)} | ${pct(ev.medium.recall)} | ${pct(ev.medium.falsePositiveRate)} | ${ev.medium.alertsPer1000.toFixed(1)} |
| high (score ≥ t) | ${ev.high.threshold} | ${pct(ev.high.precision)} | ${pct(ev.high.recall)} | ${pct(ev.high.falsePositiveRate)} | ${ev.high.alertsPer1000.toFixed(1)} |

Thresholds rule (validation records): ${meta.thresholdRule}.

## Recall by fraud pattern

| pattern | histories | recall ≥ medium | recall ≥ high |
|---|---:|---:|---:|
${patterns}

## Training

${source}; ${s.epochs} epochs, batch ${s.batchSize}, Adam (learning rate ${s.learningRate}), binary cross-entropy,
model seed ${s.modelSeed}, batch-order seed ${s.shuffleSeed}. ${seconds.toFixed(0)} s on the TF.js ${tf.getBackend()} backend.

Synthetic data measures whether the model learned the documented patterns, not how it will do on
a real portfolio: before relying on these thresholds, re-evaluate on the bank's own labelled cases.
`;
}

async function main(): Promise<void> {
  await tf.setBackend('wasm');
  await tf.ready();
  const started = performance.now();
  const offline = await offlineTraining({ function: 'risk-scoring', dir: FUNCTION_DIR, device: `${tf.getBackend()}:0` });
  const { ctx, dataFile } = offline;
  const data = offline.data ?? generatedData();
  const source = dataFile
    ? `${data.counts.train.toLocaleString('en-US')} records of \`${dataFile}\` (validation records held back for the thresholds)`
    : `${TRAINING.train.count.toLocaleString('en-US')} histories (seed ${TRAINING.train.seed}, ${pct(TRAINING.train.fraudRate)} fraud); thresholds on ${TRAINING.validation.count.toLocaleString('en-US')} validation histories (seed ${TRAINING.validation.seed}, ${pct(TRAINING.validation.fraudRate)} fraud)`;
  const result: TrainingResult = await train(data, ctx);
  ctx.log.info('held-out (new vs current)', { metrics: result.metrics, baseline: result.baseline });

  // Keep the data recipe with the model, as the report names it.
  const outDir = ctx.outDir;
  const metaFile = join(outDir, ARTIFACTS_DIR, META_FILE);
  const meta = JSON.parse(await readFile(metaFile, 'utf8')) as RiskModelMeta;
  meta.training = { ...meta.training, data: dataFile ? { file: dataFile } : { ...TRAINING, heldOut: HELD_OUT } };
  await writeFile(metaFile, JSON.stringify(meta, null, 2) + '\n');

  const rm = await loadRiskModel(outDir);
  try {
    const ev = await evaluateModel(rm);
    const seconds = (performance.now() - started) / 1000;
    await writeFile(join(outDir, EVALUATION_FILE), JSON.stringify({ ...ev, trainingSeconds: Math.round(seconds), backend: tf.getBackend() }, null, 2) + '\n');
    await writeFile(join(outDir, 'EVALUATION.md'), evaluationMarkdown(ev, meta, source, seconds));
    ctx.log.info(`held-out ROC AUC ${ev.rocAuc}, precision/recall @high ${ev.high.precision}/${ev.high.recall}, @medium ${ev.medium.precision}/${ev.medium.recall}`);
  } finally {
    disposeRiskModel(rm);
  }
}

await main();
