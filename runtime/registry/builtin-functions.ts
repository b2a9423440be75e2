import type { Logger } from '../../functions/sdk/index.ts';
import { buildBundle, functionFolders } from '../bundles/build-bundle.ts';
import type { ApiClient } from '../client/api-client.ts';

/**
 * Deploys the built-in functions found under `root` the way a user deploys theirs: build each
 * folder into a bundle and upload it through the API. Re-deploying unchanged folders is a no-op
 * (same content, same version). Type-checking is left to `npm run typecheck` to keep start fast.
 */
export async function deployBuiltins(root: string, api: ApiClient, log: Logger): Promise<{ deployed: string[]; refused: { dir: string; problem: string }[] }> {
  const deployed: string[] = [];
  const refused: { dir: string; problem: string }[] = [];
  for (const dir of await functionFolders(root)) {
    try {
      const b = await buildBundle(dir, { typecheck: false });
      const r = await api.deploy(b.archive, b.hash);
      deployed.push(`${b.manifest.name}@${b.version}`);
      if (r.body.created) log.info('built-in function deployed', { function: b.manifest.name, version: b.version });
    } catch (err) {
      refused.push({ dir, problem: (err as Error).message });
    }
  }
  // esbuild keeps a helper process alive after a build; the router needs it no more.
  (await import('esbuild')).stop();
  return { deployed, refused };
}
