import { randomBytes } from 'node:crypto';
import { link, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { LOCK_FILE } from './segment-files.ts';

/** Who holds a chain. */
export interface LockOwner {
  pid: number;
  host: string;
  /** Random per claim: tells this claim from a later one by a process that got the same pid. */
  nonce: string;
  since: string;
}

const TAKEOVER_FILE = 'lock.takeover';
/** A takeover marker older than this was left by a process that died mid-takeover. */
const TAKEOVER_STALE_MS = 30_000;

/** This machine's name, as chain ids and lock files use it. */
export const hostName = (): string => hostname().replace(/[^A-Za-z0-9.-]/g, '-').slice(0, 40) || 'host';

/**
 * Whether `owner` may still be writing. A process on another host cannot be checked from here,
 * so it always counts as alive: chains of other hosts are never taken over automatically.
 */
export function isAlive(owner: LockOwner): boolean {
  if (owner.host !== hostName()) return true;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readOwner(path: string): Promise<LockOwner | 'missing' | 'unreadable'> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw err;
  }
  try {
    const o = JSON.parse(text) as LockOwner;
    return Number.isInteger(o.pid) && typeof o.host === 'string' && typeof o.nonce === 'string' ? o : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

/** The live holder of a chain, if any. */
export async function lockHolder(chainDir: string): Promise<LockOwner | undefined> {
  const o = await readOwner(join(chainDir, LOCK_FILE));
  return typeof o === 'object' && isAlive(o) ? o : undefined;
}

/**
 * Exclusive ownership of one chain directory by one process. The lock file is created with
 * `link()` from a fully written temporary file: like `open(…, 'wx')` it fails when the file
 * exists, and unlike it nobody can ever read a half-written lock (also atomic on NFS).
 *
 * A lock whose pid is dead on this host is stale: one claimant takes it over, serialised by a
 * second exclusive file (`lock.takeover`) so two restarting routers cannot both win.
 */
export class ChainLock {
  private released: Promise<void> | undefined;

  private constructor(
    readonly dir: string,
    readonly owner: LockOwner,
  ) {}

  /** Claims `dir`; undefined when a live process holds it. */
  static async claim(dir: string): Promise<ChainLock | undefined> {
    const owner: LockOwner = { pid: process.pid, host: hostName(), nonce: randomBytes(8).toString('hex'), since: new Date().toISOString() };
    const path = join(dir, LOCK_FILE);
    const tmp = join(dir, `.lock.${owner.nonce}`);
    await writeFile(tmp, JSON.stringify(owner) + '\n', { mode: 0o600 });
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          await link(tmp, path);
          return new ChainLock(dir, owner);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        }
        const held = await readOwner(path);
        if (held === 'missing') continue; // released between our link and read: try again
        if (held === 'unreadable' || isAlive(held)) return undefined;
        if (await takeOver(dir, held, tmp)) return new ChainLock(dir, owner);
        return undefined;
      }
      return undefined;
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /** Removes the lock if it is still this claim's. Idempotent. */
  release(): Promise<void> {
    return (this.released ??= (async () => {
      const path = join(this.dir, LOCK_FILE);
      const held = await readOwner(path);
      if (typeof held === 'object' && held.nonce === this.owner.nonce) await rm(path, { force: true });
    })());
  }
}

/** Replaces the stale lock of `dead` with ours (the file at `tmp`). False when someone else is at it. */
async function takeOver(dir: string, dead: LockOwner, tmp: string): Promise<boolean> {
  const marker = join(dir, TAKEOVER_FILE);
  try {
    await link(tmp, marker);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const age = await stat(marker).then((s) => Date.now() - s.mtimeMs, () => 0);
    if (age > TAKEOVER_STALE_MS) await rm(marker, { force: true });
    return false;
  }
  try {
    // Between our read and the marker, another claimant may already have replaced the lock.
    const held = await readOwner(join(dir, LOCK_FILE));
    if (typeof held !== 'object' || held.nonce !== dead.nonce) return false;
    await rename(tmp, join(dir, LOCK_FILE));
    return true;
  } finally {
    await rm(marker, { force: true });
  }
}
