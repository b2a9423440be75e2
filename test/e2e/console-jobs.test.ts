/**
 * The console's Jobs pages in a real headless Chromium against a real platform: recent jobs of
 * every function, filters, pages, and a dead letter retried from its page. Every wait is on a
 * selector or an API state, never a delay. Screenshots go to test-results/console/.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundle } from '../../runtime/bundles/build-bundle.ts';
import { eventually, type TestPlatform } from '../harness/platform.ts';
import { signedIn as openSignedIn, startConsoleRig } from '../harness/console-tab.ts';

const SHOTS = fileURLToPath(new URL('../../test-results/console/', import.meta.url));
const FLAGGED = fileURLToPath(new URL('../fixtures/functions/flagged/', import.meta.url));

let p: TestPlatform;
let browser: Browser;
let stop: () => Promise<void>;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  ({ p, browser, stop } = await startConsoleRig());
  // flagged fails every input until its namespace's `flag` secret says `open`.
  await p.call('PUT', '/v1/secrets/flag', { value: 'closed' });
  const b = await buildBundle(FLAGGED, { typecheck: false });
  await p.api.deploy(b.archive, b.hash);
});

afterAll(async () => {
  await stop?.();
});

const signedIn = (token: string) => openSignedIn(browser, p.url, token);

const submit = async (token: string, fn: string, input: unknown): Promise<string> => {
  const r = await fetch(`${p.url}/v1/functions/${fn}/jobs`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ input }) });
  return ((await r.json()) as { id: string }).id;
};
const ended = (id: string) => eventually(async () => ['succeeded', 'failed'].includes((await p.call('GET', `/v1/jobs/${id}`)).json.status), `job ${id} to end`);

describe('console: jobs', () => {
  it('an empty trainings list tells how to start one only to a role that may (deployer, admin), not an invoker', async () => {
    expect((await p.call('GET', '/v1/trainings')).json.items).toEqual([]);
    const invoker = await signedIn(await p.token(['invoker'], 'ivy'));
    await invoker.click('nav >> text=Jobs');
    await invoker.getByTestId('no-trainings').waitFor();
    expect(await invoker.getByTestId('no-trainings').textContent()).toBe('No trainings.');
    const deployer = await signedIn(await p.token(['deployer'], 'dana'));
    await deployer.click('nav >> text=Jobs');
    await deployer.getByTestId('no-trainings').waitFor();
    expect(await deployer.getByTestId('no-trainings').textContent()).toBe('No trainings: start one with autoglm train.');
    expect([...invoker.problems, ...deployer.problems]).toEqual([]);
  });

  it('lists recent jobs of every function by default, newest first, and pages through them', async () => {
    const ids = [await submit(p.adminToken, 'echo', { message: 'one' }), await submit(p.adminToken, 'flagged', { n: 0 }), await submit(p.adminToken, 'echo', { message: 'two' })];
    for (const id of ids) await ended(id);
    const firstPage = (await p.call('GET', '/v1/jobs?limit=2')).json;
    const newest = (firstPage.items as { id: string }[]).map((j) => j.id);
    const after = ((await p.call('GET', `/v1/jobs?limit=2&cursor=${firstPage.next}`)).json.items as { id: string }[]).map((j) => j.id);
    expect(after.length).toBeGreaterThan(0);

    const page = await signedIn(p.adminToken);
    await page.click('nav >> text=Jobs');
    for (const id of ids) await page.locator(`tr[data-job="${id}"]`).waitFor();
    await page.screenshot({ path: `${SHOTS}jobs.png` });

    // Two a page: the API's first page, then the next, then back.
    await page.goto(`${p.url}/console#/jobs?limit=2`);
    const shown = () => page.locator('tr[data-job]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-job')));
    await page.locator(`tr[data-job="${newest[0]}"]`).waitFor();
    expect(await shown()).toEqual(newest);
    await page.click('.pager button >> text=Next');
    await page.locator(`tr[data-job="${after[0]}"]`).waitFor();
    expect(await shown()).toEqual(after);
    await page.click('.pager button >> text=Previous');
    await page.locator(`tr[data-job="${newest[0]}"]`).waitFor();
    expect(await shown()).toEqual(newest);
    expect(page.problems).toEqual([]);
  });

  it('see a dead letter retried: an invoker finds its failed job under failed, retries it, and sees it succeed', async () => {
    const ivan = await p.router.verifier.mint({ sub: 'ivan', roles: ['invoker'] });
    const id = await submit(ivan, 'flagged', { order: 42 });
    const fatal = await submit(ivan, 'echo', { fail: 'fatal' }); // a dead letter that stays one
    await ended(id);
    await ended(fatal);
    expect((await p.call('GET', `/v1/jobs/${id}`)).json).toMatchObject({ status: 'failed', error: { code: 'FLAG_CLOSED' } });

    // A viewer sees the dead letter but is offered no Retry (the API would refuse it).
    const viewer = await signedIn(await p.router.verifier.mint({ sub: 'vic', roles: ['viewer'] }));
    await viewer.goto(`${p.url}/console#/jobs/${id}`);
    await viewer.getByTestId('job-status').filter({ hasText: 'failed' }).waitFor();
    expect(await viewer.locator('button', { hasText: 'Retry' }).count()).toBe(0);

    // The cause is fixed: once a fresh call succeeds, the workers have the new value.
    await p.call('PUT', '/v1/secrets/flag', { value: 'open' });
    await eventually(async () => (await p.call('POST', '/v1/functions/flagged/invoke', { input: { probe: true } })).status === 200, 'the open flag to reach the workers');

    const page = await signedIn(ivan);
    await page.click('nav >> text=Jobs');
    await page.selectOption('select[name=status]', 'failed');
    await page.locator(`tr[data-job="${id}"] a`).click();
    await page.getByTestId('job-status').filter({ hasText: 'failed' }).waitFor();
    await page.screenshot({ path: `${SHOTS}job-dead-letter.png` });
    await page.click('button >> text=Retry');
    await page.getByTestId('job-status').filter({ hasText: 'succeeded' }).waitFor();
    expect(await page.locator('.job pre').textContent()).toContain('"order": 42');
    expect(await page.locator('button', { hasText: 'Retry' }).count()).toBe(0);
    expect(await page.getByTestId('job-error').count()).toBe(0);
    await page.screenshot({ path: `${SHOTS}job-retried.png` });
    expect((await p.call('GET', `/v1/jobs/${id}`)).json).toMatchObject({ id, status: 'succeeded', submittedBy: 'ivan' });

    // No longer a dead letter.
    await page.click('nav >> text=Jobs');
    await page.selectOption('select[name=status]', 'failed');
    await page.locator(`tr[data-job="${fatal}"]`).waitFor();
    expect(await page.locator(`tr[data-job="${id}"]`).count()).toBe(0);
    expect(page.problems).toEqual([]);
  });
});
