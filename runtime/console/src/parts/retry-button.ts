import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api, ApiError } from '../api.ts';

/**
 * Runs a dead letter again (`POST /v1/jobs/{id}/retry`, what `autoglm jobs retry` calls), for a
 * token that may; `onRetried` then follows the job to its new outcome.
 */
export function RetryButton({ id, onRetried }: { id: string; onRetried(): void }) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState('');
  const retry = async () => {
    setBusy(true);
    setProblem('');
    try {
      await api('POST', `/v1/jobs/${encodeURIComponent(id)}/retry`);
      onRetried();
    } catch (err) {
      setProblem(err instanceof ApiError && err.code ? `${err.code}: ${err.message}` : (err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return html`<div class="controls retry">
    <button type="button" disabled=${busy} onClick=${retry}>Retry</button>
    ${problem && html`<p class="error" role="alert">${problem}</p>`}
  </div>`;
}
