import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { FunctionError, Rng, buildBaseline, readFitSettings, type TrainFunction, type TrainingContext } from '../sdk/index.ts';
import { fitEpoch, folderIO, plainPredictor } from '../sdk/tf/index.ts';
import { DRIFT_BASELINE_FILE } from './drift-features.ts';
import { plural } from './explain.ts';
import { FEATURES, SEQUENCE_SIZE, computeNormStats, writeModelInput, type NormStats, type RawSequence } from './features.ts';
import { atThreshold, averagePrecision, rocAuc } from './metrics.ts';
import { MAX_TRANSACTIONS } from './reference-data.ts';
import { ARTIFACTS_DIR, META_FILE, buildRiskModel, disposeRiskModel, loadRiskModel, predictScores, type RiskModel, type RiskModelMeta, type Thresholds } from './risk-model.ts';
import { THRESHOLD_RULE, chooseThresholds } from './thresholds.ts';
import { readHeldOut, readTrainSide, type Sample } from './training-set.ts';

/**
 * How the model is trained; `ctx.env` may override epochs, batch size and learning rate
 * (`TRAIN_EPOCHS`, `TRAIN_BATCH_SIZE`, `TRAIN_LEARNING_RATE`). Seeds are fixed, so the same records
 * give the same model on the same machine and backend.
 */
export const TRAIN_SETTINGS = { modelSeed: 7, shuffleSeed: 11, epochs: 8, batchSize: 64, learningRate: 0.002 } as const;
export type TrainSettings = { -readonly [K in keyof typeof TRAIN_SETTINGS]: number };

/** {@link TRAIN_SETTINGS} with the overrides of `ctx.env`. */
export const trainSettings = (env: Readonly<Record<string, string>>): TrainSettings => readFitSettings(env, { ...TRAIN_SETTINGS });

/** Model input and labels of `samples` in `order`. */
function toTensors(samples: readonly Sample[], norm: NormStats, order: readonly number[]): { x: tf.Tensor3D; y: tf.Tensor2D } {
  const buf = new Float32Array(order.length * SEQUENCE_SIZE);
  const labels = new Float32Array(order.length);
  order.forEach((idx, i) => {
    writeModelInput(samples[idx]!.seq, norm, buf, i * SEQUENCE_SIZE);
    labels[i] = samples[idx]!.label;
  });
  return { x: tf.tensor3d(buf, [order.length, MAX_TRANSACTIONS, FEATURES.length]), y: tf.tensor2d(labels, [order.length, 1]) };
}

/** Scores feature sequences through `rm`, `chunk` per model call. */
async function scoreAll(rm: RiskModel, seqs: readonly RawSequence[], chunk = 1024): Promise<Float32Array> {
  const scores = new Float32Array(seqs.length);
  const buf = new Float32Array(chunk * SEQUENCE_SIZE);
  for (let at = 0; at < seqs.length; at += chunk) {
    const part = seqs.slice(at, at + chunk);
    part.forEach((s, i) => writeModelInput(s, rm.meta.norm, buf, i * SEQUENCE_SIZE));
    scores.set(await predictScores(rm.predictor, buf, part.length), at);
  }
  return scores;
}

const round = (x: number, d = 5) => Math.round(x * 10 ** d) / 10 ** d;

/** The report's metrics of one model's scores on the held-out records, at its own thresholds. */
function heldOutMetrics(scores: Float32Array, labels: readonly number[], t: Thresholds): Record<string, number> {
  const high = atThreshold(scores, labels, t.high);
  const medium = atThreshold(scores, labels, t.medium);
  return {
    rocAuc: round(rocAuc(scores, labels)),
    averagePrecision: round(averagePrecision(scores, labels)),
    precisionHigh: round(high.precision),
    recallHigh: round(high.recall),
    precisionMedium: round(medium.precision),
    recallMedium: round(medium.recall),
  };
}

/** Scores the held-out samples with the current version's model, or says why there is none to compare. */
async function baselineScores(ctx: TrainingContext, seqs: readonly RawSequence[]): Promise<{ scores: Float32Array; thresholds: Thresholds } | undefined> {
  let rm: RiskModel;
  try {
    rm = await loadRiskModel(ctx.dir);
  } catch (err) {
    ctx.log.warn('no current model to compare with: the report has no baseline', { err });
    return undefined;
  }
  try {
    return { scores: await scoreAll(rm, seqs), thresholds: rm.meta.thresholds };
  } finally {
    disposeRiskModel(rm);
  }
}

const count = (samples: readonly Sample[]) => ({ records: samples.length, fraudulent: samples.filter((s) => s.label === 1).length });

/** Refuses a side that cannot train or be measured: both classes are needed. */
function requireBothClasses(side: string, samples: readonly Sample[]): void {
  const c = count(samples);
  if (c.fraudulent === 0 || c.fraudulent === c.records) {
    throw new FunctionError(`${side} holds ${plural(c.records, 'usable record')}, ${c.fraudulent} fraudulent: it needs fraudulent and genuine ones (upload more records)`, { code: 'TRAINING_DATA_UNUSABLE' });
  }
}

/**
 * Trains a new risk model on `data.train` (records as in training-records.ts), writes
 * `artifacts/model.json`, `weights.bin`, `model-meta.json` and `drift-baseline.json` to
 * `ctx.outDir`, and reports the new and the current model on `data.heldOut`, each at its own
 * thresholds. Each side is read once, into features; the raw records are not kept.
 * @throws the signal's reason once `ctx.signal` fires (checked every batch); FunctionError for
 *   unusable data or settings
 */
export const train: TrainFunction = async (data, ctx) => {
  const s = trainSettings(ctx.env);
  const checkpoint = (what: string) => async (records: number) => {
    ctx.signal.throwIfAborted();
    await ctx.progress({ message: `reading ${what} records: ${records}` });
  };

  // Held-out first: a dataset that cannot be measured is refused before an hour of training.
  const heldOut = await readHeldOut(data.heldOut, ctx.log, checkpoint('held-out'));
  requireBothClasses('the held-out part', heldOut.samples);
  const heldOutSeqs = heldOut.samples.map((x) => x.seq);
  const heldOutLabels = heldOut.samples.map((x) => x.label);
  // Scored now, before anything is written: offline, `outDir` may be `dir` itself.
  const baseline = await baselineScores(ctx, heldOutSeqs);

  const side = await readTrainSide(data.train, ctx.log, checkpoint('training'));
  requireBothClasses('the training part', side.train);
  if (side.validation.length === 0) throw new FunctionError('no records left to choose the thresholds on (upload more records)', { code: 'TRAINING_DATA_UNUSABLE' });
  ctx.log.info('training records read', { train: count(side.train), validation: { ...count(side.validation), from: side.validationFrom }, heldOut: count(heldOut.samples), skipped: side.skipped });

  const norm = computeNormStats(side.train.map((x) => x.seq));
  const meta: RiskModelMeta = {
    features: [...FEATURES],
    maxTransactions: MAX_TRANSACTIONS,
    norm,
    thresholds: { medium: 0.5, high: 0.5 },
    thresholdRule: THRESHOLD_RULE,
    training: { ...s, records: { train: count(side.train), validation: { ...count(side.validation), from: side.validationFrom } } },
  };
  const model = buildRiskModel(s.modelSeed);
  model.compile({ optimizer: tf.train.adam(s.learningRate), loss: 'binaryCrossentropy' });
  // Weights change every epoch: score through the live model, not a fused copy of its weights.
  const rm: RiskModel = { model, predictor: plainPredictor(model), meta };
  try {
    const validationSeqs = side.validation.map((x) => x.seq);
    const validationLabels = side.validation.map((x) => x.label);
    const shuffle = new Rng(s.shuffleSeed);
    const steps = Math.ceil(side.train.length / s.batchSize);
    for (let epoch = 1; epoch <= s.epochs; epoch++) {
      // Our own seeded batch order: `fit`'s shuffle uses Math.random.
      const order = shuffle.shuffle(Array.from({ length: side.train.length }, (_, i) => i));
      const { x, y } = toTensors(side.train, norm, order);
      let loss: number;
      try {
        loss = (await fitEpoch(model, x, y, { batchSize: s.batchSize, epoch, epochs: s.epochs, ctx })).loss!;
      } finally {
        tf.dispose([x, y]);
      }
      const auc = rocAuc(await scoreAll(rm, validationSeqs), validationLabels);
      ctx.log.info(`epoch ${epoch}/${s.epochs}: loss ${loss.toFixed(4)}, validation ROC AUC ${auc.toFixed(4)}`);
      await ctx.progress({ epoch, epochs: s.epochs, step: steps, steps, loss, metrics: Number.isFinite(auc) ? { rocAuc: round(auc) } : {} });
      ctx.signal.throwIfAborted();
    }
    meta.thresholds = chooseThresholds(await scoreAll(rm, validationSeqs), validationLabels);
    ctx.log.info(`thresholds: medium ${meta.thresholds.medium}, high ${meta.thresholds.high}`);
    ctx.signal.throwIfAborted();

    const artifacts = join(ctx.outDir, ARTIFACTS_DIR);
    await model.save(folderIO(artifacts));
    await writeFile(join(artifacts, META_FILE), JSON.stringify(meta, null, 2) + '\n');
    const driftFile = join(ctx.outDir, DRIFT_BASELINE_FILE);
    await mkdir(dirname(driftFile), { recursive: true });
    await writeFile(driftFile, JSON.stringify(buildBaseline(side.drift), null, 1) + '\n');
  } finally {
    rm.predictor.dispose();
    model.dispose();
  }

  // The new model as it will be served: loaded from the files just written.
  const fresh = await loadRiskModel(ctx.outDir);
  let metrics: Record<string, number>;
  try {
    metrics = heldOutMetrics(await scoreAll(fresh, heldOutSeqs), heldOutLabels, fresh.meta.thresholds);
  } finally {
    disposeRiskModel(fresh);
  }
  const result = {
    metrics,
    details: {
      thresholds: meta.thresholds,
      epochs: s.epochs,
      settings: s,
      records: { train: count(side.train), validation: { ...count(side.validation), from: side.validationFrom }, heldOut: count(heldOut.samples), skipped: { train: side.skipped, heldOut: heldOut.skipped } },
      ...(baseline ? { baselineThresholds: baseline.thresholds } : {}),
    },
  };
  return baseline ? { ...result, baseline: heldOutMetrics(baseline.scores, heldOutLabels, baseline.thresholds) } : result;
};
