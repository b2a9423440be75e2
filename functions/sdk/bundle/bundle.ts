import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { parse as parseYaml } from 'yaml';
import { parseManifest, type Manifest } from '../manifest.ts';
import { BundleFormatError, readTar, writeTar, type TarEntry } from './tar.ts';

/** The bundled handler module inside every bundle (ES module, SDK and TF.js left external). */
export const BUNDLE_ENTRY = 'index.mjs';
export const BUNDLE_MANIFEST = 'manifest.yaml';

/** Limits applied when a bundle is opened; defaults fit model-carrying functions. */
export interface BundleLimits {
  /** Uncompressed content, bytes. Default 256 MiB. */
  maxBytes: number;
  /** Files. Default 10,000. */
  maxEntries: number;
}
const DEFAULT_LIMITS: BundleLimits = { maxBytes: 256 * 1024 * 1024, maxEntries: 10_000 };

/** A content address: lowercase hex sha256 of the archive bytes. */
export const sha256 = (buf: Buffer): string => createHash('sha256').update(buf).digest('hex');

/** The version id derived from a bundle's hash (its first 12 hex digits). */
export const versionOf = (hash: string): string => hash.slice(0, 12);

/** Packs files into a deterministic gzip'd tar: the same files always give the same bytes. */
export function packBundle(entries: TarEntry[]): Buffer {
  // gzip's header holds no name and mtime 0 by default in Node, so output depends on content only.
  return gzipSync(writeTar(entries), { level: 9 });
}

/** An opened, checked bundle. */
export interface OpenedBundle {
  hash: string;
  version: string;
  manifest: Manifest;
  files: TarEntry[];
}

/**
 * Opens a bundle and checks it: gzip'd tar of regular files with safe paths, a valid
 * `manifest.yaml`, the bundled entry module, and every artifact the manifest lists.
 * @throws BundleFormatError with a message naming what is wrong
 */
export function openBundle(archive: Buffer, limits: Partial<BundleLimits> = {}): OpenedBundle {
  const lim = { ...DEFAULT_LIMITS, ...limits };
  let tar: Buffer;
  try {
    tar = gunzipSync(archive, { maxOutputLength: lim.maxBytes + 1024 * 1024 });
  } catch (err) {
    throw new BundleFormatError(`not a gzip'd tar archive (${(err as Error).message})`);
  }
  const files = readTar(tar, lim);
  const byPath = new Map(files.map((f) => [f.path, f]));
  const mf = byPath.get(BUNDLE_MANIFEST);
  if (!mf) throw new BundleFormatError(`${BUNDLE_MANIFEST} is missing from the bundle`);
  let raw: unknown;
  try {
    raw = parseYaml(mf.data.toString('utf8'));
  } catch (err) {
    throw new BundleFormatError(`${BUNDLE_MANIFEST} is not valid YAML: ${(err as Error).message}`);
  }
  const parsed = parseManifest(raw);
  if (!parsed.ok) throw new BundleFormatError(`${BUNDLE_MANIFEST}: ${parsed.issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`);
  if (!byPath.has(BUNDLE_ENTRY)) throw new BundleFormatError(`the bundled entry ${BUNDLE_ENTRY} is missing (build the folder with \`autoglm build\`)`);
  for (const a of parsed.manifest.artifacts) {
    if (!byPath.has(a)) throw new BundleFormatError(`artifact ${a} listed in the manifest is missing from the bundle`);
  }
  const hash = sha256(archive);
  return { hash, version: versionOf(hash), manifest: parsed.manifest, files };
}

/** Writes an opened bundle's files under `dir` (paths were checked by {@link openBundle}). */
export function extractBundle(b: OpenedBundle, dir: string): void {
  for (const f of b.files) {
    const target = join(dir, f.path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, f.data);
  }
}

export { BundleFormatError };
