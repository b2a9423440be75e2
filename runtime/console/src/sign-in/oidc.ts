/**
 * Sign-in at the company identity provider: OAuth 2.0 authorization code with PKCE (S256), the
 * console being a public client (no secret). `begin` sends the tab to the IdP; `finish` runs when
 * the IdP sends it back to `/console/?code=…&state=…`. The state and the PKCE verifier stay in this
 * tab's sessionStorage between the two, and are used once.
 */

import { cleanAddress } from './clean-address.ts';

/** What the router serves in `/console/config.json` when an IdP is configured (runtime/auth/console-oidc.ts). */
export type OidcSettings =
  | { issuer: string; clientId: string; scope: string; authorizationEndpoint: string; tokenEndpoint: string }
  | { issuer: string; error: string };

/** A sign-in this tab started: what `finish` needs and checks. */
interface Pending {
  state: string;
  verifier: string;
  tokenEndpoint: string;
  clientId: string;
  redirectUri: string;
}

const KEY = 'autoglm.oidc';
/** PKCE's method: the SHA-256 of the verifier (never `plain`, which would send the verifier itself). */
const PKCE_METHOD = 'S256';

const b64url = (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const random = (n: number): string => b64url(crypto.getRandomValues(new Uint8Array(n)));

/** Where the IdP sends the browser back: register exactly this at the IdP. */
export const redirectUri = (): string => `${location.origin}/console/`;

/** Whether the page was opened by the IdP sending the browser back (a code or an error, with a state). */
export const isOidcReturn = (): boolean => {
  const q = new URLSearchParams(location.search);
  return q.has('state') && (q.has('code') || q.has('error'));
};

/** Sends the tab to the IdP's authorization endpoint. @throws when the page cannot do PKCE (not a secure context). */
export async function beginOidc(s: Extract<OidcSettings, { tokenEndpoint: string }>): Promise<void> {
  // WebCrypto exists only in secure contexts: HTTPS, or http://localhost and 127.0.0.1.
  if (!crypto.subtle) throw new Error('signing in with the identity provider needs the console on HTTPS (or localhost)');
  const verifier = random(32);
  const challenge = b64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  const pending: Pending = { state: random(16), verifier, tokenEndpoint: s.tokenEndpoint, clientId: s.clientId, redirectUri: redirectUri() };
  sessionStorage.setItem(KEY, JSON.stringify(pending));
  const url = new URL(s.authorizationEndpoint);
  for (const [k, v] of Object.entries({ response_type: 'code', client_id: s.clientId, redirect_uri: pending.redirectUri, scope: s.scope, state: pending.state, code_challenge: challenge, code_challenge_method: PKCE_METHOD })) {
    url.searchParams.set(k, v);
  }
  location.assign(url.toString());
}

/**
 * Completes a sign-in the IdP sent back: checks the state against this tab's, trades the code at
 * the token endpoint with the verifier, and resolves to the access token (the API checks its
 * audience; an ID token is for this client, not for the API). The code leaves the address bar
 * first, whatever happens next.
 * @throws with a message for the login page when anything does not match or the IdP refuses.
 */
export async function finishOidc(): Promise<string> {
  const q = new URLSearchParams(location.search);
  cleanAddress();
  const raw = sessionStorage.getItem(KEY);
  sessionStorage.removeItem(KEY);
  const pending = raw ? (JSON.parse(raw) as Pending) : undefined;
  // A state this tab did not make: an answer to someone else's request (login CSRF), or a reload.
  if (!pending || q.get('state') !== pending.state) throw new Error('the identity provider answered a sign-in this tab did not start (state does not match): sign in again');
  if (q.has('error')) throw new Error(`the identity provider refused the sign-in: ${q.get('error_description') || q.get('error')}`);
  const res = await fetch(pending.tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code: q.get('code')!, redirect_uri: pending.redirectUri, client_id: pending.clientId, code_verifier: pending.verifier }),
  }).catch(() => {
    throw new Error(`the identity provider's token endpoint could not be reached (${new URL(pending.tokenEndpoint).origin}; it must allow this origin, CORS)`);
  });
  const body = (await res.json().catch(() => ({}))) as { access_token?: unknown; error?: string; error_description?: string };
  if (!res.ok) throw new Error(`the identity provider did not give a token: ${body.error_description || body.error || `HTTP ${res.status}`}`);
  if (typeof body.access_token !== 'string') throw new Error('the identity provider answered without an access token');
  return body.access_token;
}
