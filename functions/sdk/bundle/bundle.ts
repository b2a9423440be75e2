import { baselineProblem, type DriftBaseline } from '../drift/index.ts';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createGunzip, gzipSync } from 'node:zlib';
import { parse as parseYaml } from 'yaml';
import { parseManifest, type Manifest, type ManifestIssue } from '../manifest.ts';
import { BundleFormatError, BundleLimitError, writeTar, type TarEntry } from './tar.ts';
import { TarReader } from './tar-reader.ts';

/** The bundled handler module inside every bundle (ES module, SDK and TF.js left external). */
export const BUNDLE_ENTRY = 'index.mjs';
export const BUNDLE_MANIFEST = 'manifest.yaml';

/**
 * Limits applied when a bundle is opened; defaults fit model-carrying functions. The platform
 * sets them from `AUTOGLM_BUNDLE_LIMIT` and `AUTOGLM_BUNDLE_MAX_ENTRIES`.
 */
export interface BundleLimits {
  /** Uncompressed content, bytes. Default 256 MiB. */
  maxBytes: number;
  /** Members (files and directories). Default 10,000. */
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
  /** The manifest's `drift.baseline`, read and checked; absent without `drift`. */
  driftBaseline?: DriftBaseline;
}

/** A manifest the schema refuses: each issue names its field (`cache.ttl`), for the deploy's problem. */
export class ManifestFormatError extends BundleFormatError {
  override readonly name = 'ManifestFormatError';
  constructor(readonly issues: ManifestIssue[]) {
    super(`${BUNDLE_MANIFEST}: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`);
  }
}

/**
 * Opens a bundle and checks it: gzip'd tar of regular files with safe paths, a valid
 * `manifest.yaml`, the bundled entry module, and every artifact the manifest lists. The archive is
 * inflated as a stream and read as it comes, so a decompression bomb is refused at the limit,
 * having cost at most the limit in memory, and inflating runs off the event loop.
 * @throws BundleFormatError with a message naming what is wrong (BundleLimitError for a limit)
 */
export async function openBundle(archive: Buffer, limits: Partial<BundleLimits> = {}): Promise<OpenedBundle> {
  const reader = new TarReader({ ...DEFAULT_LIMITS, ...limits });
  await inflateInto(archive, (chunk) => reader.push(chunk));
  const files = reader.end();
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
  if (!parsed.ok) throw new ManifestFormatError(parsed.issues);
  if (!byPath.has(BUNDLE_ENTRY)) throw new BundleFormatError(`the bundled entry ${BUNDLE_ENTRY} is missing (build the folder with \`autoglm build\`)`);
  for (const a of parsed.manifest.artifacts) {
    if (!byPath.has(a)) throw new BundleFormatError(`artifact ${a} listed in the manifest is missing from the bundle`);
  }
  const driftBaseline = parsed.manifest.drift ? readBaseline(parsed.manifest.drift.baseline, byPath.get(parsed.manifest.drift.baseline)) : undefined;
  const hash = sha256(archive);
  return { hash, version: versionOf(hash), manifest: parsed.manifest, files, ...(driftBaseline ? { driftBaseline } : {}) };
}

/** The drift baseline file, parsed and checked. */
function readBaseline(path: string, file: TarEntry | undefined): DriftBaseline {
  if (!file) throw new BundleFormatError(`drift.baseline ${path} is missing from the bundle`);
  let raw: unknown;
  try {
    raw = JSON.parse(file.data.toString('utf8'));
  } catch (err) {
    throw new BundleFormatError(`drift.baseline ${path} is not JSON: ${(err as Error).message}`);
  }
  const problem = baselineProblem(raw);
  if (problem) throw new BundleFormatError(`drift.baseline ${path}: ${problem}`);
  return raw as DriftBaseline;
}

/** Gunzips `archive` chunk by chunk into `sink`; a throw from `sink` stops inflating there. */
function inflateInto(archive: Buffer, sink: (chunk: Buffer) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const gunzip = createGunzip({ chunkSize: 64 * 1024 });
    let refused = false;
    gunzip.on('data', (chunk: Buffer) => {
      if (refused) return;
      try {
        sink(chunk);
      } catch (err) {
        refused = true;
        gunzip.destroy();
        reject(err);
      }
    });
    gunzip.on('error', (err) => {
      if (!refused) reject(new BundleFormatError(`not a gzip'd tar archive (${err.message})`));
    });
    gunzip.on('end', () => resolve());
    gunzip.end(archive);
  });
}

/** Writes an opened bundle's files under `dir` (paths were checked by {@link openBundle}). */
export function extractBundle(b: OpenedBundle, dir: string): void {
  for (const f of b.files) {
    const target = join(dir, f.path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, f.data);
  }
}

export { BundleFormatError, BundleLimitError };
