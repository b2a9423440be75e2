import { chromium, type Browser, type Page } from 'playwright-core';
import { startPlatform, type TestPlatform } from './platform.ts';
import { startTestRedis } from './redis.ts';

/** Debian's Chromium, which the console's browser tests drive with playwright-core. */
export const CHROMIUM = '/usr/bin/chromium';

/** A browser tab that records what goes wrong in the page, where the screen would not show it. */
export type ConsoleTab = Page & { problems: string[] };

/**
 * A fresh tab (its own sessionStorage). `problems` collects script errors and console errors: a
 * blocked script or style (the Content-Security-Policy) shows there. Failed loads are logged too
 * (the favicon; 404 answers such as DRIFT_NOT_WATCHED, which pages expect): not problems.
 */
export async function newTab(browser: Browser, viewport = { width: 1280, height: 800 }): Promise<ConsoleTab> {
  const page = Object.assign(await (await browser.newContext({ viewport })).newPage(), { problems: [] as string[] });
  page.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && page.problems.push(m.text()));
  page.on('pageerror', (e) => page.problems.push(e.message));
  return page;
}

/**
 * A fresh tab signed in to the console at `url` with `token` (pasted), at `hash` (default: the
 * Functions page), once `heading` (default `Functions`) shows. `clock`: Playwright's clock is
 * installed before the page loads (time flows as usual), so a test can later pause the page's
 * timers and move them itself (`page.clock.pauseAt`, `runFor`) instead of waiting for them.
 */
export async function signedIn(browser: Browser, url: string, token: string, opts: { hash?: string; heading?: string; viewport?: { width: number; height: number }; clock?: boolean } = {}): Promise<ConsoleTab> {
  const page = await newTab(browser, opts.viewport);
  if (opts.clock) await page.clock.install();
  await page.goto(`${url}/console${opts.hash ?? ''}`);
  await page.fill('#token', token);
  await page.click('button[type=submit]');
  await page.locator('h1', { hasText: opts.heading ?? 'Functions' }).waitFor();
  return page;
}

/** What a console browser test runs against: a private Redis, a platform on it, and Chromium. */
export interface ConsoleRig {
  p: TestPlatform;
  browser: Browser;
  /** Closes the browser, stops the platform, then Redis. */
  stop(): Promise<void>;
}

/** Starts a {@link ConsoleRig}; the platform with `opts` (see `startPlatform`). What started is stopped when a later part fails. */
export async function startConsoleRig(opts: Parameters<typeof startPlatform>[1] = {}): Promise<ConsoleRig> {
  const redis = await startTestRedis();
  let p: TestPlatform | undefined;
  try {
    p = await startPlatform(redis.url, opts);
    const browser = await chromium.launch({ executablePath: CHROMIUM });
    const platform = p;
    return {
      p: platform,
      browser,
      stop: async () => {
        await browser.close();
        await platform.stop();
        await redis.destroy();
      },
    };
  } catch (err) {
    await p?.stop();
    await redis.destroy();
    throw err;
  }
}
