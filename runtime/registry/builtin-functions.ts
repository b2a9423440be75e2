import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseManifest } from '../../functions/sdk/index.ts';
import type { FunctionCatalog, FunctionRecord } from '../../queue/index.ts';

/** A function folder that could not be read, and why. */
export interface FolderProblem {
  dir: string;
  problems: string[];
}

/**
 * Content address of a function folder: sha256 over every file's relative path and bytes, in
 * sorted order. The same folder always gives the same version.
 */
export async function folderVersion(dir: string): Promise<string> {
  const files = (await listFiles(dir)).sort();
  const h = createHash('sha256');
  for (const f of files) {
    h.update(relative(dir, f)).update('\0').update(await readFile(f)).update('\0');
  }
  return h.digest('hex').slice(0, 12);
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.') || e.name === 'node_modules') continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Reads one function folder into a record, or the problems that stop it. */
export async function readFunctionFolder(dir: string): Promise<{ rec: FunctionRecord } | { problems: string[] }> {
  let raw: unknown;
  try {
    raw = parseYaml(await readFile(join(dir, 'manifest.yaml'), 'utf8'));
  } catch (err) {
    return { problems: [`manifest.yaml: ${(err as Error).message}`] };
  }
  const parsed = parseManifest(raw);
  if (!parsed.ok) return { problems: parsed.issues.map((i) => `manifest.yaml: ${i.field}: ${i.message}`) };
  try {
    await stat(join(dir, parsed.manifest.entry));
  } catch {
    return { problems: [`entry file ${parsed.manifest.entry} is missing`] };
  }
  return {
    rec: { name: parsed.manifest.name, version: await folderVersion(dir), manifest: parsed.manifest, source: { kind: 'dir', dir }, deployedAt: Date.now() },
  };
}

/**
 * Deploys the built-in functions found under `root` (each a folder with `manifest.yaml`):
 * records a new version only when a folder's content changed. Returns what was deployed and
 * the folders that were refused.
 */
export async function deployBuiltins(root: string, catalog: FunctionCatalog): Promise<{ deployed: FunctionRecord[]; refused: FolderProblem[] }> {
  const current = new Map((await catalog.list()).map((r) => [r.name, r]));
  const deployed: FunctionRecord[] = [];
  const refused: FolderProblem[] = [];
  for (const e of await readdir(root, { withFileTypes: true })) {
    if (!e.isDirectory() || e.name === 'sdk') continue;
    const dir = join(root, e.name);
    try {
      await stat(join(dir, 'manifest.yaml'));
    } catch {
      continue;
    }
    const r = await readFunctionFolder(dir);
    if ('problems' in r) {
      refused.push({ dir, problems: r.problems });
      continue;
    }
    const prev = current.get(r.rec.name);
    if (prev && prev.version === r.rec.version && prev.source.dir === dir) {
      deployed.push(prev);
      continue;
    }
    await catalog.put(r.rec);
    deployed.push(r.rec);
  }
  return { deployed, refused };
}
