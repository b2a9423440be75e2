import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { isSafePath } from '../functions/sdk/bundle/index.ts';
import { TrainingOutputRefusedError } from './training-errors.ts';

/** A file `train` wrote, at its path in the function's folder. */
export interface OutFile {
  path: string;
  data: Uint8Array;
}

/**
 * Reads what `train` wrote under `outDir` (the training process's side), every regular file at its
 * path relative to `outDir`, stopping at `limit` bytes. A link or a special file is not followed:
 * it is named in `refused`, as is a total past `limit`, and the worker fails the training with it.
 */
export function readOutDir(outDir: string, limit: number): { files: OutFile[]; refused?: string } {
  const files: OutFile[] = [];
  let total = 0;
  const walk = (dir: string): string | undefined => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      const rel = relative(outDir, full).split(sep).join('/');
      const st = lstatSync(full);
      if (st.isDirectory()) {
        const why = walk(full);
        if (why) return why;
      } else if (!st.isFile()) {
        return `${rel} is not a regular file (links and special files are not taken)`;
      } else {
        total += st.size;
        if (total > limit) return `the files written add up to more than the bundle limit (${limit} bytes)`;
        files.push({ path: rel, data: readFileSync(full) });
      }
    }
    return undefined;
  };
  const refused = walk(outDir);
  return refused ? { files: [], refused } : { files };
}

/**
 * Checks the files a training process sent (the worker's side: function code runs there and may
 * send anything on its channel): safe relative paths, each once, bytes, at most `limit` in all.
 * @throws TrainingOutputRefusedError naming the first problem
 */
export function checkOutFiles(files: unknown, limit: number): { path: string; data: Buffer }[] {
  if (!Array.isArray(files)) throw new TrainingOutputRefusedError('the training process sent no list of files');
  const seen = new Set<string>();
  let total = 0;
  return files.map((f: unknown) => {
    const { path, data } = (f ?? {}) as { path?: unknown; data?: unknown };
    if (typeof path !== 'string' || !isSafePath(path)) throw new TrainingOutputRefusedError(`refused a file at an unsafe path: ${JSON.stringify(String(path)).slice(0, 200)}`);
    if (seen.has(path)) throw new TrainingOutputRefusedError(`${path} was sent twice`);
    seen.add(path);
    if (!(data instanceof Uint8Array)) throw new TrainingOutputRefusedError(`${path}: its content is not bytes`);
    total += data.byteLength;
    if (total > limit) throw new TrainingOutputRefusedError(`the files written add up to more than the bundle limit (${limit} bytes)`, limit);
    return { path, data: Buffer.from(data.buffer, data.byteOffset, data.byteLength) };
  });
}
