import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { BUNDLE_ENTRY, openBundle } from '../../functions/sdk/bundle/index.ts';
import { buildBundle, type BuiltBundle } from './build-bundle.ts';

const FUNCTIONS = fileURLToPath(new URL('../../functions/', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'autoglm-build-'));
afterAll(async () => {
  (await import('esbuild')).stop();
  rmSync(work, { recursive: true, force: true });
});

const entryOf = async (b: BuiltBundle): Promise<string> => (await openBundle(b.archive)).files.find((f) => f.path === BUNDLE_ENTRY)!.data.toString('utf8');
/** The modules a bundle imports, each once (esbuild writes one import statement per importing file). */
const importsOf = (code: string): string[] => [...new Set([...code.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]!))].sort();

describe('the SDK faces in a built bundle', () => {
  it('a built-in function importing the SDK by relative path imports both faces by name, copying neither', async () => {
    for (const name of ['risk-scoring', 'customer-reply']) {
      const code = await entryOf(await buildBundle(join(FUNCTIONS, name), { typecheck: false }));
      const imports = importsOf(code);
      // The SDK's two faces by name; besides them only TensorFlow.js and Node's own modules (its training reads files).
      expect(imports.filter((i) => i.startsWith('open-autoglm')), name).toEqual(['open-autoglm/sdk', 'open-autoglm/sdk/tf']);
      expect(imports.filter((i) => !i.startsWith('open-autoglm') && !i.startsWith('node:')), name).toEqual(['@tensorflow/tfjs']);
      expect(code).not.toMatch(/function folderIO|class Rng/);
    }
  });

  it('a function without a model does not import TensorFlow.js', async () => {
    const code = await entryOf(await buildBundle(join(FUNCTIONS, 'echo'), { typecheck: false }));
    expect(importsOf(code)).toEqual(['open-autoglm/sdk']);
  });

  it('a folder outside the repository type-checks and builds against open-autoglm/sdk/tf', async () => {
    const dir = join(work, 'user-model');
    mkdirSync(dir);
    writeFileSync(join(dir, 'manifest.yaml'), 'name: user-model\nentry: handler.ts\n');
    writeFileSync(
      join(dir, 'handler.ts'),
      [
        "import { join } from 'node:path';",
        "import * as tf from '@tensorflow/tfjs';",
        "import { defineFunction } from 'open-autoglm/sdk';",
        "import { folderIO } from 'open-autoglm/sdk/tf';",
        'export default defineFunction<{ x: number }, number, tf.LayersModel>({',
        "  load: ({ dir }) => tf.loadLayersModel(folderIO(join(dir, 'model'))),",
        '  handle: (inputs, model) => inputs.map(() => model.inputs.length),',
        '});',
        '',
      ].join('\n'),
    );
    const code = await entryOf(await buildBundle(dir));
    expect(importsOf(code)).toEqual(['@tensorflow/tfjs', 'node:path', 'open-autoglm/sdk', 'open-autoglm/sdk/tf']);
  });
});
