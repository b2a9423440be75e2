#!/usr/bin/env node
// The `autoglm` executable. It bundles the TypeScript CLI (runtime/cli/main.ts and what it imports,
// npm packages left external) with esbuild into runtime/.cli-build/ and runs that with plain Node:
// a TypeScript loader (tsx) costs about 0.6 s of CPU on every start, which scripts and tests that
// run the CLI many times pay each time; the bundle takes a tenth of that and is written only when
// it changed. Where the checkout cannot be written, the CLI runs through tsx as before.
//
// The output sits two folders below the repository root, as the CLI's sources do, so paths they
// compute from `import.meta.url` (`../../functions/sdk/`) stay right (as runtime/start.mjs does).
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { writeChanged } from '../build-output.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const ENTRY = here('../.cli-build/cli.js');
/** The sources of the last build, with their modification times: unchanged, it is not built again. */
const INPUTS = here('../.cli-build/inputs.json');

/** Whether the last build is current: every source it was built from is as it was then. */
function current() {
  try {
    const inputs = JSON.parse(readFileSync(INPUTS, 'utf8'));
    return Object.entries(inputs).every(([path, mtime]) => statSync(path).mtimeMs === mtime);
  } catch {
    return false;
  }
}

async function built() {
  const { build } = await import('esbuild');
  const out = await build({
    entryPoints: { cli: here('./main.ts') },
    outdir: here('../.cli-build/'),
    bundle: true,
    splitting: true, // lazily imported modules (the type checker, esbuild's builder) stay out of start-up
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'silent',
    write: false,
    metafile: true,
    absWorkingDir: here('../../'), // the metafile's paths are relative to the repository, wherever the CLI is run
  });
  writeChanged(out.outputFiles);
  const root = here('../../');
  const inputs = Object.fromEntries(Object.keys(out.metafile.inputs).map((p) => [`${root}${p}`, statSync(`${root}${p}`).mtimeMs]));
  writeFileSync(`${INPUTS}.${process.pid}.tmp`, JSON.stringify(inputs));
  renameSync(`${INPUTS}.${process.pid}.tmp`, INPUTS);
  return ENTRY;
}

let entry;
try {
  entry = current() ? ENTRY : await built();
} catch {
  const { register } = await import('tsx/esm/api');
  register();
  entry = here('./main.ts');
}
await import(entry);
