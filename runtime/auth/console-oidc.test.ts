import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleOidc } from './console-oidc.ts';

/** A discovery document server whose answer each test sets. */
let server: Server;
let base: string;
let meta: Record<string, unknown> = {};
let served = 0;

beforeAll(async () => {
  server = createServer((_req, res) => (served++, res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(meta))));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => void server.close());

const good = () => ({ issuer: base, authorization_endpoint: `${base}/auth`, token_endpoint: 'https://tokens.example:8443/token', code_challenge_methods_supported: ['plain', 'S256'] });

describe('the console\'s OIDC settings', () => {
  it('come from discovery, read once; the CSP origin is the token endpoint\'s', async () => {
    meta = good();
    served = 0;
    const oidc = new ConsoleOidc({ issuer: base, clientId: 'console' });
    expect(await oidc.settings()).toEqual({ issuer: base, clientId: 'console', scope: 'openid', authorizationEndpoint: `${base}/auth`, tokenEndpoint: 'https://tokens.example:8443/token' });
    expect(await oidc.tokenOrigin()).toBe('https://tokens.example:8443');
    expect(served).toBe(1);
  });

  it.each([
    ['names another issuer', () => ({ ...good(), issuer: 'https://evil.example' }), 'names issuer'],
    ['lacks a token endpoint', () => ({ ...good(), token_endpoint: undefined }), 'token_endpoint'],
    ['offers no S256', () => ({ ...good(), code_challenge_methods_supported: ['plain'] }), 'S256'],
  ])('say why when the document %s, and allow the IdP nothing', async (_what, doc, reason) => {
    meta = doc();
    const oidc = new ConsoleOidc({ issuer: base, clientId: 'console' });
    const s = await oidc.settings();
    expect('error' in s && s.error).toContain(reason);
    expect(await oidc.tokenOrigin()).toBeUndefined();
  });

  it('try discovery again after a failure, not on every page load', async () => {
    meta = { ...good(), issuer: 'wrong' };
    served = 0;
    const oidc = new ConsoleOidc({ issuer: base, clientId: 'console', retryAfterMs: 0 });
    expect('error' in (await oidc.settings())).toBe(true);
    meta = good();
    expect('error' in (await oidc.settings())).toBe(false);
    expect(served).toBe(2);
    const patient = new ConsoleOidc({ issuer: base, clientId: 'console', retryAfterMs: 3_600_000 });
    meta = { ...good(), issuer: 'wrong' };
    await patient.settings();
    meta = good();
    expect('error' in (await patient.settings())).toBe(true);
  });
});
