import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, resolve } from 'node:path';
import { stringify } from 'yaml';
import { exampleSchema, inputSchema, loadServedModel, selectBackend, shapeText, zerosInput, type OutputSpec, type ServedModel, type TensorSpec } from '../../../functions/sdk/tf/index.ts';
import { CliError, EXIT } from '../cli-error.ts';
import { newFunctionDir } from './init.ts';

const MIB = 1024 * 1024;

/** What `autoglm init --model` made: the folder, its files, and the model as calls will see it. */
export interface ModelFunctionFolder {
  dir: string;
  files: string[];
  format: ServedModel['format'];
  inputs: TensorSpec[];
  outputs: OutputSpec[];
}

const handler = `import { modelFunction } from 'open-autoglm/sdk/tf';

// Serves artifacts/model.json as it is: a call's input is one example (the model's input shape
// without the batch dimension), its output the model's row for it; calls are batched together.
// To pre- or post-process, write a handler with defineFunction and loadServedModel instead.
export default modelFunction({ model: 'artifacts/model.json' });
`;

const readme = (name: string, m: ModelFunctionFolder) => `# ${name}

A TensorFlow.js ${m.format} served as it is (\`autoglm init --model\`).

${m.inputs.map((s) => `- input \`${s.name}\`: ${s.dtype}, shape ${shapeText(s.shape)} per call`).join('\n')}
${m.outputs.map((s) => `- output \`${s.name}\`: ${s.dtype ?? 'type set by the model'}, shape ${s.shape ? shapeText(s.shape) : 'set by the model'} per call`).join('\n')}

\`\`\`sh
autoglm deploy .
autoglm invoke ${name} --data @input.json
\`\`\`
`;

/**
 * `autoglm init <name> --model <model.json or its folder>`: a function folder that serves a
 * TF.js model exported by `tensorflowjs_converter` (or `model.save`), with no code to write. The
 * model is loaded and run once on zeros here, so a model the platform cannot serve is refused
 * now, with its reason, rather than at deploy; the manifest's input schema comes from the
 * model's input shapes, so the router refuses a call of the wrong shape with a 400 naming where.
 */
export async function initModelFunction(name: string, parent: string, modelPath: string): Promise<ModelFunctionFolder> {
  const dir = newFunctionDir(name, parent);
  const modelJson = existsSync(modelPath) && statSync(modelPath).isDirectory() ? join(modelPath, 'model.json') : modelPath;
  if (!existsSync(modelJson)) throw new CliError(`--model: no model file at ${modelJson}`, EXIT.usage);
  const weightFiles = weightsOf(modelJson);

  await selectBackend({ choice: 'auto' });
  let model: ServedModel;
  try {
    model = await loadServedModel(modelJson);
  } catch (err) {
    throw new CliError(`cannot serve ${modelJson}: ${(err as Error).message}`, EXIT.build);
  }
  model.dispose();

  const artifacts = ['artifacts/model.json', ...weightFiles.map((f) => `artifacts/${f}`)];
  const made: ModelFunctionFolder = { dir, files: [], format: model.format, inputs: model.inputs, outputs: model.outputs };
  try {
    mkdirSync(join(dir, 'artifacts'), { recursive: true });
    copyFileSync(modelJson, join(dir, 'artifacts/model.json'));
    for (const f of weightFiles) {
      mkdirSync(dirname(join(dir, 'artifacts', f)), { recursive: true });
      copyFileSync(join(dirname(modelJson), f), join(dir, 'artifacts', f));
    }
    const weightBytes = weightFiles.reduce((n, f) => n + statSync(join(dirname(modelJson), f)).size, 0);
    const files: [string, string][] = [
      ['manifest.yaml', manifestText(name, made, artifacts, weightBytes)],
      ['handler.ts', handler],
      ['input.json', JSON.stringify(zerosInput(model.inputs)) + '\n'],
      ['README.md', readme(name, made)],
    ];
    for (const [f, text] of files) writeFileSync(join(dir, f), text);
    made.files = [...files.map(([f]) => f), ...artifacts];
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return made;
}

/** The weights files `model.json` names, checked to lie beside it. */
function weightsOf(modelJson: string): string[] {
  let json: { weightsManifest?: { paths?: unknown }[] };
  try {
    json = JSON.parse(readFileSync(modelJson, 'utf8'));
  } catch (err) {
    throw new CliError(`--model: ${modelJson} is not JSON: ${(err as Error).message}`, EXIT.usage);
  }
  if (!Array.isArray(json.weightsManifest)) throw new CliError(`--model: ${modelJson} has no weightsManifest (not a TensorFlow.js model.json)`, EXIT.usage);
  const paths = json.weightsManifest.flatMap((g) => (Array.isArray(g.paths) ? g.paths : []));
  for (const p of paths) {
    if (typeof p !== 'string' || isAbsolute(p) || normalize(p).startsWith('..')) throw new CliError(`--model: weights path ${JSON.stringify(p)} must lie beside ${modelJson}`, EXIT.usage);
    if (!existsSync(join(dirname(modelJson), p))) throw new CliError(`--model: weights file ${p} named in ${modelJson} is missing`, EXIT.usage);
  }
  return paths as string[];
}

function manifestText(name: string, m: ModelFunctionFolder, artifacts: string[], weightBytes: number): string {
  const output = m.outputs.every((o) => o.shape && o.dtype)
    ? m.outputs.length === 1
      ? exampleSchema(m.outputs[0] as TensorSpec)
      : { type: 'object', properties: Object.fromEntries(m.outputs.map((o) => [o.name, exampleSchema(o as TensorSpec)])) }
    : undefined;
  const manifest = {
    name,
    description: `TensorFlow.js ${m.format} served as it is: one example per call (${m.inputs.map((s) => `${s.name} ${s.dtype}${shapeText(s.shape)}`).join(', ')}).`,
    entry: 'handler.ts',
    input: inputSchema(m.inputs),
    ...(output ? { output } : {}),
    timeout: '30s',
    retries: 1,
    batching: { maxSize: 32, maxDelay: '2ms' },
    device: 'any',
    // The weights and room for a batch's activations; workers also measure what a load holds.
    memory: `${Math.max(16, Math.ceil((weightBytes * 2) / MIB))}MiB`,
    warm: true,
    artifacts,
  };
  return `# Function manifest, written by autoglm init --model: read by the platform at deploy time.\n${stringify(manifest, { lineWidth: 0 })}`;
}
