import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { eventually } from '../harness/platform.ts';
import { QUICK_DEATH, functionSet, lines, poolSuite } from './pool-helpers.ts';

const { start, countFile, job, succeeded, replacement } = poolSuite('health');
// These check the worker's threads (and kill its process by the pid a fixture writes to a count
// file in this test's folder): function code runs on them, not in a sandbox, which can write no such file.
const ON_THREADS = { AUTOGLM_ISOLATION: 'thread' };

describe('a long synchronous handler', () => {
  // `block` busy-waits without yielding, as a big TF.js predict does. The queue lock is 1 s and
  // stalled jobs are looked for every second, by a second worker too: if the lock lapsed, the job
  // would be handed out again.
  it.each(['thread', 'inline'])('that runs longer than the queue lock runs exactly once (inference: %s)', async (inference) => {
    const p = await start({
      workers: 2,
      env: { AUTOGLM_FUNCTIONS_DIR: functionSet('health'), AUTOGLM_JOB_LOCK: '2s', AUTOGLM_STALLED_INTERVAL: '1s', AUTOGLM_INFERENCE: inference, ...ON_THREADS },
    });
    const file = countFile();
    // Three lock lengths: the lock must be renewed twice while the handler holds the CPU.
    const r = await p.call('POST', '/v1/functions/block/invoke', { input: { ms: 6000, countFile: file } });
    expect(r.status).toBe(200);
    expect(r.json.output).toEqual({ runs: 1 });
    expect(lines(file)).toHaveLength(1);
    // Had the lock lapsed, BullMQ's stall check would have taken the job back (and counted it in
    // the job's record) before the run that answered could record its end: the record says so.
    expect(Number((await p.redis.hget(`${p.prefix}:fn.block:${r.json.id}`, 'stc')) ?? 0)).toBe(0);
    expect((await job(r.json.id)).attempts).toBe(1);
  });
});

describe('the inference thread', () => {
  it('sends a finished job back before it runs the next one queued behind it', async () => {
    const p = await start({ env: { AUTOGLM_FUNCTIONS_DIR: functionSet('health'), ...ON_THREADS } });
    const file = countFile();
    // Each job blocks the thread until the test creates its file.
    const [releaseFirst, releaseSecond] = [countFile(), countFile()];
    const first = p.call('POST', '/v1/functions/block/invoke', { input: { ms: 0, until: releaseFirst, countFile: file } });
    await eventually(async () => lines(file).length === 1 || undefined, 'the first job to start');
    // The second reaches the worker (and its thread's queue) while the first blocks the thread.
    const second = p.call('POST', '/v1/functions/block/invoke', { input: { ms: 0, until: releaseSecond, countFile: file } });
    await eventually(async () => (await p.redis.llen(`${p.prefix}:fn.block:active`)) === 2, 'the worker to take the second job');
    writeFileSync(releaseFirst, '');
    // The first answer comes while the second job still holds the thread (its file does not exist
    // yet): an answer held back until the thread is free would never come, and the test would time out.
    const a = await first;
    expect(a.status).toBe(200);
    writeFileSync(releaseSecond, '');
    const b = await second;
    expect(b.status).toBe(200);
    expect(b.json.output).toEqual({ runs: 2 });
  });
});

describe('worker crashes', () => {
  it('a worker killed with SIGKILL mid-job is replaced, and the job completes on the replacement', async () => {
    const p = await start({ env: { AUTOGLM_FUNCTIONS_DIR: functionSet('health'), ...QUICK_DEATH, ...ON_THREADS } });
    const file = countFile();
    const r = await p.call('POST', '/v1/functions/block/jobs', { input: { ms: 2500, countFile: file } });
    const victim = Number(await eventually(async () => lines(file)[0], 'the job to start'));
    process.kill(victim, 'SIGKILL');
    const done = await succeeded(r.json.id, 'the job to complete on a new worker');
    const runs = lines(file).map(Number);
    expect(runs[0]).toBe(victim);
    expect(runs.at(-1)).not.toBe(victim);
    expect(done.output.runs).toBe(runs.length);
    const w = await replacement(victim, 'the replacement in the registry');
    expect(w.restarts).toBe(1);
    expect(w.pid).toBe(runs.at(-1));
    // The pool's own account of the slot, as /readyz and `autoglm pool` show it.
    const slot = await eventually(async () => {
      const s = (await p.call('GET', '/readyz')).json.slots?.[0];
      return s?.pid === w.pid && s;
    }, "the slot's new worker in /readyz");
    expect(slot).toMatchObject({ device: 'cpu:0', kind: 'cpu', state: 'running', restarts: 1, lastRestart: 'exited' });
    expect(Date.parse(slot.lastRestartAt)).toBeGreaterThan(0);
  });

  it('a worker killed with SIGKILL while a dynamic batch is in a model handler on its inference thread: every item completes exactly once, on the replacement', async () => {
    // batch-gate: a TF.js model batching up to 8 for up to 500 ms; it records each batch's members,
    // then holds the batch until the gate file exists, so the kill lands while the batch is in the handler.
    const p = await start({ env: { AUTOGLM_FUNCTIONS_DIR: functionSet('batch-gate'), ...QUICK_DEATH, ...ON_THREADS } });
    const [batchFile, doneFile, gate] = [countFile(), countFile(), countFile()];
    const items = [0, 1, 2, 3, 4, 5];
    const ids = await Promise.all(items.map(async (item) => (await p.call('POST', '/v1/functions/batch-gate/jobs', { input: { item, batchFile, doneFile, gate } })).json.id as string));
    const held = await eventually(async () => lines(batchFile)[0], 'a batch to reach the handler');
    const [victim, where, members] = held.split(' ');
    expect(where).toBe('thread');
    const batch = members!.split(',').map(Number);
    expect(batch.length).toBeGreaterThan(1);
    expect(lines(doneFile)).toEqual([]);

    process.kill(Number(victim), 'SIGKILL');
    writeFileSync(gate, '');
    const done = await Promise.all(ids.map((id) => succeeded(id, `job ${id} to complete after the kill`)));
    const w = await replacement(Number(victim));

    // Each item's run completed once, none on the dead worker, and the answer is that run's.
    const completed = lines(doneFile).map((l) => l.split(' ').map(Number) as [number, number]);
    expect(completed.map(([, item]) => item).sort((a, b) => a - b)).toEqual(items);
    for (const [pid] of completed) expect(pid).toBe(w.pid);
    for (const j of done) {
      expect(j.output.pid).toBe(w.pid);
      expect(j.output.score).toBeGreaterThan(0);
      expect(j.output.score).toBeLessThan(1);
    }
    // The replacement started each job again (alone: it had stalled), on its inference thread.
    const rerun = lines(batchFile).slice(1).map((l) => l.split(' '));
    for (const [pid, thread] of rerun) expect([Number(pid), thread]).toEqual([w.pid, 'thread']);
    expect(rerun.flatMap(([, , m]) => m!.split(',').map(Number)).sort((a, b) => a - b)).toEqual(items);
  });
});
