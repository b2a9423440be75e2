/**
 * The console's Trainings list in a real headless Chromium against a real router and Redis: two
 * trainings queued through the API show on the Jobs page (and the function's page) with their
 * records; a deployer cancels one from the page and the API agrees; a viewer's Cancel shows the
 * API's refusal; the list follows changes made elsewhere and reads no more once every training
 * ended. The pool is stopped once the function is deployed, so no worker takes a training (running
 * them: the training e2e); a third one's progress and end are written through the store as a
 * worker writes them, to show how the list draws them. Every wait is on the page or the API, never a delay; the page's clock is
 * Playwright's, moved on by hand to show that no read is due. Screenshots go to test-results/console/.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PayloadCipher, TrainingStore, newKeyringSpec, parseKeyring } from '../../queue/cluster/index.ts';
import { bundleMaker } from '../harness/bundles.ts';
import { newTab, signedIn, startConsoleRig, type ConsoleTab } from '../harness/console-tab.ts';
import type { TestPlatform } from '../harness/platform.ts';

const SHOTS = fileURLToPath(new URL('../../test-results/console/', import.meta.url));
const GRADED = fileURLToPath(new URL('../fixtures/functions/graded/', import.meta.url));

let p: TestPlatform;
let browser: Browser;
let stop: () => Promise<void>;
/** What a worker writes of a training it runs (status, progress, end); none of it is sealed, so any key ring does. */
let store: TrainingStore;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  ({ p, browser, stop } = await startConsoleRig({ deploy: false }));
  const b = (await bundleMaker(GRADED))('tutor', undefined, { training: { primaryMetric: 'accuracy' } });
  expect((await p.api.deploy(b.archive, b.hash)).status).toBe(201);
  // No worker takes a training from here on: each stays queued until cancelled.
  await p.pool!.stop();
  const ring = parseKeyring(newKeyringSpec('test'));
  store = new TrainingStore(p.redis, p.prefix, new PayloadCipher(ring.ok ? ring.ring : (undefined as never)));
});

afterAll(async () => {
  await stop?.();
});

/** Starts a training of `tutor` on `n` records, as the admin; its id. */
async function train(n: number): Promise<string> {
  const body = Array.from({ length: n }, (_, i) => JSON.stringify({ text: `parcel ${i}`, intent: i % 2 ? 'refund' : 'delivery' })).join('\n') + '\n';
  const r = await fetch(`${p.url}/v1/functions/tutor/trainings`, { method: 'POST', headers: { authorization: `Bearer ${p.adminToken}`, 'content-type': 'application/x-ndjson' }, body });
  expect(r.status).toBe(202);
  return ((await r.json()) as { id: string }).id;
}

const training = async (id: string, token = p.adminToken) => p.call('GET', `/v1/trainings/${id}`, undefined, { authorization: `Bearer ${token}` });
const row = (page: ConsoleTab, id: string) => page.locator(`.trainings tr[data-training="${id}"]`);
const status = (page: ConsoleTab, id: string, s: string) => row(page, id).getByTestId('training-status').filter({ hasText: new RegExp(`^${s}$`) });
/** A read of the page's of the trainings list (not of one training). */
const isListRead = (r: Request) => new URL(r.url()).pathname === '/v1/trainings';

/** A tab on Playwright's clock (time flows, and can be moved on at once), signed in at the Jobs page. */
async function jobsTabOnClock(token: string): Promise<ConsoleTab> {
  const page = await newTab(browser, { width: 1400, height: 900 });
  await page.clock.install();
  await page.goto(`${p.url}/console#/jobs`);
  await page.fill('#token', token);
  await page.click('button[type=submit]');
  await page.locator('h1', { hasText: 'Jobs' }).waitFor();
  return page;
}

describe('console: trainings', () => {
  it('lists queued trainings with their records; a deployer cancels one, a viewer is refused as the API words it; ended, the list is read no more', async () => {
    const small = await train(12);
    const large = await train(30);
    const worked = await train(40);
    await store.running(worked, 'w-test', 1);
    await store.progress(worked, { epoch: 2, epochs: 4, step: 5, steps: 10, loss: 0.42131, metrics: { accuracy: 0.8125 } });

    const dana = await p.token(['deployer'], 'dana');
    const page = await signedIn(browser, p.url, dana, { hash: '#/jobs', heading: 'Jobs', viewport: { width: 1400, height: 900 } });
    page.on('dialog', (d) => void d.accept());
    await status(page, small, 'queued').waitFor();
    await status(page, large, 'queued').waitFor();
    // Newest first.
    expect(await page.locator('.trainings tr[data-training]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-training')))).toEqual([worked, large, small]);
    expect(await row(page, small).getByTestId('training-records').textContent()).toBe('12');
    expect(await row(page, large).getByTestId('training-records').textContent()).toBe('30');
    expect(await row(page, small).getByTestId('training-progress').textContent()).toContain('waiting for a worker');
    expect(await row(page, small).textContent()).toContain('by test-admin');
    await status(page, worked, 'running').waitFor();
    expect(await row(page, worked).getByTestId('training-progress').textContent()).toContain('epoch 2/4 · step 5/10 · loss 0.4213 · accuracy 0.8125');
    // Epoch 2 of 4, half through it: 37.5%.
    expect(await row(page, worked).locator('progress').getAttribute('value')).toBe('38');
    expect(await row(page, small).locator('progress').count()).toBe(0);
    await page.locator('.trainings').screenshot({ path: `${SHOTS}jobs-trainings.png` });

    await row(page, small).locator('button[name=training-cancel]').click();
    await status(page, small, 'cancelled').waitFor();
    expect(await row(page, small).getByTestId('training-outcome').textContent()).toBe('cancelled by dana');
    expect(await row(page, small).locator('button[name=training-cancel]').count()).toBe(0);
    expect((await training(small)).json).toMatchObject({ id: small, status: 'cancelled', cancel: { by: 'dana' } });
    expect((await training(large)).json.status).toBe('queued');
    await page.screenshot({ path: `${SHOTS}jobs-training-cancelled.png`, fullPage: true });

    // The function's page lists its own.
    await page.goto(`${p.url}/console#/functions/tutor`);
    await status(page, large, 'queued').waitFor();
    await status(page, small, 'cancelled').waitFor();
    expect(page.problems).toEqual([]);

    // A viewer is offered Cancel too; the API refuses it, and the page says what the API said.
    const vic = await p.token(['viewer'], 'vic');
    const refused = await p.call('POST', `/v1/trainings/${large}/cancel`, undefined, { authorization: `Bearer ${vic}` });
    expect(refused.status).toBe(403);
    const viewer = await jobsTabOnClock(vic);
    viewer.on('dialog', (d) => void d.accept());
    await status(viewer, large, 'queued').waitFor();
    await row(viewer, large).locator('button[name=training-cancel]').click();
    await row(viewer, large).locator('[role=alert]').waitFor();
    expect(await row(viewer, large).locator('[role=alert]').textContent()).toBe(`${refused.json.code}: ${refused.json.detail}`);
    expect(refused.json.code).toBe('FORBIDDEN');
    expect((await training(large)).json.status).toBe('queued');
    await viewer.locator('.trainings').screenshot({ path: `${SHOTS}jobs-training-refused.png` });

    // Cancelled and finished elsewhere: the viewer's list, reading on its own while any is live, shows both.
    expect((await p.call('POST', `/v1/trainings/${large}/cancel`)).status).toBe(202);
    const result = { version: '0a1b2c3d4e5f', primaryMetric: 'accuracy', higherIsBetter: true, metrics: { accuracy: 0.9, f1: 0.88 }, baseline: { accuracy: 0.85 }, verdict: 'better' as const, deployed: 'none' as const };
    expect(await store.end(worked, 'succeeded', { result, keepS: 3600 })).toBe(true);
    await status(viewer, large, 'cancelled').waitFor();
    await status(viewer, worked, 'succeeded').waitFor();
    expect(await row(viewer, large).getByTestId('training-outcome').textContent()).toBe('cancelled by test-admin');
    expect(await row(viewer, worked).getByTestId('training-version').textContent()).toBe('0a1b2c3d4e5f');
    expect(await row(viewer, worked).getByTestId('training-outcome').textContent()).toBe("accuracy 0.9000 against stable's 0.8500 (better); not deployed");
    expect(await viewer.locator('.trainings button[name=training-cancel]').count()).toBe(0);
    // Its last progress stays, without a bar.
    expect(await row(viewer, worked).getByTestId('training-progress').textContent()).toContain('epoch 2/4');
    expect(await viewer.locator('.trainings progress').count()).toBe(0);
    await viewer.locator('.trainings').screenshot({ path: `${SHOTS}jobs-trainings-ended.png` });

    // All ended: a minute on the page's clock brings no read; Refresh does (and only it).
    const reads: string[] = [];
    viewer.on('request', (r) => isListRead(r) && reads.push(r.url()));
    await viewer.clock.runFor(60_000);
    const refreshed = viewer.waitForRequest(isListRead);
    await viewer.locator('.trainings h2 button', { hasText: 'Refresh' }).click();
    await refreshed;
    expect(reads).toHaveLength(1);
    expect(page.problems).toEqual([]);
    expect(viewer.problems).toEqual([]);
  });
});
