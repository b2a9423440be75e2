import { isUtf8 } from 'node:buffer';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { KNOWLEDGE_EXTENSIONS, type KnowledgeFile } from '../../../functions/sdk/index.ts';
import { CliError, EXIT } from '../cli-error.ts';

/** A file as `PUT /v1/knowledge/{name}` takes it and `GET …/files` gives it back. */
export type WireFile = { path: string; text: string } | { path: string; base64: string };

const isKnowledgeFile = (name: string) => (KNOWLEDGE_EXTENSIONS as readonly string[]).includes(/\.[^./]+$/.exec(name)?.[0]?.toLowerCase() ?? '');

/** The knowledge files under `dir`, with `/`-separated paths relative to `root`; hidden entries (`.git`) and other kinds of file are left out. */
function walk(root: string, dir: string, out: KnowledgeFile[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.')) continue;
    const full = join(dir, entry.name);
    const st = statSync(full);
    if (st.isDirectory()) walk(root, full, out);
    else if (st.isFile() && isKnowledgeFile(entry.name)) out.push({ path: relative(root, full).split(sep).join('/'), data: readFileSync(full) });
  }
}

/**
 * What `autoglm knowledge put` sends: a directory's knowledge files, recursively, with paths
 * relative to it; a file by its own name. Exactly the bytes on disk, so `get --out` writes the
 * same tree back.
 * @throws CliError (usage) for a path that cannot be read, a file of another kind, or two files with one path
 */
export function collectKnowledgeFiles(paths: readonly string[]): KnowledgeFile[] {
  const files: KnowledgeFile[] = [];
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch (err) {
      throw new CliError(`cannot read ${p}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.usage);
    }
    if (st.isDirectory()) walk(p, p, files);
    else if (!isKnowledgeFile(p)) throw new CliError(`${p} is not a knowledge file (use ${KNOWLEDGE_EXTENSIONS.join(', ')})`, EXIT.usage);
    else files.push({ path: basename(p), data: readFileSync(p) });
  }
  const seen = new Set<string>();
  for (const f of files) {
    if (seen.has(f.path)) throw new CliError(`two files would be ${f.path} in the collection: put them from one folder, or rename one`, EXIT.usage);
    seen.add(f.path);
  }
  if (files.length === 0) throw new CliError(`no knowledge files (${KNOWLEDGE_EXTENSIONS.join(', ')}) in ${paths.join(', ')}`, EXIT.usage);
  return files;
}

/** A file for the wire: UTF-8 as text, so a curl user reads what they sent; other bytes as base64. */
export const toWire = (f: KnowledgeFile): WireFile => (isUtf8(f.data) ? { path: f.path, text: f.data.toString('utf8') } : { path: f.path, base64: f.data.toString('base64') });

/**
 * Writes the files `get` received under `out`, creating folders as needed.
 * @throws CliError (usage) when `out` holds anything already and `force` is not set, or a path would leave `out`
 */
export function writeKnowledgeFiles(out: string, files: readonly WireFile[], force = false): string[] {
  const root = resolve(out);
  let existing: string[] = [];
  try {
    existing = readdirSync(root);
  } catch {
    /* not there yet */
  }
  if (existing.length && !force) throw new CliError(`${out} is not empty: files of an earlier version would stay beside these (choose an empty folder, or --force)`, EXIT.usage);
  const written: string[] = [];
  for (const f of files) {
    const target = resolve(root, f.path);
    // The server checks paths when they are put; a path that would leave `out` is refused all the same.
    if (isAbsolute(f.path) || !target.startsWith(root + sep)) throw new CliError(`refusing to write ${JSON.stringify(f.path)} outside ${out}`, EXIT.server);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, 'text' in f ? Buffer.from(f.text, 'utf8') : Buffer.from(f.base64, 'base64'));
    written.push(f.path);
  }
  return written;
}
