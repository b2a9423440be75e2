import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../index.ts';
import { folderIO } from './folder-io.ts';
import { selectBackend } from './select-backend.ts';
import { loadServedModel, UnservableModelError } from './served-model.ts';

const GRAPH = join(import.meta.dirname, '../../../test/fixtures/models/graph-affine/model.json');
let dir: string;

/** Saves `model` as a converter would lay it out, and returns its model.json. */
async function saved(name: string, model: tf.LayersModel): Promise<string> {
  await model.save(folderIO(join(dir, name)));
  return join(dir, name, 'model.json');
}

/** The graph fixture changed by `edit`, saved beside its weights under `name`; returns its model.json. */
async function graphVariant(name: string, edit: (json: any) => void): Promise<string> {
  const json = JSON.parse(readFileSync(GRAPH, 'utf8'));
  edit(json);
  mkdirSync(join(dir, name));
  copyFileSync(join(dirname(GRAPH), 'group1-shard1of1.bin'), join(dir, name, 'group1-shard1of1.bin'));
  writeFileSync(join(dir, name, 'model.json'), JSON.stringify(json));
  return join(dir, name, 'model.json');
}

/** The model's own prediction for one example at a time: what each call must get back. */
function alone(model: tf.LayersModel, x: unknown): unknown {
  const input = tf.tensor([x] as number[][]);
  const y = model.predict(input) as tf.Tensor;
  const [row] = y.arraySync() as unknown[];
  tf.dispose([input, y]);
  return row;
}

beforeAll(async () => {
  await selectBackend({ choice: 'auto' });
  dir = mkdtempSync(join(tmpdir(), 'served-model-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a TF.js model served as it is', () => {
  it('answers each example of a batch with its own row of the layers model, and a bad example fails alone', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3], activation: 'tanh' })] });
    const served = await loadServedModel(await saved('dense', model));
    expect(served.format).toBe('layers-model');
    expect(served.inputs).toEqual([{ name: expect.any(String), shape: [3], dtype: 'float32' }]);
    const xs = [[1, 2, 3], [0.5, -1, 0], [-3, 0.25, 2]];
    const out = await served.run([xs[0], [1, 2], xs[1], 'three', xs[2]]);
    for (const [i, k] of [[0, 0], [2, 1], [4, 2]] as const) {
      const want = alone(model, xs[k]) as number[];
      (out[i] as number[]).forEach((v, j) => expect(v).toBeCloseTo(want[j]!, 5));
    }
    expect(out[1]).toBeInstanceOf(InvalidInputError);
    expect(out[1]).toMatchObject({ field: 'input', message: 'must have 3 items (shape [3]), got 2' });
    expect(out[3]).toMatchObject({ field: 'input', message: 'must be nested arrays of shape [3]' });
    served.dispose();
    model.dispose();
  });

  it('takes several inputs as an object by name and gives several outputs by name', async () => {
    const a = tf.input({ shape: [2], name: 'amounts' });
    const b = tf.input({ shape: [1], name: 'hour' });
    const joined = tf.layers.concatenate().apply([a, b]) as tf.SymbolicTensor;
    const score = tf.layers.dense({ units: 1, activation: 'sigmoid', name: 'score' }).apply(joined) as tf.SymbolicTensor;
    const mix = tf.layers.dense({ units: 2, name: 'mix' }).apply(joined) as tf.SymbolicTensor;
    const model = tf.model({ inputs: [a, b], outputs: [score, mix] });
    const served = await loadServedModel(await saved('two', model));
    expect(served.inputs.map((s) => s.name)).toEqual(['amounts', 'hour']);
    expect(served.outputs.map((s) => s.name)).toEqual(['score', 'mix']);
    const [ok, missing] = await served.run([{ amounts: [3, 4], hour: [0.5] }, { amounts: [3, 4] }]);
    const [wantScore, wantMix] = tf.tidy(() => (model.predict([tf.tensor2d([[3, 4]]), tf.tensor2d([[0.5]])]) as tf.Tensor[]).map((t) => t.arraySync() as number[][]));
    expect((ok as { score: number[] }).score[0]).toBeCloseTo(wantScore![0]![0]!, 5);
    expect((ok as { mix: number[] }).mix.map((v, j) => v - wantMix![0]![j]!).every((d) => Math.abs(d) < 1e-5)).toBe(true);
    expect(missing).toMatchObject({ field: 'input', message: 'must be an object with amounts, hour' });
    served.dispose();
    model.dispose();
  });

  it('examples of different lengths along an any-length axis run apart, each as it would alone', async () => {
    const model = tf.sequential({ layers: [tf.layers.simpleRNN({ units: 3, inputShape: [null, 2] })] });
    const served = await loadServedModel(await saved('rnn', model));
    expect(served.inputs[0]!.shape).toEqual([null, 2]);
    const xs = [[[1, 0], [0, 1], [1, 1]], [[0.5, 0.5]], [[0, 1], [1, 0], [0, 0]]];
    const out = (await served.run(xs)) as number[][];
    xs.forEach((x, i) => {
      const want = alone(model, x) as number[];
      out[i]!.forEach((v, j) => expect(v).toBeCloseTo(want[j]!, 5));
    });
    served.dispose();
    model.dispose();
  });

  it('a model with a fixed batch size gets batches cut and padded to it', async () => {
    // The graph fixture exported for batches of exactly 2 (a graph model checks its input shapes).
    const served = await loadServedModel(await graphVariant('fixed-batch', (m) => (m.modelTopology.node[0].attr.shape.shape.dim[0].size = '2')));
    expect(await served.run([[1, 0, 0], [0, 1, 1], [0, 0, 1]])).toEqual([[1.5, 1], [8.5, 9], [5.5, 5]]);
    served.dispose();
  });

  it('serves a graph model (tensorflowjs_converter layout) and leaves no tensors behind', async () => {
    const before = tf.memory().numTensors;
    const served = await loadServedModel(GRAPH);
    const held = tf.memory().numTensors;
    expect(served.format).toBe('graph-model');
    expect(served.inputs).toEqual([{ name: 'x', shape: [3], dtype: 'float32' }]);
    // y = x · [[1,2],[3,4],[5,6]] + [0.5,-1]
    expect(await served.run([[1, 0, 0], [0, 1, 1], [1, 2]])).toMatchObject([[1.5, 1], [8.5, 9], { field: 'input' }]);
    expect(tf.memory().numTensors).toBe(held);
    served.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a model whose tensors cannot be carried as JSON numbers, naming the tensor', async () => {
    const strings = await graphVariant('strings', (m) => (m.modelTopology.node[0].attr.dtype.type = 'DT_STRING'));
    await expect(loadServedModel(strings)).rejects.toThrow(UnservableModelError);
    await expect(loadServedModel(strings)).rejects.toThrow('tensor x is string');
  });
});
