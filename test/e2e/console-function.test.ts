/**
 * A function's page in a real headless Chromium against a real platform (router, Redis, a pool):
 * live charts, canary and shadow controls with the shadow report, following logs, the live
 * Functions list, and what a viewer is not offered. Every wait is on a selector or an API
 * state, never a delay. Screenshots go to test-results/console/ (ignored by git).
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleMaker } from '../harness/bundles.ts';
import { eventually, type TestPlatform } from '../harness/platform.ts';
import { signedIn as openSignedIn, startConsoleRig } from '../harness/console-tab.ts';

const SHOTS = fileURLToPath(new URL('../../test-results/console/', import.meta.url));
const ECHO = fileURLToPath(new URL('../fixtures/default-functions/echo/', import.meta.url));
const CHATTY = fileURLToPath(new URL('../fixtures/functions/chatty/', import.meta.url));

let p: TestPlatform;
let browser: Browser;
let stop: () => Promise<void>;
let echo: Awaited<ReturnType<typeof bundleMaker>>;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  ({ p, browser, stop } = await startConsoleRig());
  echo = await bundleMaker(ECHO);
});

afterAll(async () => {
  await stop?.();
});

/** A tab signed in with `token` and opened on function `name`'s page (`clock`: the test may move the page's timers). */
const openFunction = (token: string, name: string, clock = false) => openSignedIn(browser, p.url, token, { hash: `#/functions/${name}`, heading: name, viewport: { width: 1280, height: 900 }, clock });

/** Deploys two versions of echo as `name`: the first stable, the second without traffic. */
async function twoVersions(name: string): Promise<{ first: string; second: string }> {
  const v1 = echo(name, { MARK: 'one' });
  const first = (await p.api.deploy(v1.archive, v1.hash)).body.version as string;
  const v2 = echo(name, { MARK: 'two' });
  const second = (await p.api.deploy(v2.archive, v2.hash, { promote: false })).body.version as string;
  return { first, second };
}

describe("a function's page", () => {
  it('charts the last hour live, and the Functions list shows the same calls per row', async () => {
    const b = echo('charted-echo');
    await p.api.deploy(b.archive, b.hash);
    const page = await openFunction(p.adminToken, 'charted-echo', true);
    const calls = page.getByTestId('chart-calls');
    await calls.locator('canvas').waitFor();
    expect(await calls.getAttribute('data-points')).toBe('0');

    for (const input of [{ message: 'a' }, { message: 'b' }, { message: 5 }, { fail: 'fatal' }]) await p.call('POST', '/v1/functions/charted-echo/invoke', { input });
    const total = async () => (await p.call('GET', '/v1/functions/charted-echo/calls?minutes=2')).json.minutes.reduce((n: number, m: { calls: number }) => n + m.calls, 0);
    await eventually(async () => (await total()) === 4, 'the four calls in the rollups');
    // The page reads the rollups again by itself (every 10 s): the series fill without a reload.
    // The test brings that read forward rather than waiting for it; the page still reads them itself.
    await page.clock.fastForward(10_000);
    await page.locator('[data-testid=chart-calls]:not([data-points="0"])').waitFor();
    await page.locator('[data-testid=chart-errors]:not([data-points="0"])').waitFor();
    await page.locator('[data-testid=chart-latency]:not([data-points="0"])').waitFor();
    for (const id of ['chart-calls', 'chart-errors', 'chart-latency']) expect(await page.getByTestId(id).locator('canvas').count()).toBe(1);
    await page.getByTestId('calls-total').filter({ hasText: '4' }).waitFor();
    await page.screenshot({ path: `${SHOTS}function-charts.png` });

    await page.click('nav >> text=Functions');
    const row = page.locator('tr[data-function="charted-echo"]');
    await row.getByTestId('error-rate').waitFor();
    // One of the four answered 5xx (the 4xx is the caller's): 25.0%.
    expect(await row.getByTestId('error-rate').textContent()).toBe('25.0%');
    expect(await row.getByTestId('calls-per-second').textContent()).not.toBe('0');
    expect(page.problems).toEqual([]);
  });

  it('a deployer sets a canary from the page and rolls it back; a refused change shows the API problem', async () => {
    const { first, second } = await twoVersions('canary-page');
    const page = await openFunction(await p.token(['deployer'], 'dana'), 'canary-page');
    await page.selectOption('.traffic select[name=version]', second);
    await page.fill('.traffic input[name=canary]', '25');
    await page.click('.traffic button[name=set-canary]');
    await page.getByTestId('split').filter({ hasText: `${first} 75% · ${second} 25%` }).waitFor();
    const canary = (await p.call('GET', '/v1/functions/canary-page')).json.traffic;
    expect(canary.routes).toEqual([{ version: first, weight: 75 }, { version: second, weight: 25 }]);
    expect(canary.updatedBy).toBe('dana');
    await page.screenshot({ path: `${SHOTS}function-traffic.png` });

    await page.click('button >> text=Roll back the canary');
    await page.getByTestId('split').filter({ hasText: `${first} 100%` }).waitFor();
    expect((await p.call('GET', '/v1/functions/canary-page')).json.traffic.routes).toEqual([{ version: first, weight: 100 }]);

    // A percent the API would refuse is caught here, naming the box typed in (the API would name
    // `routes[0].weight`, the stable version's share), the same for both boxes; nothing is sent.
    const before = (await p.call('GET', '/v1/functions/canary-page')).json.traffic.updatedAt;
    await page.fill('.traffic input[name=canary]', '12.5');
    await page.click('.traffic button[name=set-canary]');
    await page.locator('.traffic [role=alert]', { hasText: 'The canary percent must be a whole number from 1 to 99.' }).waitFor();
    await page.fill('.traffic input[name=shadow]', '0');
    await page.click('.traffic button[name=start-shadow]');
    await page.locator('.traffic [role=alert]', { hasText: 'The shadow percent must be a whole number from 1 to 100.' }).waitFor();
    expect((await p.call('GET', '/v1/functions/canary-page')).json.traffic.updatedAt).toBe(before);

    // The API's own refusal, as problem+json says it: the function was removed meanwhile.
    expect((await p.call('DELETE', '/v1/functions/canary-page')).status).toBe(204);
    const refused = await p.call('PUT', '/v1/functions/canary-page/traffic', { shadow: { version: second, percent: 50 } });
    expect(refused.status).toBe(404);
    await page.fill('.traffic input[name=shadow]', '50');
    await page.click('.traffic button[name=start-shadow]');
    await page.locator('.traffic [role=alert]', { hasText: refused.json.code }).waitFor();
    expect(await page.locator('.traffic [role=alert]').textContent()).toBe(`${refused.json.code}: ${refused.json.detail}`);
    expect(page.problems).toEqual([]);
  });

  it('a deployer starts a shadow and reads its agreement report; stopping it keeps the last report', async () => {
    const { second } = await twoVersions('shadow-page');
    const page = await openFunction(await p.token(['deployer'], 'dana'), 'shadow-page', true);
    expect(await page.locator('.shadow').count()).toBe(0);
    await page.selectOption('.traffic select[name=version]', second);
    await page.fill('.traffic input[name=shadow]', '100');
    await page.click('.traffic button[name=start-shadow]');
    await page.getByTestId('shadow').filter({ hasText: `${second} 100%` }).waitFor();
    await page.locator('.shadow', { hasText: 'No samples yet' }).waitFor();

    for (const message of ['x', 'y', 'z']) expect((await p.call('POST', '/v1/functions/shadow-page/invoke', { input: { message } })).status).toBe(200);
    const report = await eventually(async () => {
      const r = (await p.call('GET', '/v1/functions/shadow-page/shadow')).json.report;
      return r?.samples === 3 && r;
    }, 'three shadowed calls in the report');
    // The panel reads the report again by itself while the shadow runs (every 10 s): brought forward, as above.
    await page.clock.fastForward(10_000);
    await page.getByTestId('shadow-samples').filter({ hasText: '3' }).waitFor();
    expect(await page.getByTestId('shadow-agreement').textContent()).toBe(`${(report.agreement * 100).toFixed(1)}%`);
    expect(report.agreement).toBe(1); // the same echo answers the same
    await page.screenshot({ path: `${SHOTS}function-shadow.png`, fullPage: true });

    await page.click('.traffic button >> text=Stop the shadow');
    await page.locator('.shadow h2', { hasText: 'last run' }).waitFor();
    expect((await p.call('GET', '/v1/functions/shadow-page')).json.traffic.shadow).toBeNull();
    expect(await page.getByTestId('shadow-samples').textContent()).toBe('3');
    expect(page.problems).toEqual([]);
  });

  it('shows the last shadowed candidate\'s report when a newer version, never shadowed, exists', async () => {
    const { second } = await twoVersions('shadow-older');
    expect((await p.call('PUT', '/v1/functions/shadow-older/traffic', { shadow: { version: second, percent: 100 } })).status).toBe(200);
    for (const message of ['x', 'y']) expect((await p.call('POST', '/v1/functions/shadow-older/invoke', { input: { message } })).status).toBe(200);
    await eventually(async () => (await p.call('GET', '/v1/functions/shadow-older/shadow')).json.report?.samples === 2, 'two shadowed calls in the report');
    expect((await p.call('PUT', '/v1/functions/shadow-older/traffic', { shadow: null })).status).toBe(200);
    // A third version, newer than the shadowed one, that no shadow ever ran: it has no samples.
    const v3 = echo('shadow-older', { MARK: 'three' });
    const third = (await p.api.deploy(v3.archive, v3.hash, { promote: false })).body.version as string;
    expect((await p.call('GET', `/v1/functions/shadow-older/shadow?version=${third}`)).json.report.samples).toBe(0);

    const page = await openFunction(await p.token(['viewer'], 'vic'), 'shadow-older');
    await page.locator('.shadow h2', { hasText: 'last run' }).waitFor();
    expect(await page.locator('.shadow code').first().textContent()).toBe(second);
    expect(await page.getByTestId('shadow-samples').textContent()).toBe('2');
    expect(page.problems).toEqual([]);
  });

  it('follows the logs: a line written after an invoke appears without a reload; the level filter applies', async () => {
    const b = (await bundleMaker(CHATTY))('chatty-page');
    await p.api.deploy(b.archive, b.hash);
    await eventually(async () => (await p.call('GET', '/v1/functions/chatty-page/logs')).json.lines.length > 0, 'the load lines');
    const page = await openFunction(p.adminToken, 'chatty-page');
    const lines = page.getByTestId('log-lines');
    await lines.filter({ hasText: 'loaded' }).waitFor();
    await page.check('.logs input[name=follow]');
    await page.locator('.logs', { hasText: 'Following' }).waitFor();

    const marker = `marker-${Date.now().toString(36)}`;
    expect((await p.call('POST', '/v1/functions/chatty-page/invoke', { input: { n: 1, secret: marker } })).status).toBe(200);
    await lines.filter({ hasText: marker }).waitFor();
    // Appended after what was there, not a new page in its place.
    const text = (await lines.textContent())!;
    expect(text.indexOf('loaded')).toBeLessThan(text.indexOf(marker));

    await page.selectOption('.logs select[name=level]', 'warn');
    await lines.filter({ hasText: marker }).waitFor();
    const shown = (await lines.textContent())!.trim().split('\n');
    expect(shown.length).toBeGreaterThan(0);
    for (const l of shown) expect(l).toMatch(/ (warn|error) /);
    expect(page.problems).toEqual([]);
  });

  it('a viewer sees the traffic, the charts and the logs but is offered no traffic control', async () => {
    await twoVersions('viewed-page');
    const page = await openFunction(await p.token(['viewer'], 'vic'), 'viewed-page');
    await page.getByTestId('chart-calls').locator('canvas').waitFor();
    await page.locator('.versions tbody tr').nth(1).waitFor();
    await page.locator('.logs h2').waitFor();
    expect(await page.getByTestId('split').count()).toBe(1);
    expect(await page.locator('.traffic button, .traffic select, .traffic input').count()).toBe(0);
    // The same page for a deployer has them: what the viewer lacks is the role, not the page.
    const deployer = await openFunction(await p.token(['deployer'], 'dana'), 'viewed-page');
    await deployer.locator('.traffic button[name=set-canary]').waitFor();
    expect(page.problems).toEqual([]);
  });
});

describe('the Functions list', () => {
  it('shows 25 functions a page, pages on, and filters by name', async () => {
    // Echo plus 30 more: two pages.
    const names = Array.from({ length: 30 }, (_, i) => `paged-${String(i).padStart(2, '0')}`);
    for (const n of names) {
      const b = echo(n);
      await p.api.deploy(b.archive, b.hash);
    }
    const total = (await p.call('GET', '/v1/functions')).json.items.length as number;
    expect(total).toBeGreaterThan(25);
    const page = await openFunction(p.adminToken, 'echo');
    await page.click('nav >> text=Functions');
    await page.getByTestId('page').filter({ hasText: 'page 1 of 2' }).waitFor();
    expect(await page.locator('tr[data-function]').count()).toBe(25);
    await page.click('.pager button[name=next]');
    await page.getByTestId('page').filter({ hasText: 'page 2 of 2' }).waitFor();
    expect(await page.locator('tr[data-function]').count()).toBe(total - 25);

    await page.fill('input[name=filter]', 'paged-1');
    await page.getByTestId('functions-count').filter({ hasText: `10 of ${total}` }).waitFor();
    expect(await page.locator('tr[data-function]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-function')))).toEqual(names.slice(10, 20));
    expect(await page.locator('.pager').count()).toBe(0);
    expect(page.problems).toEqual([]);
  });
});
