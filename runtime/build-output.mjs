/**
 * Writes esbuild's in-memory output (`write: false`) to disk, each file whole and renamed into
 * place, and only when it changed: two processes building from one checkout at once (two nodes
 * starting, two CLIs) never import a half-written file, and write the same bytes anyway.
 * Shared by `runtime/start.mjs` (the router's build) and `runtime/cli/bin.js` (the CLI's).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** @param {readonly { path: string; contents: Uint8Array }[]} outputFiles */
export function writeChanged(outputFiles) {
  for (const f of outputFiles) {
    let same = false;
    try {
      same = readFileSync(f.path).equals(f.contents);
    } catch {
      /* not built yet */
    }
    if (same) continue;
    mkdirSync(dirname(f.path), { recursive: true });
    const tmp = `${f.path}.${process.pid}.tmp`;
    writeFileSync(tmp, f.contents);
    renameSync(tmp, f.path);
  }
}
