/**
 * The console's Audit page and BullMQ's board (`/console/queues`), in a real headless Chromium
 * (Debian's, driven by playwright-core) against a real platform. Every wait is on a selector or an
 * API state, never a delay. Screenshots go to test-results/console/ (ignored by git).
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestPlatform } from '../harness/platform.ts';
import { signedIn as openSignedIn, startConsoleRig } from '../harness/console-tab.ts';

const SHOTS = fileURLToPath(new URL('../../test-results/console/', import.meta.url));

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

const signedIn = async (token: string) => {
  const page = await openSignedIn(browser, p.url, token);
  return { page, problems: page.problems };
};

describe('console: audit and queues', () => {
  it('an admin queries the audit log by action, pages through it, opens a record and verifies the chain', async () => {
    // 55 refused calls: more than one page (50) of access.denied records.
    for (let i = 0; i < 55; i++) expect((await fetch(`${p.url}/v1/functions`, { headers: { authorization: 'Bearer nonsense' } })).status).toBe(401);
    const denied = (await p.call('GET', '/v1/audit?action=access.denied&limit=1000')).json.items as any[];
    expect(denied.length).toBeGreaterThanOrEqual(55);

    const { page, problems } = await signedIn(p.adminToken);
    await page.click('nav >> text=Audit');
    await page.locator('h1', { hasText: 'Audit' }).waitFor();
    await page.fill('input[name=action]', 'access.denied');
    await page.click('form.audit-query button[type=submit]');
    const rows = page.locator('table.audit-records tr.record');
    await page.locator('text=page 1').waitFor();
    await rows.first().waitFor();
    expect(await rows.count()).toBe(50);
    const firstPage = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-record')));
    expect(firstPage).toEqual(denied.slice(0, 50).map((r) => `${r.chain}/${r.seq}`));
    expect(new Set(await rows.locator('td:nth-child(4)').allTextContents())).toEqual(new Set(['access.denied']));

    await page.click('button:has-text("Older →")');
    await page.locator('text=page 2').waitFor();
    // The label turns before the page's rows come: wait for the second page's first record itself.
    const older = denied.slice(50, 100).map((r) => `${r.chain}/${r.seq}`);
    await page.locator(`table.audit-records tr.record[data-record="${older[0]}"]`).waitFor();
    const secondPage = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-record')));
    expect(secondPage).toEqual(older);
    await page.click('button:has-text("← Newer")');
    await page.locator('text=page 1').waitFor();
    await page.locator(`table.audit-records tr.record[data-record="${firstPage[0]}"]`).waitFor();

    // A record opens to all its fields.
    await rows.first().locator('button').click();
    const detail = page.locator('tr.record-detail pre');
    await detail.waitFor();
    expect(JSON.parse((await detail.textContent())!)).toMatchObject({ action: 'access.denied', outcome: 'denied', code: 'UNAUTHORIZED', chain: denied[0].chain, seq: denied[0].seq });

    await page.click('button:has-text("Verify the chain")');
    const result = page.locator('[data-testid=verify-result] .badge');
    await result.waitFor();
    expect(await result.textContent()).toBe('ok');
    expect(await page.locator('table.chains tbody tr').count()).toBeGreaterThan(0);
    await page.screenshot({ path: `${SHOTS}audit.png` });
    expect(problems).toEqual([]);
  });

  it('a viewer is offered neither Audit nor Queues, and #/audit says why it shows nothing of the log', async () => {
    const { page, problems } = await signedIn(await p.token(['viewer'], 'vera'));
    expect(await page.locator('nav >> text=Audit').count()).toBe(0);
    expect(await page.locator('nav >> text=Queues').count()).toBe(0);
    await page.goto(`${p.url}/console#/audit`);
    await page.locator('[role=alert]', { hasText: 'Only admins read the audit log.' }).waitFor();
    expect(await page.locator('h1').allTextContents()).toEqual(['Audit']);
    expect(await page.locator('table').count()).toBe(0);
    // Not the Functions page under another address: an address with no page says so.
    await page.goto(`${p.url}/console#/whatever`);
    await page.locator('h1', { hasText: 'Not found' }).waitFor();
    expect(await page.locator('[role=alert]').textContent()).toBe('The console has no page at #/whatever.');
    await page.click('main a >> text=Functions');
    await page.locator('h1', { hasText: 'Functions' }).waitFor();
    expect(problems).toEqual([]);
  });

  it('an admin opens Queues and sees the board with the echo queue; after sign-out the board sends it to the console', async () => {
    const { page, problems } = await signedIn(p.adminToken);
    await page.click('nav >> text=Queues');
    await page.waitForURL(`${p.url}/console/queues`);
    await page.locator('text=fn.echo').first().waitFor();
    await page.screenshot({ path: `${SHOTS}queues.png` });
    expect(problems).toEqual([]);

    await page.goBack();
    await page.locator('h1', { hasText: 'Functions' }).waitFor();
    const ended = page.waitForResponse((r) => r.url().endsWith('/console/queues/session') && r.request().method() === 'DELETE');
    await page.click('button:has-text("Sign out")');
    expect((await ended).status()).toBe(204);
    await page.goto(`${p.url}/console/queues`);
    await page.locator('#token').waitFor();
    expect(page.url()).toBe(`${p.url}/console/`);
  });
});
