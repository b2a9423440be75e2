import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { FunctionError, Rng, readFitSettings, type Logger, type TrainFunction, type TrainingContext } from '../sdk/index.ts';
import { fitEpoch, folderIO } from '../sdk/tf/index.ts';
import type { Example } from './dataset.ts';
import { evaluateModel, type Evaluation } from './evaluate.ts';
import { ARTIFACTS_DIR, META_FILE, buildIntentModel, loadIntentModel, type IntentModel, type IntentModelMeta } from './intent-model.ts';
import { INTENTS } from './intents.ts';
import { writeTextFeatures, type TextFeatureOptions } from './text-features.ts';
import { readRecord } from './training-records.ts';

/** Input features, saved with the model so serving computes the same ones. */
export const FEATURES: TextFeatureOptions = { dim: 8192, minN: 1, maxN: 3, words: true };

/**
 * How the classifier is trained; `ctx.env` may override epochs, batch size and learning rate
 * (`TRAIN_EPOCHS`, `TRAIN_BATCH_SIZE`, `TRAIN_LEARNING_RATE`). Seeded initial weights, dropout and
 * batch order: the same records give the same model on the same machine and backend.
 */
export const TRAIN_SETTINGS = { hidden: 24, dropout: 0.2, l2: 1e-5, epochs: 20, batchSize: 16, learningRate: 0.002, modelSeed: 3, shuffleSeed: 5 } as const;
export type TrainSettings = { -readonly [K in keyof typeof TRAIN_SETTINGS]: number };

/** {@link TRAIN_SETTINGS} with the overrides of `ctx.env`. */
export const trainSettings = (env: Readonly<Record<string, string>>): TrainSettings => readFitSettings(env, { ...TRAIN_SETTINGS });

/** Reads one side's records as examples (texts only: a few thousand short messages), counting those skipped by reason. */
async function readExamples(records: AsyncIterable<unknown>, side: string, ctx: TrainingContext): Promise<{ examples: Example[]; skipped: Record<string, number> }> {
  const examples: Example[] = [];
  const skipped: Record<string, number> = {};
  let i = 0;
  for await (const record of records) {
    const r = readRecord(record);
    if ('skip' in r) {
      skipped[r.skip] = (skipped[r.skip] ?? 0) + 1;
      // The first of each reason is enough to find the others.
      if (skipped[r.skip] === 1) ctx.log.warn(`skipping ${side} record ${i}: ${r.skip} (further records skipped for this reason are only counted)`);
    } else {
      examples.push({ id: `${side}/${i}`, text: r.text, intent: r.intent, lang: r.lang });
    }
    if (++i % 2_000 === 0) ctx.signal.throwIfAborted();
  }
  return { examples, skipped };
}

/** Model input and one-hot labels of `examples` in `order`. */
function toTensors(examples: readonly Example[], order: readonly number[]): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const buf = new Float32Array(order.length * FEATURES.dim);
  const labels = new Float32Array(order.length * INTENTS.length);
  order.forEach((idx, i) => {
    const e = examples[idx]!;
    writeTextFeatures(e.text, FEATURES, buf, i * FEATURES.dim);
    labels[i * INTENTS.length + INTENTS.indexOf(e.intent)] = 1;
  });
  return { x: tf.tensor2d(buf, [order.length, FEATURES.dim]), y: tf.tensor2d(labels, [order.length, INTENTS.length]) };
}

/** The report's metrics of one evaluation: accuracy, macro F1, and accuracy per language present. */
function reportMetrics(ev: Evaluation, examples: readonly Example[]): Record<string, number> {
  const m: Record<string, number> = { accuracy: ev.accuracy, macroF1: ev.macroF1 };
  if (examples.some((e) => e.lang === 'zh')) m.accuracyZh = ev.accuracyByLanguage.zh;
  if (examples.some((e) => e.lang === 'en')) m.accuracyEn = ev.accuracyByLanguage.en;
  return m;
}

/** Evaluates a loaded classifier on `examples`, then frees it. */
async function metricsOf(im: IntentModel, examples: readonly Example[]): Promise<Record<string, number>> {
  try {
    return reportMetrics(await evaluateModel(im, examples), examples);
  } finally {
    im.model.dispose();
  }
}

/** The current version's classifier on `examples`; undefined (and why, in the log) when it has none this code can load. */
async function baselineMetrics(dir: string, examples: readonly Example[], log: Logger): Promise<Record<string, number> | undefined> {
  let im: IntentModel;
  try {
    im = await loadIntentModel(dir);
  } catch (err) {
    log.warn('no current model to compare with: the report has no baseline', { err });
    return undefined;
  }
  return metricsOf(im, examples);
}

/**
 * Trains a new intent classifier on `data.train` (records as in training-records.ts), writes
 * `artifacts/model.json`, `weights.bin` and `model-meta.json` to `ctx.outDir`, and reports the
 * new and the current classifier on `data.heldOut` (primary metric: `accuracy`).
 * @throws the signal's reason once `ctx.signal` fires (checked every batch); FunctionError for
 *   unusable data or settings
 */
export const train: TrainFunction = async (data, ctx) => {
  const s = trainSettings(ctx.env);
  const heldOut = await readExamples(data.heldOut, 'held-out', ctx);
  if (heldOut.examples.length === 0) throw new FunctionError('the held-out part holds no usable record (upload more records)', { code: 'TRAINING_DATA_UNUSABLE' });
  // Measured now, before anything is written: offline, `outDir` may be `dir` itself.
  const baseline = await baselineMetrics(ctx.dir, heldOut.examples, ctx.log);

  const { examples, skipped } = await readExamples(data.train, 'training', ctx);
  const intentsSeen = new Set(examples.map((e) => e.intent)).size;
  if (intentsSeen < 2) throw new FunctionError(`the training part holds ${examples.length} usable record${examples.length === 1 ? '' : 's'} of ${intentsSeen} intent${intentsSeen === 1 ? '' : 's'}: it needs at least two`, { code: 'TRAINING_DATA_UNUSABLE' });
  ctx.log.info('training records read', { train: examples.length, heldOut: heldOut.examples.length, skipped: { train: skipped, heldOut: heldOut.skipped } });

  const model = buildIntentModel({ inputDim: FEATURES.dim, hidden: s.hidden, seed: s.modelSeed, l2: s.l2, dropout: s.dropout });
  try {
    model.compile({ optimizer: tf.train.adam(s.learningRate), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const shuffle = new Rng(s.shuffleSeed);
    const steps = Math.ceil(examples.length / s.batchSize);
    for (let epoch = 1; epoch <= s.epochs; epoch++) {
      const { x, y } = toTensors(examples, shuffle.shuffle(Array.from({ length: examples.length }, (_, i) => i)));
      let logs: Record<string, number>;
      try {
        logs = await fitEpoch(model, x, y, { batchSize: s.batchSize, epoch, epochs: s.epochs, ctx });
      } finally {
        tf.dispose([x, y]);
      }
      const loss = logs.loss!;
      const accuracy = logs.acc!;
      ctx.log.info(`epoch ${epoch}/${s.epochs}: loss ${loss.toFixed(4)}, train accuracy ${accuracy.toFixed(4)}`);
      await ctx.progress({ epoch, epochs: s.epochs, step: steps, steps, loss, metrics: { trainAccuracy: accuracy } });
      ctx.signal.throwIfAborted();
    }
    const meta: IntentModelMeta = { intents: [...INTENTS], features: FEATURES, training: { ...s, trainExamples: examples.length } };
    const artifacts = join(ctx.outDir, ARTIFACTS_DIR);
    await model.save(folderIO(artifacts));
    await writeFile(join(artifacts, META_FILE), JSON.stringify(meta, null, 2) + '\n');
  } finally {
    model.dispose();
  }

  // The new classifier as it will be served: loaded from the files just written.
  const metrics = await metricsOf(await loadIntentModel(ctx.outDir), heldOut.examples);
  const details = { epochs: s.epochs, settings: s, records: { train: examples.length, heldOut: heldOut.examples.length, skipped: { train: skipped, heldOut: heldOut.skipped } } };
  return baseline ? { metrics, baseline, details } : { metrics, details };
};
