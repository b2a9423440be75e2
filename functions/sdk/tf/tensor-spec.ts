import { fieldPath } from '../field-path.ts';

/**
 * One tensor of a model as a call sees it: a single example, without the batch dimension. Pure
 * data and arithmetic, no TensorFlow.js: the CLI writes manifests from it, and a served model
 * checks, packs and splits examples with it.
 */
export interface TensorSpec {
  /** The model's name for it (a graph model's signature key, a layers model's input name). */
  name: string;
  /** Dimensions of one example; null where the model takes any length. */
  shape: (number | null)[];
  dtype: TensorDtype;
}

export type TensorDtype = 'float32' | 'int32' | 'bool';

/** A flat buffer of one dtype, as TF.js takes and gives tensor data. */
export type FlatData = Float32Array | Int32Array | Uint8Array;

type JsonSchema = Record<string, unknown>;

/** JSON Schema of one example of `spec`: nested arrays of the exact lengths where they are fixed. */
export function exampleSchema(spec: TensorSpec): JsonSchema {
  const leaf: JsonSchema = spec.dtype === 'bool' ? { type: 'boolean' } : { type: spec.dtype === 'int32' ? 'integer' : 'number' };
  return spec.shape.reduceRight<JsonSchema>(
    (items, d) => (d === null ? { type: 'array', minItems: 1, items } : { type: 'array', minItems: d, maxItems: d, items }),
    leaf,
  );
}

/** JSON Schema of a call's input: the example itself for one input, else an object of them by name. */
export function inputSchema(specs: TensorSpec[]): JsonSchema {
  if (specs.length === 1) return exampleSchema(specs[0]!);
  return {
    type: 'object',
    required: specs.map((s) => s.name),
    additionalProperties: false,
    properties: Object.fromEntries(specs.map((s) => [s.name, exampleSchema(s)])),
  };
}

/** An example of zeros (any-length dimensions taken as 1): a valid input to try a model with. */
export function zerosExample(spec: TensorSpec): unknown {
  const zero = spec.dtype === 'bool' ? false : 0;
  return spec.shape.reduceRight<unknown>((inner, d) => Array.from({ length: d ?? 1 }, () => structuredClone(inner)), zero);
}

/** A call's input of zeros: the example itself for one input, else an object of them by name. */
export function zerosInput(specs: TensorSpec[]): unknown {
  return specs.length === 1 ? zerosExample(specs[0]!) : Object.fromEntries(specs.map((s) => [s.name, zerosExample(s)]));
}

/**
 * The dimensions of `value` as an example of `spec`, checked all the way down: every array of
 * a level as long as its siblings (and as the spec where it is fixed), every leaf of the dtype.
 * @returns the dimensions, or where and why `value` does not fit (`field` in the form every error names one: `input.ids[1]`, see `fieldPath`)
 */
export function exampleDims(value: unknown, spec: TensorSpec, field: string): { dims: number[] } | { field: string; message: string } {
  const dims: number[] = [];
  let level: unknown = value;
  for (let d = 0; d < spec.shape.length; d++) {
    if (!Array.isArray(level) || level.length === 0) return { field, message: `must be ${describeShape(spec)}` };
    dims.push(level.length);
    level = level[0];
  }
  const bad = check(value, dims, spec, 0, field);
  return bad ?? { dims };
}

function check(value: unknown, dims: number[], spec: TensorSpec, depth: number, field: string): { field: string; message: string } | undefined {
  if (depth === dims.length) return isLeaf(value, spec.dtype) ? undefined : { field, message: `must be ${leafName(spec.dtype)}` };
  const want = spec.shape[depth] ?? dims[depth]!;
  if (!Array.isArray(value)) return { field, message: `must be an array of ${want}` };
  if (value.length !== want) return { field, message: `must have ${want} items (shape ${shapeText(spec.shape)}), got ${value.length}` };
  for (let i = 0; i < value.length; i++) {
    const bad = check(value[i], dims, spec, depth + 1, fieldPath(field, [i]));
    if (bad) return bad;
  }
  return undefined;
}

const isLeaf = (v: unknown, dtype: TensorDtype) =>
  dtype === 'bool' ? typeof v === 'boolean' : typeof v === 'number' && Number.isFinite(v) && (dtype !== 'int32' || Number.isInteger(v));
const leafName = (dtype: TensorDtype) => (dtype === 'bool' ? 'a boolean' : dtype === 'int32' ? 'an integer' : 'a finite number');
const describeShape = (spec: TensorSpec) => (spec.shape.length === 0 ? leafName(spec.dtype) : `nested arrays of shape ${shapeText(spec.shape)}`);

/** `[30, 8]`, `[any, 8]`: a shape as people read it. */
export function shapeText(shape: readonly (number | null)[]): string {
  return `[${shape.map((d) => d ?? 'any').join(', ')}]`;
}

/** A model's full shape (batch first, unknown as null or -1) → one example's shape, unknown as null. */
export function exampleShape(shape: readonly (number | null)[]): (number | null)[] {
  return shape.slice(1).map((d) => (d === null || d < 0 ? null : d));
}

/** A flat buffer for `n` examples of `dims` elements each. */
export function flatBuffer(dtype: TensorDtype, n: number, dims: number[]): FlatData {
  const size = n * dims.reduce((a, b) => a * b, 1);
  return dtype === 'float32' ? new Float32Array(size) : dtype === 'int32' ? new Int32Array(size) : new Uint8Array(size);
}

/** Writes a checked example into `out` from `at`, row-major; returns where the next one starts. */
export function writeExample(value: unknown, out: FlatData, at: number): number {
  if (!Array.isArray(value)) {
    out[at] = typeof value === 'boolean' ? Number(value) : (value as number);
    return at + 1;
  }
  for (const v of value) at = writeExample(v, out, at);
  return at;
}

/** Splits a batch's flat result into one nested array (or number) per example. */
export function splitRows(data: ArrayLike<number>, n: number, dims: number[], dtype: string): unknown[] {
  const per = dims.reduce((a, b) => a * b, 1);
  const leaf = dtype === 'bool' ? (x: number) => x !== 0 : (x: number) => x;
  const nest = (at: number, depth: number): unknown => {
    if (depth === dims.length) return leaf(data[at]!);
    const stride = dims.slice(depth + 1).reduce((a, b) => a * b, 1);
    return Array.from({ length: dims[depth]! }, (_, i) => nest(at + i * stride, depth + 1));
  };
  return Array.from({ length: n }, (_, r) => nest(r * per, 0));
}
