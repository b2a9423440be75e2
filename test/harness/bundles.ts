import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { BUNDLE_MANIFEST, openBundle, packBundle, sha256 } from '../../functions/sdk/bundle/index.ts';
import { buildBundle } from '../../runtime/bundles/build-bundle.ts';

/** A bundle ready to upload. */
export interface TestBundle {
  archive: Buffer;
  hash: string;
}

/**
 * Builds the function folder once and returns a maker of real bundles of its code under other
 * names and settings (`env`, `manifest` fields over the folder's, more artifact `files`): a test that deploys many functions pays for one esbuild run.
 */
export async function bundleMaker(folder: string): Promise<(name: string, env?: Record<string, string>, manifest?: Record<string, unknown>, files?: { path: string; data: Buffer }[]) => TestBundle> {
  const base = await openBundle((await buildBundle(folder, { typecheck: false })).archive);
  const manifest = parseYaml(base.files.find((f) => f.path === BUNDLE_MANIFEST)!.data.toString('utf8')) as Record<string, unknown>;
  const rest = base.files.filter((f) => f.path !== BUNDLE_MANIFEST);
  // `files` are added as artifacts (a generator.json, say), listed in the manifest as the build lists them.
  return (name, env, more, files = []) => {
    const artifacts = files.length ? { artifacts: [...((more?.artifacts ?? manifest.artifacts ?? []) as string[]), ...files.map((f) => f.path)] } : {};
    const text = stringifyYaml({ ...manifest, ...more, ...artifacts, name, ...(env ? { env } : {}) });
    const archive = packBundle([{ path: BUNDLE_MANIFEST, data: Buffer.from(text) }, ...rest, ...files]);
    return { archive, hash: sha256(archive) };
  };
}
