import { html } from 'htm/preact';
import { took, when } from '../parts/format.ts';
import { pending } from '../parts/status.ts';
import { useApi } from '../parts/use-api.ts';
import { href } from '../parts/use-route.ts';

/** One job (`GET /v1/jobs/{id}`): status, timings, attempts, error, callback, output. */
export function JobPage({ id }: { id: string }) {
  const job = useApi(`/v1/jobs/${encodeURIComponent(id)}`);
  const shown = pending(job);
  if (shown) return html`<section><h1>Job ${id}</h1>${shown}</section>`;
  const j = job.data;
  const t = j.timings;
  return html`<section class="job">
    <h1>Job <code>${j.id}</code> <span class=${`badge ${j.status}`} data-testid="job-status">${j.status}</span></h1>
    <dl>
      <dt>Function</dt><dd><a href=${href('functions', j.function)}>${j.function}</a> <code>${j.version}</code> in ${j.namespace}</dd>
      <dt>Submitted by</dt><dd>${j.submittedBy ?? 'several callers'}</dd>
      <dt>Queued</dt><dd>${when(t.queued)}</dd>
      <dt>Started</dt><dd>${when(t.started)} (waited ${took(t.queued, t.started)})</dd>
      <dt>Finished</dt><dd>${when(t.finished)} (ran ${took(t.started, t.finished)})</dd>
      <dt>Attempts</dt><dd>${j.attempts} of ${j.maxAttempts}</dd>
      <dt>Device</dt><dd>${j.device ?? '—'}${j.backend ? ` (${j.backend})` : ''}${j.batchSize ? `, batch of ${j.batchSize}` : ''}</dd>
      ${j.itemCount !== undefined && html`<dt>Items</dt><dd>${j.itemCount}, ${j.itemsFailed ?? 0} failed</dd>`}
      ${j.callback && html`<dt>Callback</dt><dd>${j.callback.url}: ${j.callback.status} after ${j.callback.attempts} attempt(s)${j.callback.refused ? `, refused: ${j.callback.refused}` : ''}</dd>`}
      ${j.error && html`<dt>Error</dt><dd class="error" data-testid="job-error">${j.error.code}: ${j.error.message}${j.error.retryable ? ' (retryable)' : ''}</dd>`}
    </dl>
    ${j.output !== undefined && html`<h2>Output</h2><pre>${JSON.stringify(j.output, null, 2)}</pre>`}
  </section>`;
}
