import { html } from 'htm/preact';
import { when } from '../parts/format.ts';
import { pending } from '../parts/status.ts';
import { useApi } from '../parts/use-api.ts';
import { href, type Route } from '../parts/use-route.ts';

const STATUSES = ['failed', 'succeeded', 'running', 'queued'] as const;

/**
 * A function's jobs by status (`GET /v1/jobs?function=&status=`; failed ones are the dead
 * letters). The filter lives in the hash, so a filtered list is a link.
 */
export function JobsPage({ route }: { route: Route }) {
  const functions = useApi<{ items: { name: string }[] }>('/v1/functions');
  const names = functions.data?.items.map((f) => f.name) ?? [];
  const fn = route.query.get('function') ?? names[0] ?? null;
  const status = route.query.get('status') ?? 'failed';
  const jobs = useApi<{ items: any[] }>(fn ? `/v1/jobs?function=${encodeURIComponent(fn)}&status=${status}&limit=100` : null);
  const go = (next: { function?: string; status?: string }) => {
    location.hash = `${href('jobs')}?${new URLSearchParams({ function: next.function ?? fn ?? '', status: next.status ?? status })}`;
  };
  return html`<section>
    <h1>Jobs</h1>
    <form class="filters" onSubmit=${(e: Event) => e.preventDefault()}>
      <label>Function <select name="function" value=${fn ?? ''} onChange=${(e: Event) => go({ function: (e.target as HTMLSelectElement).value })}>
        ${names.map((n) => html`<option value=${n}>${n}</option>`)}
      </select></label>
      <label>Status <select name="status" value=${status} onChange=${(e: Event) => go({ status: (e.target as HTMLSelectElement).value })}>
        ${STATUSES.map((s) => html`<option value=${s}>${s}</option>`)}
      </select></label>
      <button type="button" class="small" onClick=${jobs.reload}>Refresh</button>
    </form>
    ${pending(functions) ??
    (fn === null
      ? html`<p class="muted">No function to list jobs of.</p>`
      : pending(jobs) ??
        (jobs.data!.items.length === 0
          ? html`<p class="muted">No ${status} jobs of ${fn}.</p>`
          : html`<table class="jobs">
              <thead><tr><th>Job</th><th>Status</th><th>Version</th><th>Queued</th><th>Attempts</th><th>Error</th></tr></thead>
              <tbody>
                ${jobs.data!.items.map(
                  (j) => html`<tr data-job=${j.id}>
                    <td><a href=${href('jobs', j.id)}>${j.id}</a></td>
                    <td><span class=${`badge ${j.status}`}>${j.status}</span></td>
                    <td><code>${j.version}</code></td>
                    <td>${when(j.timings.queued)}</td>
                    <td>${j.attempts}/${j.maxAttempts}</td>
                    <td>${j.error ? `${j.error.code}: ${j.error.message}` : ''}</td>
                  </tr>`,
                )}
              </tbody>
            </table>`))}
  </section>`;
}
