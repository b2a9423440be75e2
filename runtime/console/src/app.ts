import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { TOKEN_REFUSED } from './api.ts';
import { AuditPage } from './pages/audit.ts';
import { FunctionPage } from './pages/function.ts';
import { FunctionsPage } from './pages/functions.ts';
import { JobPage } from './pages/job.ts';
import { JobsPage } from './pages/jobs.ts';
import { LoginPage } from './pages/login.ts';
import { PoolPage } from './pages/pool.ts';
import { endBoardSession, openBoard } from './parts/board-session.ts';
import { useRoute } from './parts/use-route.ts';
import { finishOidc, isOidcReturn } from './sign-in/oidc.ts';
import { linkCode, redeemLink } from './sign-in/one-time-link.ts';
import { forgetToken, offers, readClaims, storedToken, storeToken, type Claims } from './session.ts';

/** A page this address does not open, and why, with the way back. */
const closed = (title: string, why: unknown) => html`<section class="closed"><h1>${title}</h1><p role="alert">${why}</p><p><a href="#/functions">Functions</a></p></section>`;

/** The console: the login form until there is a token, then the navigation and the page the hash names. */
export function App() {
  const [claims, setClaims] = useState<Claims | null>(() => {
    const t = storedToken();
    return t ? readClaims(t) : null;
  });
  const [refused, setRefused] = useState('');
  const [boardRefused, setBoardRefused] = useState('');
  const route = useRoute();
  const signIn = (t: string) => (storeToken(t), setRefused(''), setClaims(readClaims(t)));
  // Opened by a one-time link (also pasted into an open console: only the hash changes), or by the
  // identity provider sending the browser back: that sign-in replaces the tab's, succeed or fail.
  const [finishing, setFinishing] = useState(() => linkCode() !== null || isOidcReturn());
  const finish = (redeem: () => Promise<string>) => {
    // As sign-out does: the board session belongs to the identity being replaced.
    if (storedToken()) endBoardSession();
    forgetToken();
    setClaims(null);
    setFinishing(true);
    redeem().then(
      (t) => (readClaims(t) ? signIn(t) : setRefused('Not signed in: the token given is not a JWT the console can read')),
      (err: Error) => setRefused(`Not signed in: ${err.message}`),
    ).finally(() => setFinishing(false));
  };
  const code = route.path[0] === 'login' ? route.query.get('code') : null;
  useEffect(() => void (code && finish(() => redeemLink(code))), [code]);
  useEffect(() => void (isOidcReturn() && finish(finishOidc)), []);
  useEffect(() => {
    const on = (e: Event) => (endBoardSession(), setRefused(`Signed out: ${(e as CustomEvent<string>).detail}`), setClaims(null));
    addEventListener(TOKEN_REFUSED, on);
    return () => removeEventListener(TOKEN_REFUSED, on);
  }, []);
  if (finishing) return html`<p class="login" aria-busy="true">Signing in…</p>`;
  if (!claims) return html`<${LoginPage} notice=${refused} onToken=${signIn} />`;
  const [page = 'functions', id] = route.path;
  // An address the console has no page for, or one this token's roles do not open, says so: showing
  // another page under it would pass for that page being empty.
  const body =
    page === 'functions' && id ? html`<${FunctionPage} key=${id} name=${id} claims=${claims} />`
    : page === 'functions' ? html`<${FunctionsPage} />`
    : page === 'jobs' && id ? html`<${JobPage} key=${id} id=${id} claims=${claims} />`
    : page === 'jobs' ? html`<${JobsPage} route=${route} claims=${claims} />`
    : page === 'pool' ? (offers(claims, 'pool') ? html`<${PoolPage} />` : closed('Pool', 'Only an admin or a viewer of every namespace sees the pool in detail.'))
    : page === 'audit' ? (offers(claims, 'audit') ? html`<${AuditPage} route=${route} />` : closed('Audit', 'Only admins read the audit log.'))
    : closed('Not found', html`The console has no page at <code>${location.hash}</code>.`);
  const signOut = () => (endBoardSession(), forgetToken(), setClaims(null));
  const queues = (e: Event) => (e.preventDefault(), setBoardRefused(''), openBoard().catch((err: Error) => setBoardRefused(`The queue board did not open: ${err.message}`)));
  return html`<header>
      <strong>Open-AutoGLM</strong>
      <nav>
        <a href="#/functions" class=${page === 'functions' ? 'current' : ''}>Functions</a>
        <a href="#/jobs" class=${page === 'jobs' ? 'current' : ''}>Jobs</a>
        ${offers(claims, 'pool') && html`<a href="#/pool" class=${page === 'pool' ? 'current' : ''}>Pool</a>`}
        ${offers(claims, 'audit') && html`<a href="#/audit" class=${page === 'audit' ? 'current' : ''}>Audit</a>`}
        ${offers(claims, 'queues') && html`<a href="/console/queues" onClick=${queues}>Queues</a>`}
      </nav>
      <span class="who">${claims.sub} (${claims.roles.join(', ')})</span>
      <button type="button" class="small" onClick=${signOut}>Sign out</button>
    </header>
    <main>${boardRefused && html`<p class="error" role="alert">${boardRefused}</p>`}${body}</main>`;
}
