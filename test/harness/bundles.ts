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
 * names and settings (`env`, and `manifest` fields over the folder's): a test that deploys many functions pays for one esbuild run.
 */
export async function bundleMaker(folder: string): Promise<(name: string, env?: Record<string, string>, manifest?: Record<string, unknown>) => TestBundle> {
  const base = await openBundle((await buildBundle(folder, { typecheck: false })).archive);
  const manifest = parseYaml(base.files.find((f) => f.path === BUNDLE_MANIFEST)!.data.toString('utf8')) as Record<string, unknown>;
  const rest = base.files.filter((f) => f.path !== BUNDLE_MANIFEST);
  return (name, env, more) => {
    const text = stringifyYaml({ ...manifest, ...more, name, ...(env ? { env } : {}) });
    const archive = packBundle([{ path: BUNDLE_MANIFEST, data: Buffer.from(text) }, ...rest]);
    return { archive, hash: sha256(archive) };
  };
}
