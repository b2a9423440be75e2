import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { readClaims } from '../session.ts';

/** Asks for a bearer token; hands it on once it reads as a JWT with roles. `notice`: why the last one was dropped. */
export function LoginPage({ onToken, notice }: { onToken(token: string): void; notice?: string }) {
  const [problem, setProblem] = useState('');
  const submit = (e: Event) => {
    e.preventDefault();
    const token = (new FormData(e.target as HTMLFormElement).get('token') as string).trim();
    const claims = readClaims(token);
    if (!claims || claims.roles.length === 0) return setProblem('That is not a platform token (a JWT with roles).');
    onToken(token);
  };
  return html`<form class="login" onSubmit=${submit}>
    <h1>Open-AutoGLM console</h1>
    <label for="token">Bearer token</label>
    <textarea id="token" name="token" rows="4" placeholder="eyJ…" required></textarea>
    <p class="muted">From <code>npx autoglm token create</code> or the admin token file <code>npm start</code> names. Kept in this tab only (sessionStorage).</p>
    ${(problem || notice) && html`<p class="error" role="alert">${problem || notice}</p>`}
    <button type="submit">Sign in</button>
  </form>`;
}
