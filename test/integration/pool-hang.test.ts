import { describe, expect, it } from 'vitest';
import { eventually } from '../harness/platform.ts';
import { functionSet, lines, poolSuite } from './pool-helpers.ts';

const { start, countFile, succeeded, replacement } = poolSuite('hang');
// These stop the worker's loop and inference thread, found by the pid a fixture writes to a count
// file in this test's folder: function code runs on the worker's threads (a sandbox can write no such file).
const ON_THREADS = { AUTOGLM_ISOLATION: 'thread' };

describe('hung workers', () => {
  it('a worker whose event loop stops is killed and replaced; its job completes elsewhere', async () => {
    const p = await start({
      env: { AUTOGLM_FUNCTIONS_DIR: functionSet('health'), AUTOGLM_WORKER_HANG_LIMIT: '2s', AUTOGLM_JOB_LOCK: '1500ms', AUTOGLM_STALLED_INTERVAL: '1s', ...ON_THREADS },
    });
    const file = countFile();
    const r = await p.call('POST', '/v1/functions/block/jobs', { input: { ms: 1500, countFile: file } });
    const victim = Number(await eventually(async () => lines(file)[0], 'the job to start'));
    // Frozen: no heartbeat, no lock renewal, but not dead — only the supervisor can tell.
    process.kill(victim, 'SIGSTOP');
    const w = await replacement(victim);
    expect(w.restarts).toBe(1);
    await succeeded(r.json.id);
    expect(lines(file).map(Number).at(-1)).toBe(w.pid);
  });

  it('a worker whose inference thread hangs in a handler is replaced; the job is retried and completes', async () => {
    // spin: the first run loops forever; timeout 2 s, so the thread may be silent 2 s at most.
    const p = await start({ env: { AUTOGLM_FUNCTIONS_DIR: functionSet('spin'), AUTOGLM_WORKER_HANG_LIMIT: '1s', AUTOGLM_JOB_LOCK: '1500ms', AUTOGLM_STALLED_INTERVAL: '1s', ...ON_THREADS } });
    const file = countFile();
    const r = await p.call('POST', '/v1/functions/spin/jobs', { input: { countFile: file } });
    const victim = Number(await eventually(async () => lines(file)[0], 'the job to start'));
    const w = await replacement(victim);
    expect(w.restarts).toBe(1);
    const done = await succeeded(r.json.id);
    expect(done.output.runs).toBeGreaterThanOrEqual(2);
    expect(lines(file).map(Number).at(-1)).toBe(w.pid);
  });
});
