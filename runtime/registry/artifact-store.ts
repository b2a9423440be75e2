import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Content-addressed bundle storage on the local filesystem: `<dir>/<sha256>.tgz`, written to a
 * temporary name and renamed so a reader never sees half a bundle. Pool workers on the same node
 * read this directory directly; other nodes fetch from the router's artifact route.
 */
export class ArtifactStore {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  pathOf(hash: string): string {
    if (!/^[0-9a-f]{64}$/.test(hash)) throw new Error(`not a sha256: ${hash}`);
    return join(this.dir, `${hash}.tgz`);
  }

  async has(hash: string): Promise<boolean> {
    return stat(this.pathOf(hash)).then(() => true, () => false);
  }

  /** Stores `archive` under `hash` (the caller has verified the hash). Idempotent. */
  put(hash: string, archive: Buffer): void {
    const tmp = join(this.dir, `.${hash}.${randomBytes(4).toString('hex')}.tmp`);
    writeFileSync(tmp, archive, { mode: 0o600 });
    renameSync(tmp, this.pathOf(hash));
  }

  async get(hash: string): Promise<Buffer | undefined> {
    return readFile(this.pathOf(hash)).catch(() => undefined);
  }
}
