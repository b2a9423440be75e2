/**
 * The web console in a real headless Chromium (Debian's, driven by playwright-core) against a real
 * platform: router, Redis and a pool. Every wait is on a selector or an API state, never a delay.
 * Screenshots go to test-results/console/ (ignored by git).
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSequences } from '../../functions/risk-scoring/generate-data.ts';
import { buildBundle } from '../../runtime/bundles/build-bundle.ts';
import { bundleMaker } from '../harness/bundles.ts';
import { eventually, type TestPlatform } from '../harness/platform.ts';
import { signedIn as openSignedIn, type ConsoleTab, startConsoleRig } from '../harness/console-tab.ts';

const SHOTS = fileURLToPath(new URL('../../test-results/console/', import.meta.url));
const ECHO = fileURLToPath(new URL('../fixtures/default-functions/echo/', import.meta.url));
const RISK = fileURLToPath(new URL('../../functions/risk-scoring/', import.meta.url));

let p: TestPlatform;
let browser: Browser;
let stop: () => Promise<void>;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  ({ p, browser, stop } = await startConsoleRig());
});

afterAll(async () => {
  await stop?.();
});

const signedIn = (token: string) => openSignedIn(browser, p.url, token);
const problemsOf = (page: ConsoleTab): string[] => page.problems;

describe('web console', () => {
  it('an admin signs in and sees the deployed functions, and the pool', async () => {
    const page = await signedIn(p.adminToken);
    const row = page.locator('tr[data-function="echo"]');
    await row.waitFor();
    const stable = (await p.call('GET', '/v1/functions/echo')).json.stable as string;
    expect(await row.locator('td').nth(1).textContent()).toBe('default');
    expect(await row.locator('td').nth(2).textContent()).toBe(stable);
    expect(await row.locator('td').nth(3).textContent()).toBe(`${stable} 100%`);
    await page.screenshot({ path: `${SHOTS}functions.png` });

    await page.click('nav >> text=Pool');
    const worker = page.locator('table.workers tbody tr');
    await worker.first().waitFor();
    const live = (await p.call('GET', '/readyz')).json.workers as { pid: number; backend: string; device: string }[];
    expect(await worker.count()).toBe(live.length);
    // Each worker's slot (cpu:0, cpu:1), as the Slots table names it, not just the kind of device.
    expect(await worker.locator('td:nth-child(3)').allTextContents()).toEqual(live.map((w) => w.device));
    expect(await worker.first().locator('td').nth(1).textContent()).toBe(String(live[0]!.pid));
    expect(await worker.first().locator('td').nth(3).textContent()).toBe(live[0]!.backend);
    await page.screenshot({ path: `${SHOTS}pool.png` });
    expect(problemsOf(page)).toEqual([]);
  });

  it('a job invoked through the API is found on the Jobs page and opens; a failed one shows its error', async () => {
    const r = await p.call('POST', '/v1/functions/echo/invoke', { input: { message: 'from the console test' } });
    expect(r.status).toBe(200);
    const id = r.headers.get('x-job-id')!;
    const page = await signedIn(p.adminToken);
    await page.click('nav >> text=Jobs');
    await page.selectOption('select[name=function]', 'echo');
    await page.selectOption('select[name=status]', 'succeeded');
    await page.locator(`tr[data-job="${id}"] a`).click();
    await page.getByTestId('job-status').filter({ hasText: 'succeeded' }).waitFor();
    expect(await page.locator('.job pre').textContent()).toContain('from the console test');
    await page.screenshot({ path: `${SHOTS}job.png` });

    const failed = await p.call('POST', '/v1/functions/echo/invoke', { input: { fail: 'fatal' } });
    expect(failed.status).toBe(500);
    const failedId = failed.headers.get('x-job-id')!;
    const view = (await p.call('GET', `/v1/jobs/${failedId}`)).json;
    await page.click('nav >> text=Jobs');
    await page.selectOption('select[name=function]', 'echo');
    await page.selectOption('select[name=status]', 'failed');
    await page.locator(`tr[data-job="${failedId}"] a`).click();
    await page.getByTestId('job-status').filter({ hasText: 'failed' }).waitFor();
    expect(await page.getByTestId('job-error').textContent()).toBe(`${view.error.code}: ${view.error.message}`);
    expect(problemsOf(page)).toEqual([]);
  });

  it("a job's page draws its trace as a waterfall: router, queue wait, worker, batch and handler, each bar placed by time", async () => {
    const r = await p.call('POST', '/v1/functions/echo/invoke', { input: { message: 'traced in the console' } });
    const id = r.headers.get('x-job-id')!;
    // Spans are written on a timer (the router's, with the worker's span that came with the answer): wait until all are in.
    const trace = await eventually(async () => {
      const t = await p.call('GET', `/v1/jobs/${id}/trace`);
      return t.status === 200 && t.json.spans.length >= 5 && t.json;
    }, 'the trace with the worker spans');
    const page = await signedIn(p.adminToken);
    await page.click('nav >> text=Jobs');
    await page.selectOption('select[name=function]', 'echo');
    await page.selectOption('select[name=status]', 'succeeded');
    await page.locator(`tr[data-job="${id}"] a`).click();
    const rows = page.locator('svg.waterfall g.span');
    await rows.first().waitFor();
    const names = await rows.evaluateAll((gs) => gs.map((g) => g.getAttribute('data-span')));
    expect(names).toEqual(['invoke echo', 'queue wait', 'execute echo', 'batch', 'handle echo']);
    expect(await page.locator('.trace').textContent()).toContain(trace.traceId);
    // The router's bar spans the trace; the worker's starts after the queue wait's.
    const x = async (name: string) => Number(await page.locator(`g[data-span="${name}"] rect.bar`).getAttribute('x'));
    const width = async (name: string) => Number(await page.locator(`g[data-span="${name}"] rect.bar`).getAttribute('width'));
    expect(await x('invoke echo')).toBe(Math.min(...(await Promise.all(names.map((n) => x(n!))))));
    expect(await width('invoke echo')).toBeGreaterThan(await width('execute echo'));
    expect(await x('execute echo')).toBeGreaterThanOrEqual(await x('queue wait'));
    expect(await x('handle echo')).toBeGreaterThanOrEqual(await x('execute echo'));
    await page.screenshot({ path: `${SHOTS}job-trace.png`, fullPage: true });
    expect(problemsOf(page)).toEqual([]);
  });

  it("a running call's trace reads as being written, and draws once its spans are in, without a reload", async () => {
    const page = await signedIn(p.adminToken);
    // A synchronous call that runs 12 s: its spans are written when it ends, with the router's.
    const call = p.call('POST', '/v1/functions/echo/invoke', { input: { message: 'slow', sleepMs: 12_000 } });
    const id = await eventually(async () => (await p.call('GET', '/v1/jobs?function=echo&status=running')).json.items[0]?.id as string | undefined, 'the call to run');
    await page.goto(`${p.url}/console/#/jobs/${id}`);
    await page.locator('.trace', { hasText: 'The trace is being written' }).waitFor();
    expect((await call).status).toBe(200);
    // The panel reads again on its own (TRACE_PENDING says when) until the five spans are there.
    await page.locator('svg.waterfall g.span').nth(4).waitFor({ timeout: 30_000 });
    expect(problemsOf(page)).toEqual([]);
  });

  it("an invoker invokes a function from its page and opens the answer's job; bad input shows the API's problem", async () => {
    const page = await signedIn(await p.token(['invoker'], 'ivan'));
    await page.click('a >> text=echo');
    await page.fill('#invoke-input', '{"message": "typed in the console"}');
    await page.click('.invoke button[type=submit]');
    await page.getByTestId('invoke-output').filter({ hasText: 'typed in the console' }).waitFor();
    const id = await page.getByTestId('invoke-job').textContent();
    expect((await p.call('GET', `/v1/jobs/${id}`)).json).toMatchObject({ status: 'succeeded', submittedBy: 'ivan', output: { echo: { message: 'typed in the console' } } });
    await page.getByTestId('invoke-job').click();
    await page.getByTestId('job-status').filter({ hasText: 'succeeded' }).waitFor();

    await page.goBack();
    const refused = await p.call('POST', '/v1/functions/echo/invoke', { input: { message: 5 } });
    expect(refused.status).toBe(400);
    await page.fill('#invoke-input', '{"message": 5}');
    await page.click('.invoke button[type=submit]');
    await page.locator('.invoke [role=alert]').waitFor();
    expect(await page.locator('.invoke [role=alert]').textContent()).toBe(`${refused.json.code}: ${refused.json.detail}`);
    await page.fill('#invoke-input', '{message}');
    await page.click('.invoke button[type=submit]');
    await page.locator('.invoke [role=alert]', { hasText: 'not JSON' }).waitFor();

    // A call that ran and failed: the problem names its job, and the panel links to it.
    await page.fill('#invoke-input', '{"fail": "fatal"}');
    await page.click('.invoke button[type=submit]');
    await page.locator('.invoke [role=alert]', { hasText: ':' }).filter({ hasNotText: 'not JSON' }).waitFor();
    const failed = await page.getByTestId('invoke-job').textContent();
    expect((await p.call('GET', `/v1/jobs/${failed}`)).json).toMatchObject({ status: 'failed', submittedBy: 'ivan' });
    await page.getByTestId('invoke-job').click();
    await page.getByTestId('job-status').filter({ hasText: 'failed' }).waitFor();
    expect(problemsOf(page)).toEqual([]);
  });

  it("a function's page sums its last hour of calls as the routers' rollups count them", async () => {
    const b = (await bundleMaker(ECHO))('counted-echo');
    await p.api.deploy(b.archive, b.hash);
    for (const input of [{ message: 'a' }, { message: 'b' }, { message: 'c' }, { message: 5 }, { fail: 'fatal' }]) {
      await p.call('POST', '/v1/functions/counted-echo/invoke', { input });
    }
    const sum = async () => {
      const m = (await p.call('GET', '/v1/functions/counted-echo/calls')).json.minutes as { calls: number; clientErrors: number; serverErrors: number }[];
      return m.reduce((s, x) => ({ calls: s.calls + x.calls, c4: s.c4 + x.clientErrors, c5: s.c5 + x.serverErrors }), { calls: 0, c4: 0, c5: 0 });
    };
    await eventually(async () => (await sum()).calls === 5, 'the five calls in the rollups');
    expect(await sum()).toEqual({ calls: 5, c4: 1, c5: 1 });

    const page = await signedIn(p.adminToken);
    await page.click('a >> text=counted-echo');
    await page.getByTestId('calls-total').waitFor();
    expect(await page.getByTestId('calls-total').textContent()).toBe('5');
    expect(await page.getByTestId('calls-4xx').textContent()).toBe('1');
    expect(await page.getByTestId('calls-5xx').textContent()).toBe('1');
  });

  it("a deployer's rollback button takes a canary's traffic back to the stable version", async () => {
    const make = await bundleMaker(ECHO);
    const v1 = make('canary-echo', { MARK: 'one' });
    const first = (await p.api.deploy(v1.archive, v1.hash)).body.version as string;
    const v2 = make('canary-echo', { MARK: 'two' });
    const second = (await p.api.deploy(v2.archive, v2.hash, { canary: 30 })).body.version as string;
    expect((await p.call('GET', '/v1/functions/canary-echo')).json.traffic.routes).toHaveLength(2);

    const page = await signedIn(await p.token(['deployer'], 'dana'));
    await page.click('a >> text=canary-echo');
    await page.getByTestId('split').filter({ hasText: `${second} 30%` }).waitFor();
    await page.screenshot({ path: `${SHOTS}function-canary.png` });
    await page.click('button >> text=Roll back the canary');
    // The page reads the function again after the change: the split it shows is the API's new one.
    await page.getByTestId('split').filter({ hasText: `${first} 100%` }).waitFor();
    const traffic = (await p.call('GET', '/v1/functions/canary-echo')).json.traffic;
    expect(traffic.routes).toEqual([{ version: first, weight: 100 }]);
    expect(traffic.updatedBy).toBe('dana');
    expect(problemsOf(page)).toEqual([]);
  });

  it('a viewer is offered neither traffic controls (an admin is) nor invoke; an invoker neither the pool, traffic controls nor logs', async () => {
    const page = await signedIn(await p.token(['viewer'], 'vic'));
    await page.click('a >> text=echo');
    await page.locator('.traffic h2', { hasText: 'Traffic' }).waitFor();
    await page.locator('.versions tbody tr').first().waitFor();
    expect(await page.locator('.traffic button').count()).toBe(0);
    expect(await page.locator('.invoke').count()).toBe(0);
    await page.locator('.logs h2').waitFor();
    // The pool in detail is for an admin or a viewer of every namespace (/readyz tells others only
    // the summary): this viewer, of `default` only, is not offered it, and #/pool says why.
    expect(await page.locator('nav >> text=Pool').count()).toBe(0);
    await page.goto(`${p.url}/console#/pool`);
    await page.locator('[role=alert]', { hasText: 'Only an admin or a viewer of every namespace sees the pool in detail.' }).waitFor();
    const everywhere = await signedIn(await p.token(['viewer'], 'val', ['*']));
    await everywhere.click('nav >> text=Pool');
    await everywhere.locator('table.workers tbody tr').first().waitFor();
    const admin = await signedIn(p.adminToken);
    await admin.click('a >> text=echo');
    await admin.locator('.traffic h2', { hasText: 'Traffic' }).waitFor();
    expect(await admin.locator('.traffic button', { hasText: 'Roll back' }).count()).toBe(1);

    const invoker = await signedIn(await p.token(['invoker'], 'ivy'));
    expect(await invoker.locator('nav a').allTextContents()).toEqual(['Functions', 'Jobs']);
    await invoker.click('a >> text=echo');
    await invoker.locator('.invoke').waitFor();
    expect(await invoker.locator('.traffic button').count()).toBe(0);
    expect(await invoker.locator('.logs').count()).toBe(0); // an invoker may not read logs (they hold others' inputs)
  });

  it('a forged token reads as admin in the page but the API refuses it: the console signs out and says why', async () => {
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const forged = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: 'mallory', roles: ['admin'] })}.${'A'.repeat(43)}`;
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${p.url}/console`);
    await page.fill('#token', forged);
    await page.click('button[type=submit]');
    await page.locator('.login [role=alert]', { hasText: 'Signed out' }).waitFor();
    expect(await page.locator('tr[data-function]').count()).toBe(0);
    expect(await page.evaluate(() => sessionStorage.getItem('autoglm.token'))).toBeNull();
  });

  it("the drift panel shows every feature risk-scoring watches, with the API's counts", async () => {
    const b = await buildBundle(RISK, { typecheck: false });
    await p.api.deploy(b.archive, b.hash, {});
    const inputs = generateSequences({ seed: 77, count: 60, fraudRate: 0.02 }).map((s) => s.input);
    const r = await p.call('POST', '/v1/functions/risk-scoring/jobs', { inputs });
    expect(r.status).toBe(202);
    await eventually(async () => (await p.call('GET', `/v1/jobs/${r.json.id}`)).json.status === 'succeeded', 'the scoring job');
    const report = await eventually(async () => {
      const d = (await p.call('GET', '/v1/functions/risk-scoring/drift')).json;
      return d.features.every((f: { count: number }) => f.count === 60) && d;
    }, '60 inputs counted for drift');

    const page = await signedIn(p.adminToken);
    await page.click('a >> text=risk-scoring');
    const rows = page.locator('.drift tbody tr');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(report.features.length);
    for (const f of report.features) {
      const row = page.locator(`.drift tr[data-feature="${f.name}"]`);
      expect(await row.locator('td').nth(2).textContent()).toBe(f.status);
      expect(await row.locator('td').nth(3).textContent()).toBe('60');
      expect(await row.locator('svg rect').count()).toBe(f.bins.length * 2);
    }
    await page.screenshot({ path: `${SHOTS}function-drift.png`, fullPage: true });

    // A version that watches nothing says so instead of failing.
    await page.click('nav >> text=Functions');
    await page.click('a >> text=echo');
    await page.locator('.drift', { hasText: 'watches no input features' }).waitFor();
    expect(problemsOf(page)).toEqual([]);
  });
});
