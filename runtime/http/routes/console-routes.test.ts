import { describe, expect, it } from 'vitest';
import { consoleRoutes } from './console-routes.ts';

describe('console routes', () => {
  const app = consoleRoutes();

  it('serve the page with a strict Content-Security-Policy and no token', async () => {
    const res = await app.request('/console');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const page = await res.text();
    expect(page).toContain('<script type="module" src="/console/app.js">');
    // No inline script: every <script> names its source.
    expect(page.match(/<script(?![^>]*\bsrc=)[^>]*>/g)).toBeNull();
  });

  it('bundle the app with Preact from node_modules, revalidated by ETag', async () => {
    const res = await app.request('/console/app.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const js = await res.text();
    expect(js).toContain('/v1/functions'); // the console's own code
    expect(js).not.toMatch(/from\s*["'](preact|htm|uplot)/); // libraries bundled, not left as imports a browser cannot resolve
    const again = await app.request('/console/app.js', { headers: { 'if-none-match': res.headers.get('etag')! } });
    expect(again.status).toBe(304);
  });

  it("serve uPlot's style sheet inside the console's own, before the console's rules", async () => {
    const css = await (await app.request('/console/console.css')).text();
    expect(css).toContain('.uplot');
    expect(css.indexOf('.uplot')).toBeLessThan(css.indexOf('.charts'));
  });

  it('without an identity provider, offer none and connect to this origin only', async () => {
    expect(await (await app.request('/console/config.json')).json()).toEqual({ oidc: null, claims: null });
    expect((await app.request('/console/')).headers.get('content-security-policy')).toContain("connect-src 'self';");
  });

  it('serve only its own files', async () => {
    expect((await app.request('/console/console.css')).headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect((await app.request('/console/index.ts')).status).toBe(404);
    expect((await app.request('/console/../package.json')).status).toBe(404);
  });
});
