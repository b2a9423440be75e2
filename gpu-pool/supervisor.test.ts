import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../functions/sdk/index.ts';
import type { DeviceSlot } from '../queue/cluster/index.ts';
import { Supervisor, type SlotState } from './supervisor.ts';
import { eventually } from '../test/harness/eventually.ts';

const FAKE = fileURLToPath(new URL('../test/fixtures/workers/fake-worker.ts', import.meta.url));
const cpu: DeviceSlot = { id: 'cpu:0', kind: 'cpu', index: 0, name: 'cpu', memoryBytes: 1024 ** 3 };
const gpu: DeviceSlot = { id: 'gpu:1', kind: 'gpu', index: 1, name: 'NVIDIA A100', memoryBytes: 8 * 1024 ** 3 };

let sup: Supervisor | undefined;
let dir: string | undefined;
afterEach(async () => {
  await sup?.close();
  sup = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function start(mode: string, slots: DeviceSlot[] = [cpu]) {
  dir = mkdtempSync(join(tmpdir(), 'autoglm-sup-'));
  const logFile = join(dir, 'events.jsonl');
  sup = new Supervisor({
    slots,
    script: FAKE,
    env: { PATH: process.env.PATH, FAKE_MODE: mode, FAKE_LOG: logFile },
    hangLimitMs: 1000,
    checkEveryMs: 100,
    backoffMs: 50,
    graceMs: 2000,
    maxRssBytes: () => 8 * 1024 ** 3,
    log: createLogger({}, 'error'),
  });
  sup.start();
  const events = () =>
    readFileSync(logFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { pid: number; event: string; cuda?: string; device?: string; restarts?: string });
  return { sup, events };
}

/** Waits until `f` holds; its errors (a state not reached yet) count as not yet. */
const until = <T>(f: () => T | undefined | false) =>
  eventually(() => {
    try {
      return f();
    } catch {
      return undefined;
    }
  }, 'the supervisor state');

const replaced = (s: Supervisor, reason: string): SlotState | undefined => {
  const st = s.state()[0]!;
  return st.restarts === 1 && st.lastRestart === reason && st.state === 'running' ? st : undefined;
};

describe('Supervisor', () => {
  it('pins GPU workers with CUDA_VISIBLE_DEVICES and hides GPUs from CPU workers', async () => {
    const { sup, events } = start('none', [gpu, cpu]);
    await until(() => sup.state().every((s) => s.state === 'running') && events().length === 2);
    const byDevice = Object.fromEntries(events().map((e) => [e.device, e.cuda]));
    expect(byDevice).toEqual({ 'gpu:1': '1', 'cpu:0': '' });
    expect(sup.state().map((s) => [s.device.id, s.backend])).toEqual([['gpu:1', 'wasm'], ['cpu:0', 'wasm']]);
  });

  it('kills a worker whose event loop is blocked and starts another', async () => {
    const { sup, events } = start('hang');
    const st = await until(() => replaced(sup, 'hung'));
    const [old, now] = events();
    expect(st.pid).toBe(now!.pid);
    expect(now!.restarts).toBe('1');
    expect(events().some((e) => e.pid === old!.pid && e.event === 'drained')).toBe(false); // killed, not drained
  });

  it('replaces a worker whose inference thread stopped answering', async () => {
    const { sup } = start('thread-hang');
    await until(() => replaced(sup, 'hung'));
  });

  it('drains a worker over its memory limit gracefully, then replaces it', async () => {
    const { sup, events } = start('bloat');
    await until(() => replaced(sup, 'memory'));
    const [old] = events();
    expect(events()).toContainEqual({ pid: old!.pid, event: 'drained' });
  });

  it('reports health: live while a running worker heartbeats; why not when one is silent past the hang limit, or the pool stops', async () => {
    const { sup } = start('none');
    await until(() => sup.state()[0]!.state === 'running');
    expect(sup.health()).toMatchObject({ live: 1, reasons: [] });
    // Seen from a moment past the hang limit (1 s here) without a beat: not live, and why.
    const later = sup.health(Date.now() + 5000);
    expect(later.live).toBe(0);
    expect(later.reasons[0]).toBe('no live worker');
    expect(later.reasons[1]).toMatch(/^slot 0 \(cpu:0\): no heartbeat for \d+ ms$/);
    const closing = sup.close();
    expect(sup.health().reasons).toEqual(['no live worker', 'slot 0 (cpu:0): the pool is stopping']);
    await closing;
  });

  it('restarts a worker that exits', async () => {
    const { sup } = start('crash');
    await until(() => replaced(sup, 'exited'));
  });
});
