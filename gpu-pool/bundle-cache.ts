import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractBundle, openBundle, sha256, type BundleLimits } from '../functions/sdk/bundle/index.ts';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Where a bundle's bytes come from: this node's artifact directory, else a router over HTTP. */
export interface BundleSource {
  /** The router's artifact directory when it is on this node's filesystem. */
  localDir?: string;
  /** Routers to fetch from (`GET /v1/artifacts/{hash}`), with a token holding the `worker` role. */
  routerUrls?: () => Promise<string[]>;
  token?: string;
}

/**
 * Gives each bundle a local folder: fetched once per node (from the shared artifact directory or
 * a router), verified against its sha256, checked, and extracted to `<dir>/<hash>/`. Bundled code
 * imports the SDK and TensorFlow.js by name; a `node_modules` beside the extracted folders points
 * those names at this worker's own copies, so the bundle and the worker share one SDK (its error
 * classes are compared with `instanceof`). A bundle is checked again here, with the node's own
 * limits (`AUTOGLM_BUNDLE_LIMIT`, `AUTOGLM_BUNDLE_MAX_ENTRIES`): the artifact directory or a
 * router may hand over an archive no router's deploy check saw.
 */
export class BundleCache {
  private readonly pending = new Map<string, Promise<string>>();
  /** Bundles known complete: every job asks, and a disk check per job showed in worker profiles. */
  private readonly ready = new Map<string, Promise<string>>();

  constructor(
    readonly dir: string,
    private readonly source: BundleSource,
    /** Limits the archive is opened with [the SDK's defaults: 256 MiB, 10,000 members]. */
    private readonly limits: Partial<BundleLimits> = {},
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.linkModules();
  }

  /** The extracted folder of bundle `hash`, fetching it first if needed. */
  ensure(hash: string): Promise<string> {
    const known = this.ready.get(hash);
    if (known) return known;
    if (!/^[0-9a-f]{64}$/.test(hash)) return Promise.reject(new Error(`not a bundle hash: ${hash}`));
    const target = join(this.dir, hash);
    if (existsSync(join(target, '.complete'))) {
      const done = Promise.resolve(target);
      this.ready.set(hash, done);
      return done;
    }
    let p = this.pending.get(hash);
    if (!p) {
      p = this.fetchAndExtract(hash, target).finally(() => this.pending.delete(hash));
      this.pending.set(hash, p);
    }
    return p;
  }

  private async fetchAndExtract(hash: string, target: string): Promise<string> {
    const archive = await this.fetch(hash);
    if (sha256(archive) !== hash) throw new Error(`bundle ${hash.slice(0, 12)} failed its sha256 check`);
    const bundle = await openBundle(archive, this.limits);
    const tmp = join(this.dir, `.${hash}.${randomBytes(4).toString('hex')}`);
    extractBundle(bundle, tmp);
    writeFileSync(join(tmp, '.complete'), hash);
    try {
      renameSync(tmp, target);
    } catch {
      // Another worker process on this node extracted it first.
      rmSync(tmp, { recursive: true, force: true });
    }
    return target;
  }

  private async fetch(hash: string): Promise<Buffer> {
    if (this.source.localDir) {
      const local = join(this.source.localDir, `${hash}.tgz`);
      if (existsSync(local)) return readFileSync(local);
    }
    const urls = (await this.source.routerUrls?.()) ?? [];
    const errors: string[] = [];
    for (const url of urls) {
      try {
        const res = await fetch(new URL(`/v1/artifacts/${hash}`, url), { headers: this.source.token ? { authorization: `Bearer ${this.source.token}` } : {}, signal: AbortSignal.timeout(120_000) });
        if (res.ok) return Buffer.from(await res.arrayBuffer());
        errors.push(`${url}: HTTP ${res.status}`);
      } catch (err) {
        errors.push(`${url}: ${(err as Error).message}`);
      }
    }
    throw new Error(`bundle ${hash.slice(0, 12)} is not in the local artifact directory and no router served it${errors.length ? ` (${errors.join('; ')})` : ''}`);
  }

  private linkModules(): void {
    const nm = join(this.dir, 'node_modules');
    mkdirSync(nm, { recursive: true });
    const links: [string, string][] = [
      ['open-autoglm', REPO_ROOT],
      ['@tensorflow', join(REPO_ROOT, 'node_modules', '@tensorflow')],
    ];
    for (const [name, to] of links) {
      const at = join(nm, name);
      if (existsSync(at)) continue;
      try {
        symlinkSync(to, at, 'dir');
      } catch {
        /* a sibling worker made it */
      }
    }
  }
}
