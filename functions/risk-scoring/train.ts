/**
 * Trains the risk model from scratch and writes everything the function ships:
 *
 *   npx tsx functions/risk-scoring/train.ts
 *
 * → artifacts/model.json, artifacts/weights.bin, artifacts/model-meta.json (feature statistics,
 *   thresholds), evaluation.json and EVALUATION.md (held-out metrics).
 *
 * Fixed seeds for data, initial weights and batch order, so a rerun on the same machine and
 * backend gives the same model; other machines may differ in the last float bits.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { FUNCTION_DIR, EVALUATION_FILE, evaluateModel, scoreLabelled, HELD_OUT, type Evaluation } from './evaluate.ts';
import { FEATURES, SEQUENCE_SIZE, computeNormStats, rawFeatures, writeModelInput } from './features.ts';
import { generateSequences, type LabelledSequence } from './generate-data.ts';
import { atThreshold, rocAuc } from './metrics.ts';
import { ARTIFACTS_DIR, META_FILE, buildRiskModel, type RiskModel, type RiskModelMeta, type Thresholds } from './risk-model.ts';
import { MAX_TRANSACTIONS } from './reference-data.ts';
import { Rng } from '../sdk/index.ts';
import { folderIO, plainPredictor } from '../sdk/tf/index.ts';
import { parseRiskInput } from './validate-input.ts';
import { writeDriftBaseline } from './drift-baseline.ts';

/** Training set-up; every number here is in the evaluation report. */
export const TRAINING = {
  /** Enriched with fraud (case-control sampling) so the subtle variants are seen often enough. */
  train: { seed: 101, count: 12_000, fraudRate: 0.1 },
  /** Used only to choose the thresholds. */
  validation: { seed: 202, count: 5_000, fraudRate: 0.02 },
  modelSeed: 7,
  shuffleSeed: 11,
  epochs: 8,
  batchSize: 64,
  learningRate: 0.002,
} as const;

/**
 * Threshold rule, applied on the validation set (natural 2% fraud rate): `high` is for
 * blocking or calling the customer now, so it must rarely be wrong; `medium` fills the review
 * queue, so it is set by how many genuine customers analysts can afford to look at.
 */
const HIGH_PRECISION = 0.9;
const MEDIUM_MAX_FPR = 0.01;
const THRESHOLD_RULE =
  `high: the lowest score (0.01 steps) at which validation precision is at least ${HIGH_PRECISION}; ` +
  `medium: the lowest score at which at most ${MEDIUM_MAX_FPR * 100}% of genuine validation histories are flagged (capped at high)`;

function chooseThresholds(scores: Float32Array, labels: number[]): Thresholds {
  const grid = Array.from({ length: 99 }, (_, i) => (i + 1) / 100);
  const high =
    grid.find((t) => {
      const a = atThreshold(scores, labels, t);
      return a.tp + a.fp >= 5 && a.precision >= HIGH_PRECISION;
    }) ?? 0.5;
  const medium = grid.find((t) => atThreshold(scores, labels, t).falsePositiveRate <= MEDIUM_MAX_FPR) ?? high;
  return { medium: Math.min(medium, high), high };
}

function toTensors(data: readonly LabelledSequence[], norm: RiskModelMeta['norm'], order: readonly number[]): { x: tf.Tensor3D; y: tf.Tensor2D } {
  const buf = new Float32Array(order.length * SEQUENCE_SIZE);
  const labels = new Float32Array(order.length);
  order.forEach((idx, i) => {
    writeModelInput(featuresOf(data[idx]!), norm, buf, i * SEQUENCE_SIZE);
    labels[i] = data[idx]!.label;
  });
  return { x: tf.tensor3d(buf, [order.length, MAX_TRANSACTIONS, FEATURES.length]), y: tf.tensor2d(labels, [order.length, 1]) };
}

const featureCache = new WeakMap<LabelledSequence, ReturnType<typeof rawFeatures>>();
function featuresOf(d: LabelledSequence) {
  let f = featureCache.get(d);
  if (!f) {
    const req = parseRiskInput(d.input);
    if (req instanceof Error) throw new Error(`generator produced an invalid sequence: ${req.field}: ${req.message}`);
    featureCache.set(d, (f = rawFeatures(req)));
  }
  return f;
}

function evaluationMarkdown(ev: Evaluation, meta: RiskModelMeta, seconds: number): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const patterns = Object.entries(ev.byPattern)
    .map(([p, r]) => `| \`${p}\` | ${r.sequences} | ${pct(r.recallMedium)} | ${pct(r.recallHigh)} |`)
    .join('\n');
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

Thresholds rule (validation set, seed ${TRAINING.validation.seed}): ${meta.thresholdRule}.

## Recall by fraud pattern

| pattern | histories | recall ≥ medium | recall ≥ high |
|---|---:|---:|---:|
${patterns}

## Training

${TRAINING.train.count.toLocaleString('en-US')} histories (seed ${TRAINING.train.seed}, ${pct(TRAINING.train.fraudRate)} fraud), ${TRAINING.epochs} epochs,
batch ${TRAINING.batchSize}, Adam (learning rate ${TRAINING.learningRate}), binary cross-entropy, model seed
${TRAINING.modelSeed}, batch-order seed ${TRAINING.shuffleSeed}. ${seconds.toFixed(0)} s on the TF.js ${tf.getBackend()} backend.

Synthetic data measures whether the model learned the documented patterns, not how it will do on
a real portfolio: before relying on these thresholds, re-evaluate on the bank's own labelled cases.
`;
}

async function main(): Promise<void> {
  await tf.setBackend('wasm');
  await tf.ready();
  const started = performance.now();
  const log = (msg: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${msg}`);

  const train = generateSequences(TRAINING.train);
  const validation = generateSequences(TRAINING.validation);
  const norm = computeNormStats(train.map(featuresOf));
  log(`generated ${train.length} training histories (${train.filter((d) => d.label).length} fraudulent), ${validation.length} validation`);

  const model = buildRiskModel(TRAINING.modelSeed);
  model.compile({ optimizer: tf.train.adam(TRAINING.learningRate), loss: 'binaryCrossentropy' });
  const meta: RiskModelMeta = {
    features: [...FEATURES],
    maxTransactions: MAX_TRANSACTIONS,
    norm,
    thresholds: { medium: 0.5, high: 0.5 },
    thresholdRule: THRESHOLD_RULE,
    training: { ...TRAINING, heldOut: HELD_OUT },
  };
  // Weights change every epoch: score through the live model, not a fused copy of its weights.
  const rm: RiskModel = { model, predictor: plainPredictor(model), meta };
  const validationLabels = validation.map((d) => d.label);
  const shuffle = new Rng(TRAINING.shuffleSeed);

  for (let epoch = 1; epoch <= TRAINING.epochs; epoch++) {
    // Our own seeded batch order: `fit`'s shuffle uses Math.random.
    const order = shuffle.shuffle(Array.from({ length: train.length }, (_, i) => i));
    const { x, y } = toTensors(train, norm, order);
    const h = await model.fit(x, y, { epochs: 1, batchSize: TRAINING.batchSize, shuffle: false, verbose: 0 });
    tf.dispose([x, y]);
    const auc = rocAuc(await scoreLabelled(rm, validation), validationLabels);
    log(`epoch ${epoch}/${TRAINING.epochs}: loss ${(h.history.loss![0] as number).toFixed(4)}, validation AUC ${auc.toFixed(4)}`);
  }

  meta.thresholds = chooseThresholds(await scoreLabelled(rm, validation), validationLabels);
  log(`thresholds: medium ${meta.thresholds.medium}, high ${meta.thresholds.high}`);

  const artifacts = join(FUNCTION_DIR, ARTIFACTS_DIR);
  await model.save(folderIO(artifacts));
  await writeFile(join(artifacts, META_FILE), JSON.stringify(meta, null, 2) + '\n');
  await writeDriftBaseline(FUNCTION_DIR);

  const ev = await evaluateModel(rm);
  const seconds = (performance.now() - started) / 1000;
  await writeFile(join(FUNCTION_DIR, EVALUATION_FILE), JSON.stringify({ ...ev, trainingSeconds: Math.round(seconds), backend: tf.getBackend() }, null, 2) + '\n');
  await writeFile(join(FUNCTION_DIR, 'EVALUATION.md'), evaluationMarkdown(ev, meta, seconds));
  log(`held-out ROC AUC ${ev.rocAuc}, precision/recall @high ${ev.high.precision}/${ev.high.recall}, @medium ${ev.medium.precision}/${ev.medium.recall}`);
  model.dispose();
}

await main();
