/**
 * `npm start`: builds the router's process (runtime/main.ts, runtime/router-worker.ts and what they import, npm
 * packages left external) into runtime/.build/ with esbuild, then runs it with plain Node.
 * `node runtime/start.mjs --build-only` builds and exits (container images build at image time).
 *
 * Why not `tsx runtime/main.ts`: a TypeScript loader runs its hooks on a thread of its own, which
 * cost the router about 40 MB of resident memory and some CPU on every request path. The build
 * takes under a second. Worker processes still run their TypeScript through tsx: they are
 * forked by the pool, and inference is heavier than the loader.
 *
 * The output sits two folders below the repository root, as every source file of the router
 * does, so paths they compute from `import.meta.url` (`../../gpu-pool/main.ts`) stay right.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { writeChanged } from './build-output.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const buildOnly = process.argv[2] === '--build-only';

const out = await build({
  // router-worker: each router process when AUTOGLM_ROUTER_PROCESSES is above 1; healthcheck: the image's HEALTHCHECK.
  entryPoints: [here('./main.ts'), here('./router-worker.ts'), here('./healthcheck.ts')],
  outdir: here('./.build/'),
  bundle: true,
  splitting: true, // lazily imported modules (the type checker) stay out of the start-up path
  packages: 'external',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  write: false,
});
writeChanged(out.outputFiles);
if (buildOnly) {
  if (process.argv.length > 3) throw new Error('--build-only takes no other arguments');
} else {
  await import('./.build/main.js');
}
