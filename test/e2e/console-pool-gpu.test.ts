/**
 * The console's Pool page on a GPU node, in a real Chromium: the pool's nvidia-smi is a script
 * printing a two-A100 capture (this machine has no GPU), so the worker pinned to GPU 1 reports
 * what nvidia-smi says of it with its heartbeat, and the page shows it.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedIn, startConsoleRig } from '../harness/console-tab.ts';
import { eventually, type TestPlatform } from '../harness/platform.ts';

const SAMPLE = fileURLToPath(new URL('../fixtures/nvidia-smi/dgx-a100-2gpu.txt', import.meta.url));

let p: TestPlatform;
let browser: Browser;
let stop: () => Promise<void>;
let bin: string;

beforeAll(async () => {
  bin = mkdtempSync(join(tmpdir(), 'autoglm-fake-smi-'));
  writeFileSync(join(bin, 'nvidia-smi'), `#!/bin/sh\nexec cat '${SAMPLE}'\n`);
  chmodSync(join(bin, 'nvidia-smi'), 0o755);
  ({ p, browser, stop } = await startConsoleRig({ workers: 1, env: { PATH: `${bin}:${process.env.PATH}`, AUTOGLM_DEVICES: 'gpu:1@512MiB', AUTOGLM_GPU_POLL: '200ms' } }));
});

afterAll(async () => {
  await stop?.();
  rmSync(bin, { recursive: true, force: true });
});

describe('Pool page on a GPU node', () => {
  it("shows a GPU worker's memory, utilisation and temperature as nvidia-smi reads them", async () => {
    // GPU 1 of the capture: 17,843 of 40,960 MiB used, 87% busy, 64 °C.
    await eventually(async () => ((await p.call('GET', '/readyz')).json.workers ?? []).some((w: any) => w.gpu?.temperatureC === 64), 'a heartbeat with the GPU reading');
    const page = await signedIn(browser, p.url, p.adminToken);
    await page.click('nav >> text=Pool');
    const cell = page.locator('table.workers tbody tr td.gpu').first();
    await cell.waitFor();
    expect(await cell.textContent()).toBe('17843 / 40960 MiB · 87% · 64 °C');
    expect(page.problems).toEqual([]);
  });
});
