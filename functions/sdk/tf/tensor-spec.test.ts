import { describe, expect, it } from 'vitest';
import { exampleDims, exampleSchema, flatBuffer, inputSchema, splitRows, writeExample, zerosInput, type TensorSpec } from './tensor-spec.ts';

const seq: TensorSpec = { name: 'x', shape: [null, 2], dtype: 'float32' };
const ids: TensorSpec = { name: 'ids', shape: [3], dtype: 'int32' };

describe('tensor specs', () => {
  it('an example schema fixes the lengths the model fixes, and the leaf type by dtype', () => {
    expect(exampleSchema(seq)).toEqual({ type: 'array', minItems: 1, items: { type: 'array', minItems: 2, maxItems: 2, items: { type: 'number' } } });
    expect(exampleSchema(ids)).toEqual({ type: 'array', minItems: 3, maxItems: 3, items: { type: 'integer' } });
    expect(exampleSchema({ name: 'flag', shape: [], dtype: 'bool' })).toEqual({ type: 'boolean' });
  });

  it('one input is the example itself; several are an object of them by name, all required', () => {
    expect(inputSchema([ids])).toEqual(exampleSchema(ids));
    expect(inputSchema([seq, ids])).toEqual({ type: 'object', required: ['x', 'ids'], additionalProperties: false, properties: { x: exampleSchema(seq), ids: exampleSchema(ids) } });
    expect(zerosInput([seq, ids])).toEqual({ x: [[0, 0]], ids: [0, 0, 0] });
  });

  it('checks an example all the way down, naming the first place it does not fit', () => {
    expect(exampleDims([[1, 2], [3, 4], [5, 6]], seq, 'input')).toEqual({ dims: [3, 2] });
    expect(exampleDims([[1, 2], [3]], seq, 'input')).toEqual({ field: 'input[1]', message: 'must have 2 items (shape [any, 2]), got 1' });
    // Any-length axes still may not be ragged: the example is one tensor.
    expect(exampleDims([[[1], [2]], [[3]]], { name: 'r', shape: [null, null, 1], dtype: 'float32' }, 'input')).toMatchObject({ field: 'input[1]' });
    expect(exampleDims([[1, 'a']], seq, 'input')).toEqual({ field: 'input[0][1]', message: 'must be a finite number' });
    expect(exampleDims([1, 2.5, 3], ids, 'input.ids')).toEqual({ field: 'input.ids[1]', message: 'must be an integer' });
    expect(exampleDims({ a: 1 }, seq, 'input')).toMatchObject({ field: 'input', message: 'must be nested arrays of shape [any, 2]' });
    expect(exampleDims([], seq, 'input')).toMatchObject({ field: 'input' });
  });

  it('packs examples row-major and splits a flat result back into rows', () => {
    const out = flatBuffer('float32', 2, [3, 2]);
    let at = writeExample([[1, 2], [3, 4], [5, 6]], out, 0);
    at = writeExample([[7, 8], [9, 10], [11, 12]], out, at);
    expect(at).toBe(12);
    expect([...out]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(splitRows(out, 2, [3, 2], 'float32')).toEqual([[[1, 2], [3, 4], [5, 6]], [[7, 8], [9, 10], [11, 12]]]);
    // Padding rows beyond n are left out; a scalar row is a number; bools come back as booleans.
    expect(splitRows(new Float32Array([0.5, 0.25, 9]), 2, [], 'float32')).toEqual([0.5, 0.25]);
    expect(splitRows(new Uint8Array([1, 0]), 1, [2], 'bool')).toEqual([[true, false]]);
  });
});
