import { Hono } from 'hono';
import type { ConsoleOidc } from '../../auth/index.ts';
import type { AppEnv } from '../app-deps.ts';
import { ConsoleAssets, type ConsoleAsset } from '../console-assets.ts';

/**
 * Only this origin's files, no inline script or style, no framing, no form posts elsewhere: the
 * page holds a bearer token, so nothing but its own code may run in it. With OIDC sign-in, the
 * page may also connect to the IdP's token endpoint (its origin only), where it trades the code.
 */
const csp = (tokenOrigin: string | undefined) =>
  `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'${tokenOrigin ? ` ${tokenOrigin}` : ''}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

const serve = (a: ConsoleAsset, ifNoneMatch: string | undefined, policy: string): Response => {
  const headers = {
    'content-type': a.type,
    // Revalidate every time (by ETag): an upgraded router never leaves an old script in a browser.
    'cache-control': 'no-cache',
    etag: a.etag,
    'content-security-policy': policy,
    'x-content-type-options': 'nosniff',
    // The console's addresses can hold a one-time code (fragment) or an IdP's code (query): never sent on.
    'referrer-policy': 'no-referrer',
  };
  if (ifNoneMatch === a.etag) return new Response(null, { status: 304, headers });
  return new Response(a.body, { status: 200, headers });
};

/**
 * `GET /console` (the page), its two files, and `GET /console/config.json` (how it may sign in:
 * the IdP's endpoints and the console's client id, or nothing; and where IdP tokens keep roles). No token is needed for them: they
 * hold no data; every read and action of the page goes through `/v1/...` with the user's token.
 */
export function consoleRoutes(opts: { oidc?: ConsoleOidc; idpClaims?: { roles: string; namespaces: string } } = {}, assets = new ConsoleAssets()): Hono<AppEnv> {
  const { oidc } = opts;
  const app = new Hono<AppEnv>();
  const page = async (name: string, ifNoneMatch: string | undefined) => {
    const a = await assets.get(name);
    return a ? serve(a, ifNoneMatch, csp(await oidc?.tokenOrigin())) : undefined;
  };
  app.get('/console', async (c) => (await page('index.html', c.req.header('if-none-match')))!);
  app.get('/console/', async (c) => (await page('index.html', c.req.header('if-none-match')))!);
  // One static route per file, not a pattern: a regex parameter here would put every request of
  // the API on Hono's slower trie router (its RegExpRouter cannot take one beside `/console/config.json`).
  for (const file of ['app.js', 'console.css']) app.get(`/console/${file}`, async (c) => (await page(file, c.req.header('if-none-match')))!);
  app.get('/console/config.json', async (c) => {
    c.header('cache-control', 'no-store');
    // `claims`: where the IdP's tokens keep roles and namespaces, so the page shows what the API will allow.
    return c.json({ oidc: oidc ? await oidc.settings() : null, claims: opts.idpClaims ?? null });
  });
  return app;
}
