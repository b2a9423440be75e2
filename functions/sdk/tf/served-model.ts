import { dirname, basename } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { InvalidInputError, type BatchResult } from '../index.ts';
import { folderIO } from './folder-io.ts';
import { sequencePredictor } from './sequence-predictor.ts';
import { exampleDims, exampleShape, flatBuffer, splitRows, writeExample, zerosInput, type TensorDtype, type TensorSpec } from './tensor-spec.ts';

/**
 * A TF.js model (layers or graph, as `tensorflowjs_converter` writes it) served as it is: each
 * call's input is one example, the batch the platform forms is the model's batch dimension, and
 * each call gets its own row of the output back.
 */
export interface ServedModel {
  readonly format: 'layers-model' | 'graph-model';
  /** One example of each input (batch dimension left out). */
  readonly inputs: TensorSpec[];
  /** The outputs, by name; a graph model often leaves their shape and type to the run. */
  readonly outputs: OutputSpec[];
  /** One output, or the reason its input does not fit the model, per input. */
  run(inputs: unknown[]): Promise<BatchResult<unknown>[]>;
  dispose(): void;
}

const DTYPES: readonly string[] = ['float32', 'int32', 'bool'] satisfies TensorDtype[];

/** Why a model cannot be served this way (an input of unknown rank, a string tensor…). */
export class UnservableModelError extends Error {
  override readonly name = 'UnservableModelError';
}

/** An output of the model: its name, and one example's shape and type where the model states them. */
export interface OutputSpec {
  name: string;
  shape?: (number | null)[];
  dtype?: string;
}

interface Predict {
  (xs: tf.Tensor[]): Promise<tf.Tensor[]>;
}

/**
 * Loads the model at `modelJson` (its weights beside it) and makes one prediction of zeros, so
 * the first call does not pay for the backend's first use of each op.
 * @throws UnservableModelError when an input or output cannot be carried as JSON numbers
 */
export async function loadServedModel(modelJson: string): Promise<ServedModel> {
  const artifacts = await folderIO(dirname(modelJson), basename(modelJson)).load!();
  // Read once: the format decides which loader gets the same artifacts.
  const io = tf.io.fromMemory(artifacts);
  const served = artifacts.format === 'graph-model' ? await graphModel(io) : await layersModel(io);
  try {
    const [out] = await served.run([zerosInput(served.inputs)]);
    if (out instanceof Error) throw out;
  } catch (err) {
    served.dispose();
    throw err;
  }
  return served;
}

async function layersModel(io: tf.io.IOHandler): Promise<ServedModel> {
  const model = await tf.loadLayersModel(io);
  // A Sequential model names its layers, not its inputs and outputs: the tensors' names then.
  const inputs = model.inputs.map((t, i) => spec(model.inputNames[i] ?? t.name, t.shape, t.dtype));
  const outputs = model.outputs.map((t, i) => outputSpec(model.outputNames[i] ?? t.name, t.shape, t.dtype));
  // The fused LSTM path where the model is that shape; `model.predict` otherwise.
  const sequence = inputs.length === 1 && inputs[0]!.shape.length === 2 ? sequencePredictor(model) : undefined;
  const predict: Predict = async (xs) => {
    const y = sequence ? sequence.predict(xs[0] as tf.Tensor3D) : model.predict(xs.length === 1 ? xs[0]! : xs);
    return Array.isArray(y) ? y : [y];
  };
  return served('layers-model', inputs, outputs, fixedBatch(model.inputs[0]!.shape), predict, () => {
    sequence?.dispose();
    model.dispose();
  });
}

async function graphModel(io: tf.io.IOHandler): Promise<ServedModel> {
  const model = await tf.loadGraphModel(io);
  const inputs = model.inputs.map((t) => spec(t.name, t.shape, t.dtype));
  const outputs = model.outputs.map((t) => outputSpec(t.name, t.shape, t.dtype));
  // `predict` refuses a model with control flow (it names executeAsync); `predictAsync` runs
  // those, but warns on every call of a model without. So the first refusal switches for good.
  let dynamic = false;
  const predict: Predict = async (xs) => {
    const feed = inputs.length === 1 ? xs[0]! : Object.fromEntries(inputs.map((s, i) => [s.name, xs[i]!]));
    let y: tf.Tensor | tf.Tensor[] | tf.NamedTensorMap | undefined;
    if (!dynamic) {
      try {
        y = model.predict(feed);
      } catch (err) {
        if (!/executeAsync/.test(String(err))) throw err;
        dynamic = true;
      }
    }
    y ??= await model.predictAsync(feed);
    if (y instanceof tf.Tensor) return [y];
    // A signature's outputs come back by name; its keys can differ from the nodes' names.
    return Array.isArray(y) ? y : outputs.map((s, i) => y[s.name] ?? Object.values(y)[i]!);
  };
  return served('graph-model', inputs, outputs, fixedBatch(model.inputs[0]?.shape), predict, () => model.dispose());
}

/** A spec from a model's full shape: the first dimension is the batch and is left out. */
function spec(name: string, shape: (number | null)[] | undefined, dtype: string | undefined): TensorSpec {
  if (!shape || shape.length === 0) throw new UnservableModelError(`tensor ${name} has no batch dimension (shape ${JSON.stringify(shape ?? 'unknown')})`);
  if (!dtype || !DTYPES.includes(dtype)) throw new UnservableModelError(`tensor ${name} is ${dtype ?? 'of unknown type'}: only ${DTYPES.join(', ')} are served`);
  return { name, shape: exampleShape(shape), dtype: dtype as TensorDtype };
}

function outputSpec(name: string, shape: (number | null)[] | undefined, dtype: string | undefined): OutputSpec {
  return { name, ...(shape?.length ? { shape: exampleShape(shape) } : {}), ...(dtype ? { dtype } : {}) };
}

/** The model's batch size where it fixes one (then batches are cut and padded to it). */
const fixedBatch = (shape: (number | null)[] | undefined) => (shape?.[0] && shape[0] > 0 ? shape[0] : undefined);

/** An input checked against every tensor spec: its examples and their dimensions, or why not. */
type Checked = { values: unknown[]; dims: number[][] } | InvalidInputError;

function checkInput(input: unknown, specs: TensorSpec[]): Checked {
  const values = specs.length === 1 ? [input] : specs.map((s) => (typeof input === 'object' && input !== null && !Array.isArray(input) ? (input as Record<string, unknown>)[s.name] : undefined));
  if (specs.length > 1 && values.some((v) => v === undefined)) return new InvalidInputError('input', `must be an object with ${specs.map((s) => s.name).join(', ')}`);
  const dims: number[][] = [];
  for (let i = 0; i < specs.length; i++) {
    const r = exampleDims(values[i], specs[i]!, specs.length === 1 ? 'input' : `input.${specs[i]!.name}`);
    if ('message' in r) return new InvalidInputError(r.field, r.message);
    dims.push(r.dims);
  }
  return { values, dims };
}

function served(format: ServedModel['format'], inputs: TensorSpec[], outputs: OutputSpec[], batch: number | undefined, predict: Predict, dispose: () => void): ServedModel {
  /** Runs examples of the same dimensions as one batch (padded to a fixed batch size); rows per output. */
  const runGroup = async (group: { values: unknown[]; dims: number[][] }[]): Promise<unknown[][]> => {
    const size = batch ?? group.length;
    const xs = inputs.map((s, i) => {
      const data = flatBuffer(s.dtype, size, group[0]!.dims[i]!);
      let at = 0;
      for (const item of group) at = writeExample(item.values[i], data, at);
      return tf.tensor(data, [size, ...group[0]!.dims[i]!], s.dtype);
    });
    let ys: tf.Tensor[] = [];
    try {
      ys = await predict(xs);
      return await Promise.all(ys.map(async (y) => splitRows(await y.data(), group.length, y.shape.slice(1) as number[], y.dtype)));
    } finally {
      tf.dispose([...xs, ...ys]);
    }
  };

  return {
    format,
    inputs,
    outputs,
    async run(items) {
      const checked = items.map((x) => checkInput(x, inputs));
      const results: BatchResult<unknown>[] = checked.map((c) => (c instanceof Error ? c : undefined!));
      // Examples stack into one tensor only when their dimensions agree (any-length axes differ).
      const groups = new Map<string, number[]>();
      checked.forEach((c, i) => {
        if (c instanceof Error) return;
        const key = JSON.stringify(c.dims);
        const group = groups.get(key);
        if (group) group.push(i);
        else groups.set(key, [i]);
      });
      for (const indexes of groups.values()) {
        for (let from = 0; from < indexes.length; from += batch ?? indexes.length) {
          const part = indexes.slice(from, from + (batch ?? indexes.length));
          const rows = await runGroup(part.map((i) => checked[i] as Exclude<Checked, Error>));
          part.forEach((item, r) => {
            results[item] = outputs.length === 1 ? rows[0]![r] : Object.fromEntries(outputs.map((s, o) => [s.name, rows[o]![r]]));
          });
        }
      }
      return results;
    },
    dispose,
  };
}
