import { readFileSync } from 'node:fs';
import { CliError, EXIT } from '../cli-error.ts';

/** Reads `--data`: inline JSON, `@file`, or `-` for standard input. */
export function readData(arg: string | undefined, stdin: () => string = () => readFileSync(0, 'utf8')): unknown {
  if (arg === undefined) return {};
  const { text, from } = readText(arg, stdin);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CliError(`${from} is not valid JSON: ${(err as Error).message}`, EXIT.usage);
  }
}

/** Reads `--inputs`, as `--data`: a JSON array, or JSON Lines (one input per line). */
export function readInputs(arg: string, stdin: () => string = () => readFileSync(0, 'utf8')): unknown[] {
  const { text, from } = readText(arg, stdin);
  try {
    const all: unknown = JSON.parse(text);
    if (Array.isArray(all)) return all;
  } catch {
    /* not one JSON document: JSON Lines, then */
  }
  // Blank lines are skipped but counted, so an error names the line an editor shows.
  const inputs: unknown[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      inputs.push(JSON.parse(line));
    } catch (err) {
      throw new CliError(`${from}, line ${i + 1}: not valid JSON: ${(err as Error).message}`, EXIT.usage);
    }
  });
  return inputs;
}

function readText(arg: string, stdin: () => string): { text: string; from: string } {
  let text: string;
  let from: string;
  if (arg === '-') {
    text = stdin();
    from = 'standard input';
  } else if (arg.startsWith('@')) {
    from = arg.slice(1);
    try {
      text = readFileSync(from, 'utf8');
    } catch (err) {
      throw new CliError(`cannot read ${from}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.usage);
    }
  } else {
    text = arg;
    from = 'the argument';
  }
  return { text, from };
}
