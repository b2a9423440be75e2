import { readFile, readdir, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as esbuild from 'esbuild';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { parseManifest, type Manifest } from '../../functions/sdk/index.ts';
import { BUNDLE_ENTRY, BUNDLE_MANIFEST, isSafePath, packBundle, sha256, versionOf, type TarEntry } from '../../functions/sdk/bundle/index.ts';

const SDK_DIR = fileURLToPath(new URL('../../functions/sdk/', import.meta.url));
const SDK_TF_DIR = join(SDK_DIR, 'tf') + sep;

/** The module name function code may import the SDK by; bundles keep it external. */
export const SDK_SPECIFIER = 'open-autoglm/sdk';
/** The SDK's TensorFlow.js face (model I/O), apart so the main face never loads TF.js; external too. */
export const SDK_TF_SPECIFIER = 'open-autoglm/sdk/tf';

/** A folder that cannot be built, with every reason. */
export class BuildError extends Error {
  override readonly name = 'BuildError';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

/** A built bundle. */
export interface BuiltBundle {
  archive: Buffer;
  hash: string;
  version: string;
  manifest: Manifest;
  files: { path: string; size: number }[];
}

/** Options of {@link buildBundle}. */
export interface BuildOptions {
  /** Type-check the handler with the TypeScript compiler first. Default true. */
  typecheck?: boolean;
  /** Settings added to (or replacing those of) the manifest's `env`: the bundle's manifest carries them, so they make a version of their own. */
  env?: Record<string, string>;
}

/**
 * Builds a function folder into a bundle: validates the manifest, type-checks the handler,
 * bundles it with esbuild into one ES module (TensorFlow.js and the SDK's faces left external: the
 * worker provides them), adds the model artifacts, and packs it all deterministically, so the same
 * folder always gives the same sha256 and version id.
 * @throws BuildError listing every problem found
 */
export async function buildBundle(folder: string, opts: BuildOptions = {}): Promise<BuiltBundle> {
  const dir = resolve(folder);
  let manifestText = await readFile(join(dir, BUNDLE_MANIFEST), 'utf8').catch(() => {
    throw new BuildError([`${BUNDLE_MANIFEST} not found in ${dir}`]);
  });
  let raw: unknown;
  try {
    raw = parseYaml(manifestText);
  } catch (err) {
    throw new BuildError([`${BUNDLE_MANIFEST}: not valid YAML: ${(err as Error).message}`]);
  }
  if (opts.env && Object.keys(opts.env).length) {
    if (typeof raw === 'object' && raw !== null) (raw as { env?: Record<string, string> }).env = { ...(raw as { env?: Record<string, string> }).env, ...opts.env };
    // Written out again only when changed: the same folder keeps giving the same version id.
    manifestText = stringifyYaml(raw, { lineWidth: 0 });
  }
  const parsed = parseManifest(raw);
  if (!parsed.ok) throw new BuildError(parsed.issues.map((i) => `${BUNDLE_MANIFEST}: ${i.field}: ${i.message}`));
  const manifest = parsed.manifest;
  const entry = join(dir, manifest.entry);
  const problems: string[] = [];
  if (!isSafePath(manifest.entry) || !(await isFile(entry))) problems.push(`entry file ${manifest.entry} is missing`);
  const artifacts: TarEntry[] = [];
  // The drift baseline ships like an artifact, listed or not.
  const shipped = manifest.drift && !manifest.artifacts.includes(manifest.drift.baseline) ? [...manifest.artifacts, manifest.drift.baseline] : manifest.artifacts;
  for (const a of shipped) {
    if (!isSafePath(a) || a === BUNDLE_ENTRY || a === BUNDLE_MANIFEST) {
      problems.push(`artifact path ${JSON.stringify(a)} must be a plain relative path inside the folder`);
      continue;
    }
    const data = await readFile(join(dir, a)).catch(() => undefined);
    if (!data) problems.push(`artifact ${a} listed in the manifest is missing`);
    else artifacts.push({ path: a, data });
  }
  if (problems.length) throw new BuildError(problems);

  if (opts.typecheck ?? true) {
    // Loaded on demand: the compiler alone adds ~100 MB to a process that only routes requests.
    const { typecheckHandler } = await import('./typecheck.ts');
    const diagnostics = typecheckHandler(entry, SDK_DIR);
    if (diagnostics.length) throw new BuildError(diagnostics.map((d) => `type error: ${d}`));
  }
  const code = await bundleHandler(dir, entry);
  const entries: TarEntry[] = [{ path: BUNDLE_MANIFEST, data: Buffer.from(manifestText) }, { path: BUNDLE_ENTRY, data: Buffer.from(code) }, ...artifacts];
  const archive = packBundle(entries);
  const hash = sha256(archive);
  return { archive, hash, version: versionOf(hash), manifest, files: entries.map((e) => ({ path: e.path, size: e.data.length })) };
}

async function isFile(p: string): Promise<boolean> {
  return stat(p).then((s) => s.isFile(), () => false);
}

async function bundleHandler(dir: string, entry: string): Promise<string> {
  const esbuild = await import('esbuild');
  const result = await esbuild
    .build({
      entryPoints: [entry],
      absWorkingDir: dir, // paths in the output are relative to the folder: same folder, same bytes
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      legalComments: 'none',
      logLevel: 'silent',
      external: ['@tensorflow/*', SDK_SPECIFIER, SDK_TF_SPECIFIER],
      plugins: [
        {
          name: 'autoglm-sdk-external',
          setup(build) {
            // In-repo functions import the SDK by relative path; the bundle must still share the
            // worker's copy (error classes are compared with instanceof).
            build.onResolve({ filter: /sdk/ }, (args) => {
              if (!args.path.startsWith('.')) return undefined;
              const face = sdkFaceOf(resolve(args.resolveDir, args.path));
              return face ? { path: face, external: true } : undefined;
            });
          },
        },
      ],
    })
    .catch((err: esbuild.BuildFailure) => {
      throw new BuildError((err.errors ?? []).map((e) => `bundle: ${e.location ? `${relative(dir, join(dir, e.location.file))}:${e.location.line}: ` : ''}${e.text}`));
    });
  return result.outputFiles[0]!.text;
}

/** The SDK face a path inside the SDK folder belongs to (`tf/` has its own), else undefined. */
function sdkFaceOf(target: string): string | undefined {
  const t = target + sep; // the folder itself counts as inside it
  if (t.startsWith(SDK_TF_DIR)) return SDK_TF_SPECIFIER;
  if (t.startsWith(SDK_DIR)) return SDK_SPECIFIER;
  return undefined;
}

/** Every built-in function folder under `root` (folders holding a manifest). */
export async function functionFolders(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir(root)) {
    // isFile follows symlinks, so a linked function folder counts too.
    if (name !== 'sdk' && !name.startsWith('.') && (await isFile(join(root, name, BUNDLE_MANIFEST)))) out.push(join(root, name));
  }
  return out.sort();
}

