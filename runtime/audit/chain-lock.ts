import { randomBytes } from 'node:crypto';
import { link, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
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
/** A holder touches its lock file this often, so routers on other hosts can tell it is alive. */
const HEARTBEAT_MS = 60_000;
/**
 * A lock from another host untouched this long belongs to a router that is gone (a replaced
 * pod). Sixty missed heartbeats: only a process frozen for an hour, or clocks an hour apart,
 * could be mistaken for dead.
 */
export const REMOTE_STALE_MS = 3_600_000;

/** Nonces of the locks this process holds: a lock naming our own pid but not one of these is a previous incarnation's (a restarted container often gets the same pid). */
const held = new Set<string>();

/** This machine's name, as chain ids and lock files use it. */
export const hostName = (): string => hostname().replace(/[^A-Za-z0-9.-]/g, '-').slice(0, 40) || 'host';

/**
 * Whether `owner` may still be writing. On this host: its pid is running (and, if that pid is
 * ours, we hold the lock). On another host, where no pid can be checked: its heartbeat, the lock
 * file's mtime (`touchedMs`), is less than {@link REMOTE_STALE_MS} old.
 */
export function isAlive(owner: LockOwner, touchedMs: number): boolean {
  if (owner.host !== hostName()) return Date.now() - touchedMs < REMOTE_STALE_MS;
  if (owner.pid === process.pid) return held.has(owner.nonce);
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

type Read = { owner: LockOwner; alive: boolean } | 'missing' | 'unreadable';

async function readOwner(path: string): Promise<Read> {
  let text: string;
  let touchedMs: number;
  try {
    touchedMs = (await stat(path)).mtimeMs;
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw err;
  }
  try {
    const o = JSON.parse(text) as LockOwner;
    if (!Number.isInteger(o.pid) || typeof o.host !== 'string' || typeof o.nonce !== 'string') return 'unreadable';
    return { owner: o, alive: isAlive(o, touchedMs) };
  } catch {
    return 'unreadable';
  }
}

/** The live holder of a chain, if any. */
export async function lockHolder(chainDir: string): Promise<LockOwner | undefined> {
  const r = await readOwner(join(chainDir, LOCK_FILE));
  return typeof r === 'object' && r.alive ? r.owner : undefined;
}

/**
 * Exclusive ownership of one chain directory by one process. The lock file is created with
 * `link()` from a fully written temporary file: like `open(…, 'wx')` it fails when the file
 * exists, and unlike it nobody can ever read a half-written lock (also atomic on NFS).
 *
 * A lock whose holder is gone (see {@link isAlive}) is stale: one claimant takes it over,
 * serialised by a second exclusive file (`lock.takeover`) so two restarting routers cannot both win.
 */
export class ChainLock {
  private released: Promise<void> | undefined;
  private readonly heartbeat: NodeJS.Timeout;

  private constructor(
    readonly dir: string,
    readonly owner: LockOwner,
  ) {
    held.add(owner.nonce);
    const path = join(dir, LOCK_FILE);
    this.heartbeat = setInterval(() => {
      const now = new Date();
      utimes(path, now, now).catch(() => undefined); // a missed beat only matters after sixty
    }, HEARTBEAT_MS).unref();
  }

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
        const r = await readOwner(path);
        if (r === 'missing') continue; // released between our link and read: try again
        if (r === 'unreadable' || r.alive) return undefined;
        if (await takeOver(dir, r.owner, tmp)) return new ChainLock(dir, owner);
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
      clearInterval(this.heartbeat);
      const path = join(this.dir, LOCK_FILE);
      const r = await readOwner(path);
      if (typeof r === 'object' && r.owner.nonce === this.owner.nonce) await rm(path, { force: true });
      held.delete(this.owner.nonce);
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
    const r = await readOwner(join(dir, LOCK_FILE));
    if (typeof r !== 'object' || r.owner.nonce !== dead.nonce) return false;
    await rename(tmp, join(dir, LOCK_FILE));
    return true;
  } finally {
    await rm(marker, { force: true });
  }
}
