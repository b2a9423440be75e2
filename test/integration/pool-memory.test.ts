import { describe, expect, it } from 'vitest';
import { eventually } from '../harness/platform.ts';
import { functionSet, lines, poolSuite, workers } from './pool-helpers.ts';

const { start, countFile, succeeded, replacement } = poolSuite('memory');

describe('memory limit', () => {
  it('a worker over its memory limit is drained (running jobs finish, once) and replaced', async () => {
    // The fixtures write a count file in this test's folder and report their pid: function code runs
    // on the worker's threads (a sandbox can write no such file); the sandbox case is below.
    const p = await start({ env: { AUTOGLM_FUNCTIONS_DIR: functionSet('health'), AUTOGLM_WORKER_MAX_RSS: '600MiB', AUTOGLM_ISOLATION: 'thread' } });
    const [before] = await workers(p);
    const file = countFile();
    const running = await p.call('POST', '/v1/functions/block/jobs', { input: { ms: 2000, countFile: file } });
    await eventually(async () => lines(file).length > 0, 'the block job to start');
    const hog = await p.call('POST', '/v1/functions/hog/invoke', { input: { mb: 500 } });
    expect(hog.status).toBe(200);
    expect(hog.json.output.pid).toBe(before!.pid);
    const w = await replacement(before!.pid);
    expect(w.restarts).toBe(1);
    expect((await succeeded(running.json.id)).output).toEqual({ runs: 1 });
    expect(lines(file)).toEqual([String(before!.pid)]);
  });

  it("counts the sandbox processes' memory: a worker whose sandbox goes over the limit is replaced", async () => {
    const p = await start({ env: { AUTOGLM_FUNCTIONS_DIR: functionSet('health'), AUTOGLM_WORKER_MAX_RSS: '600MiB', AUTOGLM_ISOLATION: 'auto' } });
    const [before] = await workers(p);
    expect(before!.isolation).not.toBe('thread');
    const hog = await p.call('POST', '/v1/functions/hog/invoke', { input: { mb: 500 } });
    expect(hog.status).toBe(200);
    // Held in the sandbox process, not in the worker.
    expect(hog.json.output.pid).not.toBe(before!.pid);
    const w = await replacement(before!.pid);
    expect(w.restarts).toBe(1);
    // The pool publishes its slots every 2 s: wait for the state that follows the restart.
    const slot = await eventually(async () => {
      const s = (await p.call('GET', '/readyz')).json.slots?.[0];
      return s?.restarts === 1 && s;
    }, 'the pool to publish the restart');
    expect(slot).toMatchObject({ restarts: 1, lastRestart: 'memory' });
  });
});
