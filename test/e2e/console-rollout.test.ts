/**
 * The Rollout panel of a function's page in a real headless Chromium against a real platform
 * (router driving rollouts, Redis, a pool): pause, resume and abort from the page, a refusal as the
 * API words it, a rollout followed on its own to its rollback with each window's figures, and the
 * panel reading no more once the rollout ended. Every wait is on the page or the API, never a delay.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Request, Response, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeployQuery } from '../../runtime/client/api-client.ts';
import { bundleMaker } from '../harness/bundles.ts';
import { signedIn, startConsoleRig } from '../harness/console-tab.ts';
import { eventually, type TestPlatform } from '../harness/platform.ts';
import { QUICK_ROLLOUTS } from '../harness/quick-rollouts.ts';

const SHOTS = fileURLToPath(new URL('../../test-results/console/', import.meta.url));
const GRADED = fileURLToPath(new URL('../fixtures/functions/graded/', import.meta.url));

/** Hour-long windows: nothing is judged while the test acts on the rollout. */
const HOUR: DeployQuery = { rollout: true, rolloutSteps: [20, 60], rolloutInterval: '1h' };

let p: TestPlatform;
let browser: Browser;
let stop: () => Promise<void>;
let make: Awaited<ReturnType<typeof bundleMaker>>;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  ({ p, browser, stop } = await startConsoleRig({ deploy: false, env: { ...QUICK_ROLLOUTS } }));
  make = await bundleMaker(GRADED);
});

afterAll(async () => {
  await stop?.();
});

const openFunction = (token: string, name: string, clock = false) => signedIn(browser, p.url, token, { hash: `#/functions/${name}`, heading: name, viewport: { width: 1280, height: 1000 }, clock });
const rollout = async (name: string) => (await p.call('GET', `/v1/functions/${name}/rollout`)).json;
/** A request (or its response) of the page's for exactly `path` of the API (not a longer one). */
const isRead = (path: string) => (r: Request | Response) => new URL(r.url()).pathname === path;

/** Deploys a stable version of `graded` as `name`, then rolls out a version with `env`. */
async function rollOut(name: string, env: Record<string, string>, opts: DeployQuery): Promise<{ stable: string; version: string }> {
  const first = make(name, { BUILD: '1' });
  const stable = (await p.api.deploy(first.archive, first.hash)).body.version as string;
  const next = make(name, { BUILD: '2', ...env });
  const d = await p.api.deploy(next.archive, next.hash, opts);
  expect(d.body.rollout).toMatchObject({ state: 'progressing', step: 0 });
  return { stable, version: d.body.version as string };
}

describe("a function's Rollout panel", () => {
  it('a deployer pauses, resumes and aborts the rollout from the page; a refused action shows the API problem; an ended rollout is read no more', async () => {
    const { stable, version } = await rollOut('rolled-page', {}, HOUR);
    const page = await openFunction(await p.token(['deployer'], 'dana'), 'rolled-page', true);
    const state = page.getByTestId('rollout-state');
    await state.filter({ hasText: 'PROGRESSING' }).waitFor();
    expect(await page.locator('.rollout').textContent()).toContain(`${version} against stable ${stable}`);
    expect(await page.locator('.rollout .steps li').allTextContents()).toEqual(['20%', '60%', '100% (promote)']);
    expect(await page.locator('.rollout .steps li[aria-current=step]').textContent()).toBe('20%');
    expect(await page.getByTestId('rollout-weight').textContent()).toBe('20%');
    expect(await page.getByTestId('rollout-next').textContent()).toMatch(/^in (59|60) min$/);
    await page.locator('.rollout', { hasText: 'No window judged yet' }).waitFor();
    // The router takes the rollout's lease on its next turn; the panel, reading again, names it.
    await page.getByTestId('rollout-driver').waitFor();
    expect(await page.getByTestId('rollout-driver').textContent()).toBe((await rollout('rolled-page')).driver);
    expect(await page.locator('.rollout button').allTextContents()).toEqual(['Pause', 'Abort']);
    await page.screenshot({ path: `${SHOTS}function-rollout.png`, fullPage: true });

    await page.click('.rollout button[name=rollout-pause]');
    await state.filter({ hasText: 'PAUSED' }).waitFor();
    expect(await page.getByTestId('rollout-reason').textContent()).toBe('paused by dana');
    expect(await rollout('rolled-page')).toMatchObject({ state: 'paused', reason: 'paused by dana' });
    expect(await page.locator('.rollout button').allTextContents()).toEqual(['Resume', 'Abort']);

    await page.click('.rollout button[name=rollout-resume]');
    await state.filter({ hasText: 'PROGRESSING' }).waitFor();
    expect(await rollout('rolled-page')).toMatchObject({ state: 'progressing', weight: 20, reason: null });
    expect(await page.getByTestId('rollout-reason').count()).toBe(0);

    // Someone else pauses it while the page still offers Pause. The page's reads of the rollout are
    // held (its poll waits on the first one held, so none reads past it) until the page has tried.
    const held: Route[] = [];
    let released = false;
    let holding!: () => void;
    const firstHeld = new Promise<void>((resolve) => (holding = resolve));
    const statusUrl = `${p.url}/v1/functions/rolled-page/rollout`;
    await page.route(statusUrl, (route) => {
      if (released) return route.continue();
      held.push(route);
      holding();
    });
    await firstHeld;
    expect((await p.call('POST', '/v1/functions/rolled-page/rollout/pause')).status).toBe(200);
    const refused = await p.call('POST', '/v1/functions/rolled-page/rollout/pause');
    expect(refused.status).toBe(409);
    await page.click('.rollout button[name=rollout-pause]');
    await page.locator('.rollout [role=alert]').waitFor();
    expect(await page.locator('.rollout [role=alert]').textContent()).toBe(`ROLLOUT_NOT_ACTIVE: ${refused.json.detail}`);
    released = true;
    for (const route of held) await route.continue();
    await page.unroute(statusUrl);
    await state.filter({ hasText: 'PAUSED' }).waitFor();
    expect(await page.getByTestId('rollout-reason').textContent()).toBe('paused by test-admin');

    let asked = '';
    page.once('dialog', (d) => {
      asked = d.message();
      void d.accept();
    });
    await page.click('.rollout button[name=rollout-abort]');
    await state.filter({ hasText: 'ABORTED' }).waitFor();
    expect(asked).toContain(version);
    await page.getByTestId('split').filter({ hasText: `${stable} 100%` }).waitFor();
    expect(await page.getByTestId('split').textContent()).toBe(`${stable} 100%`);
    expect((await p.call('GET', '/v1/functions/rolled-page')).json.traffic.routes).toEqual([{ version: stable, weight: 100 }]);
    expect(await page.getByTestId('rollout-reason').textContent()).toBe('aborted by dana');
    expect(await page.locator('.rollout button').count()).toBe(0);
    expect(await page.locator('.rollout .steps li.stopped').textContent()).toBe('20%');

    // Ended: the test now holds the page's clock and moves it itself. Between the first and the
    // last of three more of the page's own reads of the function (each 15 s of the page's time
    // after the last one answered) a live panel would have read the rollout every 5 s; this one
    // reads it no more. Moving the clock in steps until each read answers, rather than one jump,
    // fires every timer the page sets meanwhile, also those set after a read in flight answers.
    await page.clock.pauseAt((await page.evaluate(() => Date.now())) + 1_000);
    const functionRead = async () => {
      let answered = false;
      const read = page.waitForResponse(isRead('/v1/functions/rolled-page')).then(() => (answered = true));
      while (!answered) await page.clock.runFor(5_000);
      await read;
    };
    await functionRead();
    const reads: string[] = [];
    page.on('request', (r) => isRead('/v1/functions/rolled-page/rollout')(r) && reads.push(r.url()));
    await functionRead();
    await functionRead();
    await functionRead();
    expect(reads).toEqual([]);
    expect(page.problems).toEqual([]);
  }, 120_000);

  it('follows a failing rollout on its own to its rollback, each window with its figures and the failing gate marked; a viewer gets no controls', async () => {
    const { stable, version } = await rollOut('failing-page', { FAIL_PERCENT: '100' }, { rollout: true, rolloutSteps: [20, 60], rolloutInterval: '2s', rolloutMinCalls: 1 });
    const page = await openFunction(await p.token(['viewer'], 'vic'), 'failing-page', true);
    const state = page.getByTestId('rollout-state');
    await state.filter({ hasText: 'PROGRESSING' }).waitFor();
    expect(await page.locator('.rollout button').count()).toBe(0);

    // Calls until the panel, reading by itself, shows the rollback.
    const rolledBack = state.filter({ hasText: 'ROLLED BACK' }).waitFor({ timeout: 90_000 });
    let done = false;
    const caller = async () => {
      while (!done) await p.call('POST', '/v1/functions/failing-page/invoke', { input: {} });
    };
    const callers = Array.from({ length: 4 }, caller);
    // Once the platform has rolled it back, the test brings the page's own timers forward (the
    // panel reads every 5 s, the page its function every 15 s) rather than waiting for them: the
    // page still learns of the rollback only by reading it itself.
    await eventually(async () => (await rollout('failing-page')).state === 'rolled-back', 'the rollback', 90_000);
    await page.clock.fastForward(15_000);
    await rolledBack.finally(() => (done = true));
    await Promise.all(callers);

    const r = await rollout('failing-page');
    expect(r).toMatchObject({ state: 'rolled-back', version, stable });
    const failed = r.windows.filter((w: { verdict: string }) => w.verdict === 'failed');
    expect(failed.length).toBe(r.plan.failureLimit);
    expect(await page.getByTestId('rollout-reason').textContent()).toBe(r.reason);
    expect(await page.locator('.rollout .steps li.stopped').textContent()).toBe('20%');
    // Newest first, one row per window; each failed one has its success rate marked as failing.
    const rows = page.locator('.rollout .windows tbody tr');
    expect(await rows.count()).toBe(r.windows.length);
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-verdict')))).toEqual(r.windows.map((w: { verdict: string }) => w.verdict).reverse());
    const newest = rows.first();
    expect(await newest.locator('td.reason').textContent()).toBe(r.windows.at(-1).reason);
    const cells = await newest.locator('td').allTextContents();
    expect(cells[2]).toBe(String(r.windows.at(-1).calls));
    expect(cells[4]).toBe('0.0% ✗');
    expect(await newest.locator('td.gate-failed').count()).toBeGreaterThan(0);
    expect(await newest.locator('td.gate-failed').first().getAttribute('title')).toBe('at least 99.0%: failed');
    await page.getByTestId('split').filter({ hasText: `${stable} 100%` }).waitFor();
    await page.locator('.rollout').screenshot({ path: `${SHOTS}function-rollout-rolled-back.png` });
    expect(page.problems).toEqual([]);
  }, 150_000);

  it('a function that never rolled out shows a deployer only a hint', async () => {
    const b = make('plain-page', { BUILD: '1' });
    await p.api.deploy(b.archive, b.hash);
    const page = await openFunction(await p.token(['deployer'], 'dana'), 'plain-page');
    await page.locator('.rollout-hint', { hasText: 'autoglm deploy --rollout' }).waitFor();
    expect(await page.locator('.rollout').count()).toBe(0);
    expect(page.problems).toEqual([]);
  });
});
