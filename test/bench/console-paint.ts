/**
 * First paint of the web console with many functions deployed: `npx tsx test/bench/console-paint.ts`.
 * Starts the platform as an operator would (`runtime/start.mjs`, one worker, a private Redis),
 * deploys CONSOLE_FUNCTIONS copies of the echo fixture (default 200), makes a few calls so the
 * rollups hold something, then opens the console in Debian's chromium (playwright-core) with a
 * signed-in tab and times, from navigation start:
 *
 *   Functions list  first contentful paint; the first page of rows shown; every shown row's live figures filled
 *   a function      first contentful paint; its versions table shown; its calls chart drawn with data
 *
 * Each is measured CONSOLE_ROUNDS times (default 5) in a fresh tab after one warm-up load (the
 * router bundles the console on first use), and the median and the worst are printed as a
 * Markdown table. Information only: nothing passes or fails on a timing.
 */
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { ApiClient } from '../../runtime/client/api-client.ts';
import { bundleMaker } from '../harness/bundles.ts';
import { startTestRedis } from '../harness/redis.ts';
import { startPlatform } from './platform.ts';
import { markdownTable, num } from './table.ts';

const FUNCTIONS = Number(process.env.CONSOLE_FUNCTIONS ?? 200);
const ROUNDS = Number(process.env.CONSOLE_ROUNDS ?? 5);
const ECHO = fileURLToPath(new URL('../fixtures/default-functions/echo/', import.meta.url));
const log = (s: string) => process.stderr.write(`console-paint: ${s}\n`);

/** What one load of a page took, ms from navigation start. */
type Marks = Record<string, number>;

/**
 * Opens `hash` in a fresh signed-in tab and returns the time each selector first matched, as
 * the page itself saw it (checked every frame from before the app starts, by performance.now()),
 * plus the first contentful paint.
 */
async function load(browser: Browser, url: string, token: string, hash: string, marks: Record<string, string>): Promise<Marks> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // A string, not a function: tsx would wrap a function's inner functions in a helper the page lacks.
  // Checked once per frame, just before it paints: the time is that of the frame that shows it.
  await context.addInitScript(`
    sessionStorage.setItem('autoglm.token', ${JSON.stringify(token)});
    const marks = ${JSON.stringify(marks)};
    const seen = (window.marks = {});
    const look = () => {
      for (const [name, sel] of Object.entries(marks)) if (seen[name] === undefined && document.querySelector(sel)) seen[name] = performance.now();
      if (Object.keys(seen).length < Object.keys(marks).length) requestAnimationFrame(look);
    };
    requestAnimationFrame(look);
  `);
  const page = await context.newPage();
  await page.goto(`${url}/console${hash}`);
  for (const sel of Object.values(marks)) await page.locator(sel).first().waitFor({ timeout: 60_000 });
  const out = (await page.evaluate('({ ...window.marks, fcp: performance.getEntriesByName("first-contentful-paint")[0]?.startTime })')) as Marks;
  await context.close();
  return out;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const redis = await startTestRedis();
  const platform = await startPlatform(redis.url).catch(async (e) => (await redis.destroy(), Promise.reject(e)));
  let browser: Browser | undefined;
  try {
    const api = new ApiClient({ url: platform.url, token: platform.token });
    const make = await bundleMaker(ECHO);
    log(`deploying ${FUNCTIONS} functions…`);
    const t0 = Date.now();
    const names = Array.from({ length: FUNCTIONS }, (_, i) => `echo-${String(i).padStart(3, '0')}`);
    // A few at a time: each deploy has a worker load the bundle.
    for (let i = 0; i < names.length; i += 4) {
      await Promise.all(names.slice(i, i + 4).map(async (n) => {
        const b = make(n);
        await api.deploy(b.archive, b.hash); // throws on a refusal
      }));
    }
    log(`deployed in ${((Date.now() - t0) / 1000).toFixed(0)} s; calling the first page's functions`);
    const call = (n: string) => fetch(`${platform.url}/v1/functions/${n}/invoke`, { method: 'POST', headers: { authorization: `Bearer ${platform.token}`, 'content-type': 'application/json' }, body: '{"input":{"message":"hi"}}' }).then((r) => r.text());
    for (const n of names.slice(0, 25)) await Promise.all([call(n), call(n)]);
    // The routers write their rollups every 5 s: wait for the first function's to show.
    while (!(await (await fetch(`${platform.url}/v1/functions/${names[0]}/calls?minutes=2`, { headers: { authorization: `Bearer ${platform.token}` } })).json()).minutes.some((m: { calls: number }) => m.calls > 0)) await new Promise((r) => setTimeout(r, 500));

    browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
    const list = { rows: 'tr[data-function]', figures: 'tr[data-function]:last-child [data-testid=calls-per-second]' };
    const one = { versions: '.versions tbody tr', chart: '[data-testid=chart-calls]:not([data-points="0"]) canvas' };
    await load(browser, platform.url, platform.token, '#/functions', list); // warm-up: the router bundles the console
    const results: { page: string; marks: Marks[] }[] = [
      { page: `Functions list (${FUNCTIONS} functions, 25 a page)`, marks: [] },
      { page: 'a function (charts, versions, logs)', marks: [] },
    ];
    for (let r = 0; r < ROUNDS; r++) {
      results[0]!.marks.push(await load(browser, platform.url, platform.token, '#/functions', list));
      results[1]!.marks.push(await load(browser, platform.url, platform.token, `#/functions/${names[0]}`, one));
    }
    const cell = (ms: Marks[], k: string) => (ms[0]![k] === undefined ? '—' : `${num(median(ms.map((m) => m[k]!)), 0)} (${num(Math.max(...ms.map((m) => m[k]!)), 0)})`);
    console.log(`\n${availableParallelism()} cores (${cpus()[0]?.model ?? '?'}), ${ROUNDS} loads each; median (worst) ms from navigation start\n`);
    console.log(
      markdownTable(
        ['page', 'first contentful paint', 'rows / versions shown', 'figures / chart filled'],
        [
          [results[0]!.page, cell(results[0]!.marks, 'fcp'), cell(results[0]!.marks, 'rows'), cell(results[0]!.marks, 'figures')],
          [results[1]!.page, cell(results[1]!.marks, 'fcp'), cell(results[1]!.marks, 'versions'), cell(results[1]!.marks, 'chart')],
        ],
      ),
    );
  } finally {
    await browser?.close();
    await platform.stop();
    await redis.destroy();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
