import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
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
      await installKnowledge(dir, api, log);
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

/**
 * Puts the knowledge collections a built-in function ships (`knowledge/<collection>/`, its files
 * flat) into the default namespace, each only when the namespace has none of that name: they are
 * the defaults, and an operator's edits (`autoglm knowledge put`) survive a restart.
 */
async function installKnowledge(dir: string, api: ApiClient, log: Logger): Promise<void> {
  const root = join(dir, 'knowledge');
  if (!existsSync(root)) return;
  for (const c of readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory())) {
    const path = `/v1/knowledge/${encodeURIComponent(c.name)}`;
    const exists = await api.request('GET', path).then(
      () => true,
      (err: { status?: number }) => {
        if (err.status === 404) return false;
        throw err;
      },
    );
    if (exists) continue;
    const files = readdirSync(join(root, c.name), { withFileTypes: true })
      .filter((e) => e.isFile() && !e.name.startsWith('.'))
      .map((e) => ({ path: e.name, text: readFileSync(join(root, c.name, e.name), 'utf8') }));
    const r = await api.request('PUT', path, { body: { files } });
    log.info('built-in knowledge installed', { collection: c.name, version: r.body.version, documents: r.body.documents });
  }
}
