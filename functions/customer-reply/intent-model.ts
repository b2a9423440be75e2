import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { folderIO } from '../sdk/tf/index.ts';
import type { DataHashes } from './dataset.ts';
import { INTENTS, type Intent } from './intents.ts';
import { writeTextFeatures, type TextFeatureOptions } from './text-features.ts';

export const ARTIFACTS_DIR = 'artifacts';
export const META_FILE = 'model-meta.json';

/** Written by `train` (training.ts) next to the weights. */
export interface IntentModelMeta {
  intents: string[];
  features: TextFeatureOptions;
  training: Record<string, unknown>;
  /**
   * The committed data the model was trained on and is evaluated on: its hashes and the ids of
   * the held-out examples (`<intent>/<lang>/<index>`), so `evaluate.ts` can refuse data that
   * changed since. Written by `train.ts`; absent for a model trained on an uploaded dataset.
   */
  data?: DataHashes & { heldOutIds: string[] };
}

export interface IntentModel {
  model: tf.LayersModel;
  meta: IntentModelMeta;
}

/**
 * The least confidence at which a reply acts on the predicted intent (its template, the policies
 * tagged with it); below it the reply is written as for \`other\`. On the held-out split, 14 of
 * 439 predictions of a policy intent fall below 0.5 and only 8 of them are right (410 of 425
 * above): acting on them would be close to a coin flip, and a wrong policy or apology says
 * something untrue ("See you later!" read as a late delivery). Figures:
 * \`npx tsx functions/customer-reply/retrieval-report.ts\`.
 */
export const MIN_INTENT_CONFIDENCE = 0.5;

/** One classification: the best intent, its probability, and the full distribution. */
export interface IntentPrediction {
  intent: Intent;
  confidence: number;
  probabilities: Float32Array;
}

/** Hashed n-grams → Dense(hidden, relu) → Dense(intents, softmax), seeded. */
export function buildIntentModel(opts: { inputDim: number; hidden: number; seed: number; l2: number; dropout: number }): tf.LayersModel {
  const model = tf.sequential({ name: 'intent_classifier' });
  model.add(
    tf.layers.dense({
      inputShape: [opts.inputDim],
      units: opts.hidden,
      activation: 'relu',
      kernelInitializer: tf.initializers.glorotUniform({ seed: opts.seed }),
      kernelRegularizer: tf.regularizers.l2({ l2: opts.l2 }),
      name: 'hidden',
    }),
  );
  if (opts.dropout > 0) model.add(tf.layers.dropout({ rate: opts.dropout, seed: opts.seed + 1, name: 'dropout' }));
  model.add(tf.layers.dense({ units: INTENTS.length, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: opts.seed + 2 }), name: 'intent' }));
  return model;
}

/** Loads `artifacts/` of the function folder `dir`. */
export async function loadIntentModel(dir: string): Promise<IntentModel> {
  const at = join(dir, ARTIFACTS_DIR);
  const meta = JSON.parse(await readFile(join(at, META_FILE), 'utf8')) as IntentModelMeta;
  if (meta.intents.join() !== INTENTS.join()) throw new Error(`${join(at, META_FILE)} lists different intents; run functions/customer-reply/train.ts`);
  return { model: await tf.loadLayersModel(folderIO(at)), meta };
}

/** Classifies every text in one model call. Leaves no tensors behind. */
export async function classify(im: IntentModel, texts: readonly string[]): Promise<IntentPrediction[]> {
  if (texts.length === 0) return [];
  const dim = im.meta.features.dim;
  const buf = new Float32Array(texts.length * dim);
  texts.forEach((t, i) => writeTextFeatures(t, im.meta.features, buf, i * dim));
  const out = tf.tidy(() => im.model.predict(tf.tensor2d(buf, [texts.length, dim])) as tf.Tensor);
  let probs: Float32Array;
  try {
    probs = (await out.data()) as Float32Array;
  } finally {
    out.dispose();
  }
  const k = INTENTS.length;
  return texts.map((_, i) => {
    const p = probs.slice(i * k, (i + 1) * k);
    let best = 0;
    for (let j = 1; j < k; j++) if (p[j]! > p[best]!) best = j;
    return { intent: INTENTS[best]!, confidence: p[best]!, probabilities: p };
  });
}
