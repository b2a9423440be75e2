import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from './select-backend.ts';
import { sequencePredictor } from './sequence-predictor.ts';

const STEPS = 30;
const FEATURES = 8;

function lstmModel(lstm: Partial<Parameters<typeof tf.layers.lstm>[0]>, dense: { units: number; activation: 'sigmoid' | 'relu' | 'linear' | 'softmax' | 'tanh' }[]): tf.LayersModel {
  const m = tf.sequential();
  m.add(tf.layers.lstm({ units: 16, inputShape: [STEPS, FEATURES], recurrentInitializer: 'glorotUniform', ...lstm }));
  for (const d of dense) m.add(tf.layers.dense(d));
  return m;
}

/** Largest difference between the predictor's answer and the model's own on the same random batch. */
function maxDiff(model: tf.LayersModel, batch: number): { fused: boolean; diff: number } {
  const p = sequencePredictor(model);
  const x = tf.randomUniform([batch, STEPS, FEATURES], -2, 2) as tf.Tensor3D;
  const want = model.predict(x) as tf.Tensor;
  const got = p.predict(x);
  expect(got.shape).toEqual(want.shape);
  const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(want, got))).dataSync()[0]!);
  tf.dispose([x, want, got]);
  p.dispose();
  return { fused: p.fused, diff };
}

describe('sequencePredictor', () => {
  beforeAll(async () => {
    await selectBackend({ choice: 'wasm' });
  });

  it('matches model.predict for the risk model shape (hard sigmoid gates, sigmoid score)', () => {
    for (const batch of [1, 7, 32]) {
      const { fused, diff } = maxDiff(lstmModel({}, [{ units: 1, activation: 'sigmoid' }]), batch);
      expect(fused).toBe(true);
      expect(diff).toBeLessThan(1e-5);
    }
  });

  it('matches with sigmoid gates, no LSTM bias and two Dense layers', () => {
    const model = lstmModel({ recurrentActivation: 'sigmoid', useBias: false }, [
      { units: 8, activation: 'relu' },
      { units: 3, activation: 'softmax' },
    ]);
    const { fused, diff } = maxDiff(model, 5);
    expect(fused).toBe(true);
    expect(diff).toBeLessThan(1e-5);
  });

  it('scores an int32 input as the same values in float32', () => {
    const model = lstmModel({}, [{ units: 1, activation: 'sigmoid' }]);
    const p = sequencePredictor(model);
    const ints = tf.randomUniform([5, STEPS, FEATURES], -3, 3, 'int32') as tf.Tensor3D;
    const floats = tf.cast(ints, 'float32');
    const [a, b] = [p.predict(ints), p.predict(floats)];
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    tf.dispose([ints, floats, a, b]);
    p.dispose();
  });

  it('falls back to model.predict for shapes it does not cover, with the same answer', () => {
    for (const model of [lstmModel({ returnSequences: true }, []), lstmModel({ activation: 'relu' }, [{ units: 1, activation: 'sigmoid' }])]) {
      const { fused, diff } = maxDiff(model, 3);
      expect(fused).toBe(false);
      expect(diff).toBe(0);
    }
  });

  it('leaves no tensors behind: predict inside its own scope, dispose frees what it kept', () => {
    const model = lstmModel({}, [{ units: 1, activation: 'sigmoid' }]);
    const base = tf.memory().numTensors;
    const p = sequencePredictor(model);
    const x = tf.randomUniform([4, STEPS, FEATURES]) as tf.Tensor3D;
    for (let i = 0; i < 3; i++) p.predict(x).dispose();
    x.dispose();
    p.dispose();
    expect(tf.memory().numTensors).toBe(base);
  });
});
