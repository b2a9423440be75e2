import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { readClaims, rememberClaimPaths, type ClaimPaths } from '../session.ts';
import { beginOidc, type OidcSettings } from '../sign-in/oidc.ts';

/**
 * The identity provider the router offers for sign-in (`/console/config.json`), or null for none.
 * Also remembers where its tokens keep roles, for whichever way the IdP's token arrives.
 */
function useOidcSettings(): OidcSettings | null {
  const [oidc, setOidc] = useState<OidcSettings | null>(null);
  useEffect(() => {
    fetch('/console/config.json')
      .then((r) => r.json() as Promise<{ oidc: OidcSettings | null; claims: ClaimPaths | null }>)
      .then((c) => (rememberClaimPaths(c.claims), setOidc(c.oidc)), () => setOidc(null));
  }, []);
  return oidc;
}

/**
 * The sign-in page: the identity provider's button when one is configured, and a bearer token to
 * paste (handed on once it reads as a JWT with roles). `notice`: why the last sign-in ended or failed.
 */
export function LoginPage({ onToken, notice }: { onToken(token: string): void; notice?: string }) {
  const [problem, setProblem] = useState('');
  const oidc = useOidcSettings();
  const submit = (e: Event) => {
    e.preventDefault();
    const token = (new FormData(e.target as HTMLFormElement).get('token') as string).trim();
    const claims = readClaims(token);
    if (!claims || claims.roles.length === 0) return setProblem('That is not a platform token (a JWT with roles).');
    onToken(token);
  };
  const idp = oidc && ('error' in oidc
    ? html`<p class="error" role="alert">Sign-in with ${oidc.issuer} is unavailable: ${oidc.error}</p>`
    : html`<button type="button" class="idp" onClick=${() => beginOidc(oidc).catch((err: Error) => setProblem(err.message))}>Sign in with ${oidc.issuer}</button>
      <p class="muted">or with a token:</p>`);
  return html`<form class="login" onSubmit=${submit}>
    <h1>Open-AutoGLM console</h1>
    ${idp}
    <label for="token">Bearer token</label>
    <textarea id="token" name="token" rows="4" placeholder="eyJ…" required></textarea>
    <p class="muted">From <code>npx autoglm token create</code> or the admin token file <code>npm start</code> names; or open the one-time link <code>npm start</code> or <code>npx autoglm console</code> prints. Kept in this tab only (sessionStorage).</p>
    ${(problem || notice) && html`<p class="error" role="alert">${problem || notice}</p>`}
    <button type="submit">Sign in</button>
  </form>`;
}
