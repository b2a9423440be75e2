/**
 * The web console's files (`runtime/console/`), ready to serve: its page, its
 * style sheet, and its script, which esbuild bundles from `runtime/console/src/main.ts` with Preact,
 * htm and uPlot out of node_modules the first time it is asked for. Nothing is fetched from outside,
 * so the console works air-gapped; the bundle is built once per router process, in memory.
 *
 * This file sits one folder below `runtime/`, as the router's build output does
 * (`runtime/.build/`, see runtime/start.mjs), so the path below holds in both.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../console/', import.meta.url));

/** One file of the console, with what its response needs. */
export interface ConsoleAsset {
  body: Uint8Array<ArrayBuffer>;
  type: string;
  /** A strong ETag of the body, so browsers revalidate cheaply instead of caching stale code. */
  etag: string;
}

const asset = (body: Uint8Array<ArrayBuffer>, type: string): ConsoleAsset => ({ body, type, etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 20)}"` });

/** The script, and the style sheets its modules import (uPlot's), as esbuild bundles them. */
async function bundle(): Promise<{ js: Uint8Array<ArrayBuffer>; css: Uint8Array<ArrayBuffer> }> {
  // Imported on first use: routers that never serve the console never load esbuild.
  const { build } = await import('esbuild');
  const out = await build({
    entryPoints: [`${ROOT}src/main.ts`],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    legalComments: 'eof',
    // Only named so esbuild can tell the two outputs apart: nothing is written.
    outdir: 'out',
    write: false,
    logLevel: 'silent',
  });
  const of = (ext: string) => new Uint8Array(out.outputFiles.find((f) => f.path.endsWith(ext))?.contents ?? new Uint8Array());
  return { js: of('.js'), css: of('.css') };
}

async function load(): Promise<ReadonlyMap<string, ConsoleAsset>> {
  const [page, css, built] = await Promise.all([readFile(`${ROOT}index.html`), readFile(`${ROOT}console.css`), bundle()]);
  // The libraries' rules first, so the console's own sheet can override them.
  const sheet = new Uint8Array(Buffer.concat([built.css, Buffer.from('\n'), css]));
  return new Map([
    ['index.html', asset(page, 'text/html; charset=utf-8')],
    ['console.css', asset(sheet, 'text/css; charset=utf-8')],
    ['app.js', asset(built.js, 'text/javascript; charset=utf-8')],
  ]);
}

/** The console's files by name (`index.html`, `console.css`, `app.js`); loaded once, on first use. */
export class ConsoleAssets {
  private loaded: Promise<ReadonlyMap<string, ConsoleAsset>> | undefined;

  /** The named file, or undefined for a name the console does not have. Rejects when the bundle fails to build. */
  async get(name: string): Promise<ConsoleAsset | undefined> {
    this.loaded ??= load();
    // A failed build is not kept: the next request tries again (e.g. after `npm ci` finishes).
    this.loaded.catch(() => (this.loaded = undefined));
    return (await this.loaded).get(name);
  }
}
