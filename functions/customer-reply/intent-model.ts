import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { folderIO } from '../sdk/tf/index.ts';
import { INTENTS, type Intent } from './intents.ts';
import { writeTextFeatures, type TextFeatureOptions } from './text-features.ts';

export const ARTIFACTS_DIR = 'artifacts';
export const META_FILE = 'model-meta.json';

/** Written by `train.ts` next to the weights. */
export interface IntentModelMeta {
  intents: string[];
  features: TextFeatureOptions;
  training: Record<string, unknown>;
}

export interface IntentModel {
  model: tf.LayersModel;
  meta: IntentModelMeta;
}

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
