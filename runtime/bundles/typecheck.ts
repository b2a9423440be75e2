import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const NODE_MODULES = fileURLToPath(new URL('../../node_modules/', import.meta.url));

/**
 * Type-checks a handler module (and what it imports) in strict mode. `open-autoglm/sdk`,
 * `open-autoglm/sdk/tf` and TensorFlow.js resolve to the platform's own copies, so a folder outside
 * this repository checks the same way as a built-in one. Returns readable diagnostics, empty when
 * clean.
 */
export function typecheckHandler(entry: string, sdkDir: string): string[] {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    allowImportingTsExtensions: true,
    esModuleInterop: true,
    types: ['node'],
    typeRoots: [join(NODE_MODULES, '@types')],
    paths: {
      'open-autoglm/sdk': [join(sdkDir, 'index.ts')],
      'open-autoglm/sdk/tf': [join(sdkDir, 'tf', 'index.ts')],
      '@tensorflow/*': [join(NODE_MODULES, '@tensorflow/*')],
    },
  };
  const program = ts.createProgram([entry], options);
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => !d.file || !d.file.fileName.includes('/node_modules/'))
    .map((d) => {
      const msg = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      if (!d.file || d.start === undefined) return msg;
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
      return `${d.file.fileName}:${line + 1}:${character + 1}: ${msg}`;
    });
}
