import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../functions/sdk/index.ts';
import { WorkerRoster, newKeyringSpec, parseKeyring } from '../queue/cluster/index.ts';
import { redisForFile } from '../test/harness/redis-for-file.ts';
import { PoolWorker, type PoolWorkerOptions } from './pool-worker.ts';
import type { WorkerMessage } from './worker-messages.ts';

const r = redisForFile();
const dir = mkdtempSync(join(tmpdir(), 'autoglm-pool-worker-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const parsedKeys = parseKeyring(newKeyringSpec('t'));
if (!parsedKeys.ok) throw new Error(parsedKeys.error);
const encryptionKeys = parsedKeys.ring;

/** An inline worker on pure-JS TensorFlow.js, with no functions deployed, on its own key prefix. */
function worker(prefix: string, workerId: string) {
  const sent: WorkerMessage[] = [];
  const lines: { msg: string }[] = [];
  const opts: PoolWorkerOptions = {
    slot: { id: 'cpu:0', kind: 'cpu', index: 0, name: 'cpu', memoryBytes: 256 * 1024 ** 2 },
    redisUrl: r.server.url,
    prefix,
    encryptionKeys,
    backend: 'cpu',
    gpuModule: '@tensorflow/tfjs-node-gpu',
    inference: 'inline',
    artifactsDir: join(dir, prefix, 'artifacts'),
    bundleCacheDir: join(dir, prefix, 'bundles'),
    jobLockMs: 30_000,
    stalledIntervalMs: 30_000,
    hangLimitMs: 60_000,
    gpuPollMs: 5_000,
    logLevel: 'info',
    logsKept: 100,
    logsPerSecond: 10,
    workerId,
    log: createLogger({}, 'info', (l) => lines.push(JSON.parse(l) as { msg: string })),
    toSupervisor: (m) => sent.push(m),
  };
  return { w: new PoolWorker(opts), sent, lines };
}

describe('PoolWorker (real Redis)', () => {
  it('start registers the worker and tells the supervisor it is ready; close, called twice, is one promise that leaves the roster', async () => {
    const { w, sent, lines } = worker('pw-start', 'w-1');
    const roster = new WorkerRoster(r.conn, 'pw-start');
    await w.start();
    expect(sent.find((m) => m.type === 'ready')).toEqual({ type: 'ready', workerId: 'w-1', backend: 'cpu' });
    expect(await roster.live()).toEqual([expect.objectContaining({ id: 'w-1', device: 'cpu:0', backend: 'cpu', functions: [], inFlight: 0 })]);

    const first = w.close('test');
    const second = w.close('again');
    expect(second).toBe(first);
    await first;
    expect(await roster.liveCount()).toBe(0);
    expect(lines.filter((l) => l.msg === 'worker draining')).toHaveLength(1);
    expect(lines.at(-1)?.msg).toBe('worker stopped');
    await expect(w.start()).rejects.toThrow(/closed/);
  });

  it('a close during start waits for the start, then undoes it', async () => {
    const { w, sent } = worker('pw-early', 'w-2');
    const started = w.start();
    const closed = w.close('early');
    await started;
    await closed;
    expect(sent.map((m) => m.type)).toContain('ready');
    expect(await new WorkerRoster(r.conn, 'pw-early').liveCount()).toBe(0);
  });
});
