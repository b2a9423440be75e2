import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { folderIO, sequencePredictor, type SequencePredictor } from '../sdk/tf/index.ts';
import { FEATURES, NUM_FEATURES, type NormStats } from './features.ts';
import { MAX_TRANSACTIONS } from './reference-data.ts';

/** Where the trained model lives inside the function folder. */
export const ARTIFACTS_DIR = 'artifacts';
export const META_FILE = 'model-meta.json';

/** Score cut-offs: `score >= high` is high risk, `score >= medium` medium, else low. */
export interface Thresholds {
  medium: number;
  high: number;
}

/** Everything besides the weights that scoring needs; written by `train` (training.ts) next to the model. */
export interface RiskModelMeta {
  features: string[];
  maxTransactions: number;
  norm: NormStats;
  thresholds: Thresholds;
  /** How the thresholds were chosen, for the README and the evaluation report. */
  thresholdRule: string;
  training: Record<string, unknown>;
}

/** A loaded model with its metadata, and the fused predictor that scores through it. */
export interface RiskModel {
  model: tf.LayersModel;
  predictor: SequencePredictor;
  meta: RiskModelMeta;
}

/** Frees a loaded model's tensors. */
export function disposeRiskModel(rm: RiskModel): void {
  rm.predictor.dispose();
  rm.model.dispose();
}

/**
 * The classic sequence design: LSTM(64) over the (padded) 30-step history, sigmoid on the last
 * state. Initialisers are seeded so training starts from the same weights every run.
 */
export function buildRiskModel(seed: number): tf.LayersModel {
  const model = tf.sequential({ name: 'risk_lstm' });
  model.add(
    tf.layers.lstm({
      units: 64,
      inputShape: [MAX_TRANSACTIONS, NUM_FEATURES],
      kernelInitializer: tf.initializers.glorotUniform({ seed }),
      recurrentInitializer: tf.initializers.orthogonal({ seed: seed + 1 }),
      name: 'lstm',
    }),
  );
  model.add(tf.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 2 }), name: 'score' }));
  return model;
}

/** Loads `artifacts/` of the function folder `dir`, checking it matches this code's features. */
export async function loadRiskModel(dir: string): Promise<RiskModel> {
  const at = join(dir, ARTIFACTS_DIR);
  const meta = JSON.parse(await readFile(join(at, META_FILE), 'utf8')) as RiskModelMeta;
  if (meta.features.join() !== FEATURES.join() || meta.maxTransactions !== MAX_TRANSACTIONS) {
    throw new Error(`${join(at, META_FILE)} was trained with different features; run functions/risk-scoring/train.ts`);
  }
  const model = await tf.loadLayersModel(folderIO(at));
  return { model, predictor: sequencePredictor(model), meta };
}

/** Scores `n` prepared sequences (`n × SEQUENCE_SIZE` values) in one model call. Leaves no tensors behind. */
export async function predictScores(predictor: Pick<SequencePredictor, 'predict'>, input: Float32Array, n: number): Promise<Float32Array> {
  if (n === 0) return new Float32Array(0);
  const out = tf.tidy(() => predictor.predict(tf.tensor3d(input.subarray(0, n * MAX_TRANSACTIONS * NUM_FEATURES), [n, MAX_TRANSACTIONS, NUM_FEATURES])));
  try {
    return (await out.data()) as Float32Array;
  } finally {
    out.dispose();
  }
}
