import { describe, expect, it } from 'vitest';
import { jsonMember } from './json-member.ts';

const bytes = (s: string) => Buffer.from(s, 'utf8');
const text = (b: Uint8Array | undefined) => (b === undefined ? undefined : Buffer.from(b).toString('utf8'));

/** A deterministic pseudo-random source, so a failure can be replayed. */
function rng(seed: number): () => number {
  return () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

/** Random JSON: strings full of the characters a scanner could trip on, nesting, every kind of number. */
function randomValue(r: () => number, depth: number): unknown {
  const k = Math.floor(r() * (depth > 3 ? 5 : 7));
  if (k === 0) return null;
  if (k === 1) return r() < 0.5;
  if (k === 2) return [0, -0.5, 1e21, 3.14159, -42, 1e-7][Math.floor(r() * 6)];
  if (k === 3 || k === 4) return Array.from({ length: Math.floor(r() * 6) }, () => '"\\{}[],: \n\té€😀a'[Math.floor(r() * 16)]).join('');
  if (k === 5) return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
  return Object.fromEntries(Array.from({ length: Math.floor(r() * 4) }, (_, i) => [`${'"}]\\'[i % 4]}k${i}`, randomValue(r, depth + 1)]));
}

describe('jsonMember', () => {
  it('finds the bytes each member parses from, whatever the values around it hold', () => {
    const r = rng(7);
    for (let n = 0; n < 500; n++) {
      const body = { before: randomValue(r, 0), input: randomValue(r, 0), inputs: [randomValue(r, 0), randomValue(r, 0)], after: randomValue(r, 0) };
      for (const indent of [undefined, 2]) {
        const raw = bytes(JSON.stringify(body, null, indent));
        for (const key of ['before', 'input', 'inputs', 'after']) {
          expect(JSON.parse(text(jsonMember(raw, key))!)).toEqual(body[key as keyof typeof body]);
        }
      }
    }
  });

  it('returns the value exactly as sent, spacing and number spelling kept', () => {
    const raw = bytes(' {\r\n "timeoutMs" : 5 ,\t"input":  { "a" : [ 1.50, -0, 2E3 ] } \n} ');
    expect(text(jsonMember(raw, 'input'))).toBe('{ "a" : [ 1.50, -0, 2E3 ] }');
    expect(text(jsonMember(raw, 'timeoutMs'))).toBe('5');
  });

  it('reads keys written with escapes, and takes the last of a repeated key as JSON.parse does', () => {
    expect(text(jsonMember(bytes('{"\\u0069nput":1}'), 'input'))).toBe('1');
    const raw = '{"input":1,"x":{"input":3},"input":[2]}';
    expect(text(jsonMember(bytes(raw), 'input'))).toBe('[2]');
    expect(JSON.parse(raw).input).toEqual([2]);
  });

  it('takes the shortcut for a sole member only when it finds what the walk finds', () => {
    const r = rng(11);
    const bodies = [
      '{"input":1,"input":2}',
      '{"input":1,"\\u0069nput":[2]}',
      ' { "input" : {"input":"x"} , "input" : [3] } ',
      '{"input":"a\\"b"}',
      '{"input":"input"}',
      '{"input" :\n[1, 2.50, -0]\n}\n',
      '{"inputs":[1,{"inputs":2}]}',
      '{"\\u0069nput":1}',
    ];
    for (let n = 0; n < 300; n++) {
      const one = JSON.stringify({ input: randomValue(r, 0) }, null, n % 2 ? 2 : undefined);
      bodies.push(one, `${one.slice(0, -1)},"input":${JSON.stringify(randomValue(r, 0))}}`);
    }
    for (const b of bodies) {
      const raw = bytes(b);
      const parsed = JSON.parse(b);
      expect(Object.keys(parsed).length).toBe(1);
      const key = Object.keys(parsed)[0]!;
      expect(text(jsonMember(raw, key, true)), b).toBe(text(jsonMember(raw, key)));
      expect(JSON.parse(text(jsonMember(raw, key, true))!), b).toEqual(parsed[key]);
    }
  });

  it('finds nothing in a body that is not an object or lacks the key', () => {
    expect(jsonMember(bytes('[{"input":1}]'), 'input')).toBeUndefined();
    expect(jsonMember(bytes('"input"'), 'input')).toBeUndefined();
    expect(jsonMember(bytes('{}'), 'input')).toBeUndefined();
    expect(jsonMember(bytes('{"inputs":[1],"x":{"input":2}}'), 'input')).toBeUndefined();
  });

  it('matches keys by their characters, not their byte length', () => {
    expect(text(jsonMember(bytes('{"é":1,"input":2}'), 'é'))).toBe('1');
    expect(jsonMember(bytes('{"é":1}'), 'ab')).toBeUndefined();
  });
});
