import { describe, expect, it } from 'vitest';
import { CliError, EXIT } from '../cli-error.ts';
import { readInputs } from './data.ts';

const fromStdin = (text: string) => () => readInputs('-', () => text);

describe('readInputs', () => {
  it('reads JSON Lines, skipping blank lines', () => {
    expect(fromStdin('{"a":1}\n\n  \n{"a":2}\n')()).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it('names the line of a bad input as the file numbers it, blank lines counted', () => {
    let caught: unknown;
    try {
      fromStdin('{"a":1}\n\n{"a":\n')();
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CliError);
    expect(caught).toMatchObject({ message: expect.stringMatching(/^standard input, line 3: not valid JSON/), exitCode: EXIT.usage });
  });
});
