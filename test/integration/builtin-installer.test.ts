import { describe, expect, it } from 'vitest';
import { createLogger } from '../../functions/sdk/index.ts';
import { BuiltinsClaim } from '../../queue/cluster/index.ts';
import { BuiltinInstaller } from '../../runtime/launcher/builtin-installer.ts';
import { eventually } from '../harness/eventually.ts';
import { redisForFile } from '../harness/redis-for-file.ts';

const quiet = createLogger({}, 'error', () => undefined);
const DONE = { deployed: ['echo@v1'], refused: [] };

const r = redisForFile();
let n = 0;

/** An installer on its own key prefix; `holds` records every readiness reason it gave. */
function installer(prefix: string, id: string, o: { workers?: () => number; deploy?: () => Promise<typeof DONE>; claim?: BuiltinsClaim; ttlMs?: number } = {}) {
  const holds: (string | undefined)[] = [];
  const claim = o.claim ?? new BuiltinsClaim(r.conn, prefix, id, o.ttlMs ?? 60_000);
  const i = new BuiltinInstaller({ claim, liveWorkers: async () => o.workers?.() ?? 1, deploy: o.deploy ?? (async () => DONE), hold: (reason) => holds.push(reason), log: quiet, everyMs: 50 });
  return { i, holds, claim };
}

describe('BuiltinInstaller on a real Redis', () => {
  it('waits for a live worker without taking the lock, then deploys once; a later router finds the record', async () => {
    const prefix = `bi${n++}`;
    let workers = 0;
    let deploys = 0;
    const first = installer(prefix, 'r1', { workers: () => workers, deploy: async () => (deploys++, DONE) });
    const run = first.i.start();
    await eventually(() => first.holds.length > 0, 'its first look');
    expect(first.holds[0]).toBe('built-in functions not deployed yet: waiting for a live pool worker');
    expect(await first.claim.holder()).toBeNull();
    workers = 1;
    expect(await run).toBe('deployed');
    expect(first.holds.at(-1)).toBeUndefined();
    expect(await first.claim.holder()).toBeNull(); // given up once recorded
    expect(await first.claim.installed()).toMatchObject({ by: 'r1', deployed: ['echo@v1'] });

    const later = installer(prefix, 'r2', { deploy: async () => (deploys++, DONE) });
    expect(await later.i.start()).toBe('installed-before');
    expect(deploys).toBe(1);
  });

  it('a holder cut off from Redis mid-deploy loses the lock when it expires, and another router deploys', async () => {
    const prefix = `bi${n++}`;
    // The holder's deploy never ends, and its renewals fail (Redis unreachable from it).
    const cut = new BuiltinsClaim(r.conn, prefix, 'r1', 1000);
    let granted = false;
    const claim = Object.assign(Object.create(cut) as BuiltinsClaim, {
      claim: async () => {
        if (granted) throw new Error('connection lost');
        granted = true;
        return cut.claim();
      },
    });
    const stuck = installer(prefix, 'r1', { claim, deploy: () => new Promise(() => undefined) });
    void stuck.i.start();
    const other = installer(prefix, 'r2', { ttlMs: 1000 });
    const run = other.i.start();
    expect(await run).toBe('deployed');
    expect(other.holds).toContain('built-in functions being deployed by another router');
    expect(await other.claim.installed()).toMatchObject({ by: 'r2' });
    await stuck.i.close();
  });
});
