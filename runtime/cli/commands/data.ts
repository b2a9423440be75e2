import { readFileSync } from 'node:fs';
import { CliError, EXIT } from '../cli-error.ts';

/** Reads `--data`: inline JSON, `@file`, or `-` for standard input. */
export function readData(arg: string | undefined, stdin: () => string = () => readFileSync(0, 'utf8')): unknown {
  if (arg === undefined) return {};
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
    from = '--data';
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CliError(`${from} is not valid JSON: ${(err as Error).message}`, EXIT.usage);
  }
}
