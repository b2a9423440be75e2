import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { CliError, EXIT } from '../cli-error.ts';

const manifest = (name: string) => `# Function manifest: read by the platform at deploy time.
name: ${name}
description: Counts words and characters of a text. Replace with your own task.
entry: handler.ts
input:
  type: object
  required: [text]
  properties:
    text: { type: string, minLength: 1, maxLength: 100000 }
  additionalProperties: false
output:
  type: object
  properties:
    words: { type: integer }
    characters: { type: integer }
timeout: 10s
retries: 2
batching:
  maxSize: 16
  maxDelay: 2ms
device: any
memory: 64MiB
warm: false
artifacts: []
# Settings the code reads as ctx.env (part of the version), and the names of secrets it reads as
# ctx.secrets (values set with: autoglm secret set NAME; never part of the bundle).
env: {}
secrets: []
`;

const handler = `import { InvalidInputError, defineFunction } from 'open-autoglm/sdk';

interface Input {
  text: string;
}

interface Output {
  words: number;
  characters: number;
}

export default defineFunction<Input, Output>({
  // Runs once per worker: load models or lookup tables here and return them as state.
  load: () => undefined,
  // Receives a batch; returns one output (or an Error for that item alone) per input. What
  // ctx.log (or console) writes is read with \`autoglm logs <name>\`.
  handle: (inputs, _state, ctx) => {
    ctx.log.debug('counting', { texts: inputs.length });
    return inputs.map((input) => {
      if (input.text.trim() === '') return new InvalidInputError('input.text', 'must contain a word');
      return { words: input.text.trim().split(/\\s+/).length, characters: [...input.text].length };
    });
  },
});
`;

const readme = (name: string) => `# ${name}

Deploy and call it:

\`\`\`sh
autoglm deploy .
autoglm invoke ${name} --data @input.json
\`\`\`
`;

/** The folder a new function `name` gets under `parent`: checked, not yet created. */
export function newFunctionDir(name: string, parent: string): string {
  if (!/^[a-z][a-z0-9-]{0,62}$/.test(name)) throw new CliError(`function name ${JSON.stringify(name)}: use 1–63 lowercase letters, digits and dashes, starting with a letter`, EXIT.usage);
  const dir = resolve(parent, name);
  if (existsSync(dir)) throw new CliError(`${dir} already exists`, EXIT.usage);
  return dir;
}

/** `autoglm init <name>`: scaffolds a working function folder. */
export function initFunction(name: string, parent: string): { dir: string; files: string[] } {
  const dir = newFunctionDir(name, parent);
  mkdirSync(dir, { recursive: true });
  const files: [string, string][] = [
    ['manifest.yaml', manifest(basename(dir))],
    ['handler.ts', handler],
    ['input.json', JSON.stringify({ text: 'Open-AutoGLM runs AI functions on your own machines.' }, null, 2) + '\n'],
    ['README.md', readme(name)],
  ];
  for (const [f, text] of files) writeFileSync(join(dir, f), text);
  return { dir, files: files.map(([f]) => f) };
}
