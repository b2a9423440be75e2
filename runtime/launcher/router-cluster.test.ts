import cluster from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../functions/sdk/index.ts';
import { isAlive } from '../../test/bench/proc-stats.ts';
import { eventually } from '../../test/harness/eventually.ts';
import type { Config } from '../config/index.ts';
import { RouterCluster, RouterStartError, type RouterSettings } from './router-cluster.ts';

const FAKE = fileURLToPath(new URL('../../test/fixtures/router-cluster/fake-router.mjs', import.meta.url));
const settings = (jwtSecret = 'k'): RouterSettings => ({ config: {} as Config, redisUrl: 'http://fake:1', jwtSecret, encryptionKeys: 'e', starting: 'deploying' });
const running = () => Object.values(cluster.workers ?? {}).map((w) => w!.process.pid!);

describe('RouterCluster (real processes, a stand-in router)', () => {
  it('restarts a killed process after a delay that doubles per crash in a row, capped; tells the new one the node has started; close() stops all', async () => {
    const lines: Record<string, unknown>[] = [];
    const log = createLogger({}, 'info', (l) => lines.push(JSON.parse(l)));
    const seenStarted = new Set<number>();
    const onMessage = (w: { process: { pid?: number } }, m: { type: string }) => m.type === 'started-seen' && seenStarted.add(w.process.pid!);
    cluster.on('message', onMessage);
    const c = await RouterCluster.start({ entry: FAKE, processes: 2, settings: settings(), log, restartDelayMs: 50, maxRestartDelayMs: 150 });
    try {
      expect(c.url).toBe('http://fake:1');
      expect(running()).toHaveLength(2);
      c.started();
      await eventually(() => running().every((pid) => seenStarted.has(pid)), 'both to hear started');

      for (const [i, delay] of [50, 100, 150, 150].entries()) {
        const victim = running()[0]!;
        process.kill(victim, 'SIGKILL');
        const back = await eventually(() => lines.filter((l) => l.msg === 'router process started again')[i], `restart ${i + 1}`);
        expect(lines.filter((l) => l.msg === 'a router process exited; starting another')[i]).toMatchObject({ pid: victim, signal: 'SIGKILL', restartInMs: delay, running: 1 });
        // The new process is told the node has started: it must not hold readiness.
        await eventually(() => seenStarted.has(back.pid as number), 'the new process to hear started');
        expect(running()).toHaveLength(2);
      }
    } finally {
      const pids = running();
      await c.close();
      cluster.off('message', onMessage);
      expect(running()).toEqual([]);
      expect(pids.filter(isAlive)).toEqual([]);
    }
  });

  it('a process that exits during the start fails the start, and the others are stopped', async () => {
    const log = createLogger({}, 'error', () => undefined);
    await expect(RouterCluster.start({ entry: FAKE, processes: 2, settings: settings('crash'), log })).rejects.toThrow(RouterStartError);
    await eventually(() => running().length === 0, 'no process left');
  });
});
