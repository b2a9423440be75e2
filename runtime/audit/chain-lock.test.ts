import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { eventually } from '../../test/harness/eventually.ts';
import { ChainLock, REMOTE_STALE_MS, hostName, lockHolder } from './chain-lock.ts';

let dir: string;
const locks: ChainLock[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'autoglm-audit-lock-'));
});
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(locks.splice(0).map((l) => l.release()));
  rmSync(dir, { recursive: true, force: true });
});

const claim = async () => {
  const l = await ChainLock.claim(dir);
  if (l) locks.push(l);
  return l;
};
const writeLock = (owner: object, ageMs = 0) => {
  const path = join(dir, 'lock');
  writeFileSync(path, JSON.stringify({ since: '', ...owner }));
  const t = new Date(Date.now() - ageMs);
  utimesSync(path, t, t);
};
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;

describe('ChainLock', () => {
  it('is exclusive, and free again once released', async () => {
    const a = await claim();
    expect(a).toBeDefined();
    expect(await claim()).toBeUndefined();
    expect(await lockHolder(dir)).toMatchObject({ pid: process.pid, host: hostName() });
    await a!.release();
    expect(existsSync(join(dir, 'lock'))).toBe(false);
    expect(await claim()).toBeDefined();
  });

  it('takes over the lock of a dead pid on this host', async () => {
    writeLock({ pid: deadPid(), host: hostName(), nonce: 'old' });
    const l = await claim();
    expect(l).toBeDefined();
    expect(JSON.parse(readFileSync(join(dir, 'lock'), 'utf8')).nonce).toBe(l!.owner.nonce);
  });

  it("takes over a previous incarnation's lock that names our own pid (a restarted container)", async () => {
    writeLock({ pid: process.pid, host: hostName(), nonce: 'before-restart' });
    expect(await claim()).toBeDefined();
  });

  it('leaves a live pid alone', async () => {
    writeLock({ pid: process.ppid, host: hostName(), nonce: 'parent' });
    expect(await claim()).toBeUndefined();
  });

  it("judges another host's lock by its heartbeat", async () => {
    writeLock({ pid: 1, host: 'other-host', nonce: 'fresh' }, 60_000);
    expect(await claim()).toBeUndefined();
    writeLock({ pid: 1, host: 'other-host', nonce: 'gone' }, REMOTE_STALE_MS + 60_000);
    expect(await claim()).toBeDefined();
  });

  it('keeps its own lock fresh with a heartbeat', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    await claim();
    const path = join(dir, 'lock');
    const old = new Date(Date.now() - 10 * 60_000);
    utimesSync(path, old, old);
    vi.advanceTimersByTime(60_000);
    // The beat touches the file asynchronously: wait for the touch, however slow the disk.
    await eventually(() => statSync(path).mtimeMs > Date.now() - 60_000, 'the heartbeat to touch the lock');
  });
});
