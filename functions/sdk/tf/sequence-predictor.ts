import * as tf from '@tensorflow/tfjs';

/** Scores `[batch, steps, features]` sequences: the model's output, computed faster when it can be. */
export interface SequencePredictor {
  /** Same result as `model.predict(x)`. The caller disposes the returned tensor. */
  predict(x: tf.Tensor3D): tf.Tensor;
  /** Whether the fused path is in use (false: plain `model.predict`, the model's shape is not covered). */
  readonly fused: boolean;
  /** Frees the tensors the fused path keeps; the model itself stays the caller's. */
  dispose(): void;
}

/**
 * The step loop's ops, run as kernels directly: `tf.matMul` and the like check and convert their
 * arguments and open a scope per call, which on the wasm backend cost 8% of a predict at batch
 * 22–64 and 18% at batch 1 (CPU time, interleaved A/B). The arguments here are float32 tensors
 * of matching shapes by construction; the kernels are every backend's own.
 */
const run = (name: string, inputs: Record<string, tf.Tensor> | tf.Tensor[], attrs?: Record<string, unknown>): tf.Tensor =>
  tf.engine().runKernel(name, inputs as unknown as tf.NamedTensorMap, attrs as tf.NamedAttrMap) as tf.Tensor;
const k = {
  matMul: (a: tf.Tensor, b: tf.Tensor) => run('BatchMatMul', { a, b }, { transposeA: false, transposeB: false }),
  concat: (ts: tf.Tensor[]) => run('Concat', ts, { axis: 1 }),
  add: (a: tf.Tensor, b: tf.Tensor) => run('Add', { a, b }),
  mul: (a: tf.Tensor, b: tf.Tensor) => run('Multiply', { a, b }),
  tanh: (x: tf.Tensor) => run('Tanh', { x }),
  sigmoid: (x: tf.Tensor) => run('Sigmoid', { x }),
  clip: (x: tf.Tensor) => run('ClipByValue', { x }, { clipValueMin: 0, clipValueMax: 1 }),
};

/** Activations of the Dense layers the fused path applies itself. */
const DENSE_ACTIVATIONS: Record<string, ((t: tf.Tensor) => tf.Tensor) | undefined> = {
  linear: (t) => t,
  sigmoid: (t) => tf.sigmoid(t),
  relu: (t) => tf.relu(t),
  tanh: (t) => tf.tanh(t),
  softmax: (t) => tf.softmax(t),
};

/** `model.predict` itself, behind the same face (for shapes the fused path does not cover, or weights that still change). */
export function plainPredictor(model: tf.LayersModel): SequencePredictor {
  return { predict: (x) => model.predict(x) as tf.Tensor, fused: false, dispose: () => undefined };
}

interface LstmConfig {
  units: number;
  activation: string;
  recurrentActivation: string;
  useBias: boolean;
  returnSequences: boolean;
  returnState: boolean;
  goBackwards: boolean;
  stateful: boolean;
}

/**
 * A faster `predict` for the usual sequence scorer, one LSTM layer (last state only) followed by
 * Dense layers, such as the risk model. On the CPU backends a TF.js LSTM layer costs mostly op
 * dispatch, about 25 small ops per time step. This path does the same arithmetic in fewer,
 * larger ops:
 * - each step's input and previous state go through one matMul per gate, with the bias as
 *   an extra input column, so there are no column splits;
 * - the hard sigmoid's scale and shift are folded into the input, forget and output gates'
 *   weights, so the activation is a single clip;
 * - the step loop calls the kernels directly (see `k`).
 *
 * The result equals `model.predict` to float32 rounding. On the wasm backend it measured about
 * 1.6× faster at batch 32 and 2.4× at batch 1 (docs/gpu-pool.md). A model of any other shape
 * gets plain `model.predict`, so calling this is always safe.
 */
export function sequencePredictor(model: tf.LayersModel): SequencePredictor {
  const [first, ...rest] = model.layers;
  const lstm = first?.getClassName() === 'LSTM' ? (first.getConfig() as unknown as LstmConfig) : undefined;
  const denseOk = rest.every((l) => l.getClassName() === 'Dense' && DENSE_ACTIVATIONS[String(l.getConfig().activation)] !== undefined);
  const covered =
    lstm !== undefined &&
    denseOk &&
    lstm.activation === 'tanh' &&
    (lstm.recurrentActivation === 'hardSigmoid' || lstm.recurrentActivation === 'sigmoid') &&
    !lstm.returnSequences &&
    !lstm.returnState &&
    !lstm.goBackwards &&
    !lstm.stateful;
  if (!covered) return plainPredictor(model);

  const units = lstm.units;
  const hard = lstm.recurrentActivation === 'hardSigmoid';
  const [kernel, recurrent, bias] = first!.getWeights();
  const features = kernel!.shape[0]!;
  // Rows: the step's features, the previous state, then 1 (for the bias). Columns: one gate.
  const gates = tf.tidy(() => {
    const b = lstm.useBias ? bias!.reshape([1, 4 * units]) : tf.zeros([1, 4 * units]);
    const [i, f, c, o] = tf.split(tf.concat([kernel!, recurrent!, b], 0), 4, 1);
    // hardSigmoid(z) = clip(0.2 z + 0.5, 0, 1): z is linear in the weights, so scale them and shift the bias row.
    const shift = tf.concat([tf.zeros([features + units, units]), tf.fill([1, units], 0.5)], 0);
    const fold = (w: tf.Tensor) => (hard ? tf.add(tf.mul(w, 0.2), shift) : w);
    return { i: fold(i!), f: fold(f!), o: fold(o!), c: c! };
  });
  const gate = hard ? k.clip : k.sigmoid;
  const dense = rest.map((l) => {
    const [w, b] = l.getWeights();
    return { w: w!, b, activation: DENSE_ACTIVATIONS[String(l.getConfig().activation)]! };
  });

  return {
    fused: true,
    predict: (x) =>
      tf.tidy(() => {
        const [n, steps] = x.shape;
        const ones = tf.ones([n, 1]);
        let h: tf.Tensor = tf.zeros([n, units]);
        let c: tf.Tensor = h;
        // The kernels below take their inputs as they are: float32, as the weights and state.
        const inputs = tf.unstack(x.dtype === 'float32' ? x : tf.cast(x, 'float32'), 1);
        for (let t = 0; t < steps; t++) {
          const xh = k.concat([inputs[t]!, h, ones]);
          const i = gate(k.matMul(xh, gates.i));
          const f = gate(k.matMul(xh, gates.f));
          const o = gate(k.matMul(xh, gates.o));
          c = k.add(k.mul(f, c), k.mul(i, k.tanh(k.matMul(xh, gates.c))));
          h = k.mul(o, k.tanh(c));
        }
        let out = h;
        for (const d of dense) out = d.activation(d.b ? tf.add(tf.matMul(out, d.w), d.b) : tf.matMul(out, d.w));
        return out;
      }),
    dispose: () => tf.dispose([gates.i, gates.f, gates.o, gates.c]),
  };
}
