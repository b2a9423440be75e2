import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { took, when } from '../parts/format.ts';
import { RetryButton } from '../parts/retry-button.ts';
import { TraceWaterfall } from '../parts/trace-waterfall.ts';
import { pending } from '../parts/status.ts';
import { useApi } from '../parts/use-api.ts';
import { href } from '../parts/use-route.ts';
import { offers, type Claims } from '../session.ts';

const ENDED = new Set(['succeeded', 'failed', 'cancelled']);

/**
 * One job (`GET /v1/jobs/{id}`): status, timings, attempts, error, callback, output, and its trace; a
 * dead letter has a Retry button for a token that may retry it. After a retry the page long-polls the
 * job (`?wait=`) until it ends, so the new outcome shows without a reload.
 */
export function JobPage({ id, claims }: { id: string; claims: Claims }) {
  const [following, setFollowing] = useState(0);
  const job = useApi(`/v1/jobs/${encodeURIComponent(id)}${following ? `?wait=30s&n=${following}` : ''}`);
  const status: string | undefined = job.data?.status;
  useEffect(() => {
    if (!following || !status) return;
    if (ENDED.has(status)) setFollowing(0);
    else setFollowing((n) => n + 1); // the wait ran out before the job ended: wait again
  }, [job.data]);
  const shown = pending(job);
  if (shown) return html`<section><h1>Job ${id}</h1>${shown}</section>`;
  const j = job.data;
  const t = j.timings;
  return html`<section class="job">
    <h1>Job <code>${j.id}</code> <span class=${`badge ${j.status}`} data-testid="job-status">${j.status}</span></h1>
    ${j.status === 'failed' && !j.partOf && offers(claims, 'retry') && html`<${RetryButton} id=${j.id} onRetried=${() => setFollowing(1)} />`}
    <dl>
      <dt>Function</dt><dd><a href=${href('functions', j.function)}>${j.function}</a> <code>${j.version}</code> in ${j.namespace}</dd>
      <dt>Submitted by</dt><dd>${j.submittedBy ?? 'several callers'}</dd>
      <dt>Queued</dt><dd>${when(t.queued)}</dd>
      <dt>Started</dt><dd>${when(t.started)} (waited ${took(t.queued, t.started)})</dd>
      <dt>Finished</dt><dd>${when(t.finished)} (ran ${took(t.started, t.finished)})</dd>
      <dt>Attempts</dt><dd>${j.attempts} of ${j.maxAttempts}</dd>
      <dt>Device</dt><dd>${j.device ?? '—'}${j.backend ? ` (${j.backend})` : ''}${j.batchSize ? `, batch of ${j.batchSize}` : ''}</dd>
      ${j.knowledge && html`<dt>Knowledge</dt><dd>${Object.entries(j.knowledge as Record<string, string>).map(([name, version]) => `${name} ${version}`).join(', ')}</dd>`}
      ${j.itemCount !== undefined && html`<dt>Items</dt><dd>${j.itemCount}, ${j.itemsFailed ?? 0} failed</dd>`}
      ${j.callback && html`<dt>Callback</dt><dd>${j.callback.url}: ${j.callback.status} after ${j.callback.attempts} attempt(s)${j.callback.refused ? `, refused: ${j.callback.refused}` : ''}</dd>`}
      ${j.error && html`<dt>Error</dt><dd class="error" data-testid="job-error">${j.error.code}: ${j.error.message}${j.error.retryable ? ' (retryable)' : ''}</dd>`}
    </dl>
    ${j.output !== undefined && html`<h2>Output</h2><pre>${JSON.stringify(j.output, null, 2)}</pre>`}
    <${TraceWaterfall} id=${j.id} />
  </section>`;
}
