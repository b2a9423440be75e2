import { describe, expect, it } from 'vitest';
import { eventually } from '../harness/platform.ts';
import { buildBundle } from '../../runtime/bundles/build-bundle.ts';
import { QUICK_DEATH, fixturePath, functionSet, lines, poolSuite, workers } from './pool-helpers.ts';

const { start, countFile, succeeded, replacement, job } = poolSuite('hang');
// These stop the worker's loop and inference thread, found by the pid a fixture writes to a count
// file in this test's folder: function code runs on the worker's threads (a sandbox can write no such file).
const ON_THREADS = { AUTOGLM_ISOLATION: 'thread' };

describe('hung workers', () => {
  it('a worker whose event loop stops is killed and replaced; its job completes elsewhere', async () => {
    const p = await start({
      env: { AUTOGLM_FUNCTIONS_DIR: functionSet('health'), AUTOGLM_WORKER_HANG_LIMIT: '2s', ...QUICK_DEATH, ...ON_THREADS },
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
    const p = await start({ env: { AUTOGLM_FUNCTIONS_DIR: functionSet('spin'), AUTOGLM_WORKER_HANG_LIMIT: '1s', ...QUICK_DEATH, ...ON_THREADS } });
    const file = countFile();
    const r = await p.call('POST', '/v1/functions/spin/jobs', { input: { countFile: file } });
    const victim = Number(await eventually(async () => lines(file)[0], 'the job to start'));
    const w = await replacement(victim);
    expect(w.restarts).toBe(1);
    const done = await succeeded(r.json.id);
    expect(done.output.runs).toBeGreaterThanOrEqual(2);
    expect(lines(file).map(Number).at(-1)).toBe(w.pid);
  });

  it.each(['sandbox', 'process'])('at isolation %s, a sandbox that hangs is killed, not the worker: the hung call times out, other namespaces go on meanwhile, and the next call gets a new sandbox', async (level) => {
    const p = await start({ env: { AUTOGLM_WORKER_HANG_LIMIT: '1s', AUTOGLM_ISOLATION: level } });
    const b = await buildBundle(fixturePath('functions/hang'), { typecheck: false });
    await p.api.deploy(b.archive, b.hash, { namespace: 'team-a' });
    const [before] = await workers(p);
    expect((await p.call('POST', '/v1/functions/hang/invoke', { input: {} })).status).toBe(200);
    const hung = (await p.call('POST', '/v1/functions/hang/jobs', { input: { hang: true } })).json.id;
    await eventually(async () => (await job(hung)).status === 'running', 'the hung job to run');
    // echo is the default namespace's, in a sandbox of its own: the hang does not reach it.
    const echo = await p.call('POST', '/v1/functions/echo/invoke', { input: { during: 'the hang' } });
    expect(echo.status).toBe(200);
    const failed = await eventually(async () => {
      const j = await job(hung);
      return j.status === 'failed' && j;
    }, 'the hung job to time out');
    expect(failed.error.code).toBe('FUNCTION_TIMEOUT');
    // The sandbox is killed once silent past the namespace's longest timeout; then team-a gets a new one.
    await eventually(async () => (await workers(p))[0]?.sandboxDeaths === 1, 'the hung sandbox to be killed');
    const after = await p.call('POST', '/v1/functions/hang/invoke', { input: {} });
    expect(after.status).toBe(200);
    const [now] = await workers(p);
    expect(now!.pid).toBe(before!.pid);
    expect(now!.restarts ?? 0).toBe(0);
  });
});
