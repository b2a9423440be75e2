import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { split, when } from './format.ts';

/**
 * A function's traffic table, with promote and rollback for a token that may deploy
 * (`POST /v1/functions/{name}/promote|rollback`, the API `autoglm promote|rollback` use).
 */
export function TrafficPanel({ fn, canChange, onChanged }: { fn: any; canChange: boolean; onChanged(): void }) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState('');
  const t = fn.traffic;
  const act = async (path: string, body?: unknown) => {
    setBusy(true);
    setProblem('');
    try {
      await api('POST', `/v1/functions/${encodeURIComponent(fn.name)}/${path}`, body);
      onChanged();
    } catch (e) {
      setProblem((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const canary = t.routes.length > 1 || t.shadow !== null;
  return html`<section class="panel traffic">
    <h2>Traffic</h2>
    <p>Stable <code>${t.stable ?? '—'}</code>; serving <span data-testid="split">${split(t.routes)}</span>${t.shadow ? html`; shadow <code>${t.shadow.version}</code> ${t.shadow.percent}%` : ''}.</p>
    <p class="muted">Changed ${when(t.updatedAt)} by ${t.updatedBy}.</p>
    ${canChange &&
    html`<div class="controls">
      <button type="button" class="danger" disabled=${busy || (!canary && t.history.length === 0)} onClick=${() => act('rollback')}>
        ${canary ? 'Roll back the canary' : 'Roll back to the previous stable'}
      </button>
      ${fn.versions
        .filter((v: any) => v.version !== t.stable)
        .slice(0, 5)
        .map((v: any) => html`<button type="button" disabled=${busy} onClick=${() => act('promote', { version: v.version })}>Promote ${v.version}</button>`)}
    </div>`}
    ${problem && html`<p class="error" role="alert">${problem}</p>`}
  </section>`;
}
