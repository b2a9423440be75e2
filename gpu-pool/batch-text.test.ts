import { describe, expect, it } from 'vitest';
import { SentJson, inputValue } from '../queue/jobs/index.ts';
import { readBatches, writeBatches } from './batch-text.ts';
import type { BatchRun } from './host-thread-protocol.ts';

const run = (id: number, input: unknown): BatchRun => ({ id, data: { fn: 'f', version: 'abcdef123456', input, deadline: null, enqueuedAt: 1, id: `f.j${id}` }, picked: 2 });

describe('batches written to cross to function code', () => {
  it('splice sent inputs in as their text, each text once, and read back as the inputs themselves', () => {
    // A group of three and a lone call, as the router sealed them (spacing and key order kept).
    const group = new SentJson('[{"b": 1, "a": [1,2]},{"x":"é\\u0000"},  {"n":-0.5e3}]');
    const lone = new SentJson('{"msg":"hi"}');
    const batches = [[run(1, group.input(0)), run(2, group.input(2)), run(3, lone.input())], [run(4, group.input(1)), run(5, { plain: true })]];
    const text = writeBatches(batches);
    expect(text.split(group.text)).toHaveLength(2); // the group crosses once, for three runs
    const read = readBatches(text);
    expect(read.map((runs) => runs.map((r) => r.data.input))).toEqual([[{ b: 1, a: [1, 2] }, { n: -500 }, { msg: 'hi' }], [{ x: 'é\u0000' }, { plain: true }]]);
    expect(read.flat().map((r) => r.id)).toEqual([1, 2, 3, 4, 5]);
    // Nothing else of a run changes on the way.
    expect(read[0]![0]).toEqual({ ...run(1, undefined), data: { ...run(1, undefined).data, input: { b: 1, a: [1, 2] } } });
    expect(read.flat().some((r) => 'from' in r)).toBe(false);
  });

  it('write an input held parsed inline, and throw for one that cannot be written, as JSON.stringify does', () => {
    expect(readBatches(writeBatches([[run(1, [1, { a: null }])]]))[0]![0]!.data.input).toEqual([1, { a: null }]);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => writeBatches([[run(1, circular)]])).toThrow(TypeError);
    expect(writeBatches([])).toBe('{"texts":[],"batches":[]}');
  });
});

describe('a sent input where function code runs on the worker itself', () => {
  it('is parsed once for its whole group, each item its own element', () => {
    const group = new SentJson('[{"i":0},{"i":1}]');
    const [a, b] = [group.input(0), group.input(1)];
    expect(inputValue(a)).toEqual({ i: 0 });
    expect(inputValue(b)).toEqual({ i: 1 });
    expect(inputValue(a)).toBe(inputValue(a)); // the one parse, kept
    expect(inputValue(new SentJson('7').input())).toBe(7);
    expect(inputValue({ kept: 'as is' })).toEqual({ kept: 'as is' });
  });
});
