/**
 * Signing in to the web console in a real headless Chromium against a real router and Redis:
 * with the one-time link `npm start` and `autoglm console` print, and at an identity provider
 * (the test one in test/harness/oidc-provider.ts) with the authorization code flow and PKCE.
 * Every wait is on a selector or a state, never a delay.
 */
import { createHash } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOidcProvider, type TestOidcProvider } from '../harness/oidc-provider.ts';
import type { TestPlatform } from '../harness/platform.ts';
import { newTab as openTab, startConsoleRig } from '../harness/console-tab.ts';

const CLIENT_ID = 'autoglm-console';
// Keycloak keeps roles under realm_access: the console must read them where the API does.
const ALICE = { sub: 'alice@corp', claims: { realm_access: { roles: ['viewer'] }, namespaces: ['default'] } };

let idp: TestOidcProvider;
let p: TestPlatform;
let browser: Browser;
let stop: () => Promise<void>;

beforeAll(async () => {
  idp = await startOidcProvider({ audience: 'autoglm-api', clientId: CLIENT_ID, user: ALICE });
  // The echo function is deployed (with a pool for its load check), then the pool stops: the console lists the catalogue.
  ({ p, browser, stop } = await startConsoleRig({ pool: false, env: { AUTOGLM_OIDC_ISSUER: idp.issuer, AUTOGLM_JWT_AUDIENCE: 'autoglm-api', AUTOGLM_ROLES_CLAIM: 'realm_access.roles', AUTOGLM_CONSOLE_CLIENT_ID: CLIENT_ID } }));
});
afterAll(async () => {
  await stop?.();
  await idp?.close();
});

const newTab = () => openTab(browser, { width: 1280, height: 720 });
const storedToken = (page: Page) => page.evaluate(() => sessionStorage.getItem('autoglm.token'));
const functionsPage = async (page: Page) => {
  await page.locator('h1', { hasText: 'Functions' }).waitFor();
  await page.locator('tr[data-function="echo"]').waitFor();
};

describe('console sign-in with a one-time link', () => {
  it('signs in as the token the link was made for, drops the code from the address bar, and works once', async () => {
    const { code } = (await p.call('POST', '/v1/console/links')).json as { code: string };
    const link = `${p.url}/console/#/login?code=${code}`;
    const page = await newTab();
    await page.goto(link);
    await functionsPage(page);
    expect(await storedToken(page)).toBe(p.adminToken);
    expect(await page.locator('header .who').textContent()).toBe('test-admin (admin)');
    expect(page.url()).toBe(`${p.url}/console/#/functions`);
    expect(page.url()).not.toContain(code);
    expect(page.problems).toEqual([]);

    const again = await newTab();
    await again.goto(link);
    await again.locator('[role=alert]', { hasText: 'unknown, used or expired' }).waitFor();
    expect(await storedToken(again)).toBeNull();
    expect(again.url()).not.toContain(code);

    // Pasted into a console already open (only the hash changes), a link replaces its sign-in too.
    await page.goto(link);
    await page.locator('[role=alert]', { hasText: 'unknown, used or expired' }).waitFor();
    expect(await storedToken(page)).toBeNull();
    expect(page.url()).not.toContain(code);
  });
});

describe('console sign-in at the identity provider (authorization code + PKCE)', () => {
  it('serves the IdP settings, and a Content-Security-Policy that lets the page reach its token endpoint and nothing else of it', async () => {
    const config = (await (await fetch(`${p.url}/console/config.json`)).json()) as { oidc: Record<string, string>; claims: Record<string, string> };
    expect(config.claims).toEqual({ roles: 'realm_access.roles', namespaces: 'namespaces' });
    expect(config.oidc).toEqual({ issuer: idp.issuer, clientId: CLIENT_ID, scope: 'openid', authorizationEndpoint: `${idp.issuer}/authorize`, tokenEndpoint: `${idp.issuer}/token` });
    const csp = (await fetch(`${p.url}/console`)).headers.get('content-security-policy')!;
    expect(csp).toContain(`connect-src 'self' ${idp.issuer};`);
    expect(csp.split(idp.issuer)).toHaveLength(2);
  });

  it('"Sign in with <issuer>" comes back signed in with the access token, as the IdP user with the roles it gave', async () => {
    const page = await newTab();
    await page.goto(`${p.url}/console`);
    await page.click(`button:has-text("Sign in with ${idp.issuer}")`);
    await functionsPage(page);
    expect(await page.locator('header .who').textContent()).toBe('alice@corp (viewer)');
    // The token endpoint checked the verifier against the challenge (a wrong one is refused: next test).
    expect(idp.refused).toEqual([]);
    expect(await storedToken(page)).toBe(idp.issued.at(-1));
    expect(page.url()).toBe(`${p.url}/console/#/functions`);
    expect(await page.evaluate(() => sessionStorage.getItem('autoglm.oidc'))).toBeNull();
    // The API applies the IdP's roles unchanged: this viewer may not mint tokens.
    expect((await p.call('POST', '/v1/tokens', { sub: 'x', roles: ['admin'] }, { authorization: `Bearer ${idp.issued.at(-1)}` })).json.code).toBe('FORBIDDEN');
    expect(page.problems).toEqual([]);
  });

  it('the test IdP refuses a code with a wrong PKCE verifier, so the sign-in above proves the console sent the right one', async () => {
    const verifier = 'v'.repeat(43);
    const authorize = async () => {
      const q = new URLSearchParams({ response_type: 'code', client_id: CLIENT_ID, redirect_uri: `${p.url}/console/`, state: 's', code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256' });
      const res = await fetch(`${idp.issuer}/authorize?${q}`, { redirect: 'manual' });
      return new URL(res.headers.get('location')!).searchParams.get('code')!;
    };
    const exchange = (code: string, code_verifier: string) =>
      fetch(`${idp.issuer}/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'authorization_code', code, client_id: CLIENT_ID, redirect_uri: `${p.url}/console/`, code_verifier }) });
    const wrong = await exchange(await authorize(), 'w'.repeat(43));
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ error: 'invalid_grant', error_description: 'code_verifier does not match the code_challenge' });
    expect((await exchange(await authorize(), verifier)).status).toBe(200);
  });

  it('shows an answer to a sign-in the tab did not start, and the IdP refusing, keeping no token', async () => {
    const forged = await newTab();
    await forged.goto(`${p.url}/console/?code=stolen&state=forged`);
    await forged.locator('[role=alert]', { hasText: 'did not start' }).waitFor();
    expect(forged.url()).not.toContain('stolen');
    expect(await storedToken(forged)).toBeNull();

    idp.user = undefined;
    try {
      const denied = await newTab();
      await denied.goto(`${p.url}/console`);
      await denied.click(`button:has-text("Sign in with ${idp.issuer}")`);
      await denied.locator('[role=alert]', { hasText: 'refused the sign-in: the user is not allowed to sign in' }).waitFor();
      expect(await storedToken(denied)).toBeNull();
    } finally {
      idp.user = ALICE;
    }
  });
});
