import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { when } from '../parts/format.ts';
import { pending } from '../parts/status.ts';
import { TrainingsPanel } from '../parts/trainings-panel.ts';
import { useApi } from '../parts/use-api.ts';
import { href, type Route } from '../parts/use-route.ts';
import { offers, type Claims } from '../session.ts';

const STATUSES = [
  ['', 'all'],
  ['failed', 'failed (dead letters)'],
  ['succeeded', 'succeeded'],
  ['running', 'running'],
  ['queued', 'queued'],
] as const;

/** Jobs a page shows, unless the hash says (`limit=`). */
const PAGE = 50;

/**
 * Recent jobs of every function the token may read, newest first, a page at a time
 * (`GET /v1/jobs?function=&status=&cursor=`; failed ones are the dead letters). The filters and
 * the page's cursor live in the hash, so a filtered page is a link. Below them, the recent
 * trainings (of the function filtered on, if any).
 */
export function JobsPage({ route, claims }: { route: Route; claims: Claims }) {
  const fn = route.query.get('function') ?? '';
  const status = route.query.get('status') ?? '';
  const cursor = route.query.get('cursor') ?? '';
  const limit = route.query.get('limit') ?? String(PAGE);
  // The cursors of the pages before this one, for Previous (the API pages forward only).
  const [trail, setTrail] = useState<string[]>([]);
  const functions = useApi<{ items: { name: string }[] }>('/v1/functions');
  const q = new URLSearchParams({ limit });
  if (fn) q.set('function', fn);
  if (status) q.set('status', status);
  if (cursor) q.set('cursor', cursor);
  const jobs = useApi<{ items: any[]; next?: string }>(`/v1/jobs?${q}`);
  const go = (next: { function?: string; status?: string; cursor?: string }) => {
    const h = new URLSearchParams();
    const f = next.function ?? fn;
    const s = next.status ?? status;
    if (f) h.set('function', f);
    if (s) h.set('status', s);
    if (limit !== String(PAGE)) h.set('limit', limit);
    if (next.cursor) h.set('cursor', next.cursor);
    const qs = h.toString();
    location.hash = `${href('jobs')}${qs ? `?${qs}` : ''}`;
  };
  const filter = (next: { function?: string; status?: string }) => (setTrail([]), go(next));
  const names = functions.data?.items.map((f) => f.name) ?? [];
  return html`<section>
    <h1>Jobs</h1>
    <form class="filters" onSubmit=${(e: Event) => e.preventDefault()}>
      <label>Function <select name="function" value=${fn} onChange=${(e: Event) => filter({ function: (e.target as HTMLSelectElement).value })}>
        <option value="">all</option>
        ${(names.includes(fn) || !fn ? names : [fn, ...names]).map((n) => html`<option value=${n}>${n}</option>`)}
      </select></label>
      <label>Status <select name="status" value=${status} onChange=${(e: Event) => filter({ status: (e.target as HTMLSelectElement).value })}>
        ${STATUSES.map(([v, label]) => html`<option value=${v}>${label}</option>`)}
      </select></label>
      <button type="button" class="small" onClick=${jobs.reload}>Refresh</button>
    </form>
    ${pending(jobs) ??
    (jobs.data!.items.length === 0
      ? html`<p class="muted">No ${status || ''} jobs${fn ? ` of ${fn}` : ''}${cursor ? ' after these' : ''}.</p>`
      : html`<table class="jobs">
          <thead><tr><th>Job</th><th>Function</th><th>Status</th><th>Version</th><th>Queued</th><th>Finished</th><th>Attempts</th><th>Error</th></tr></thead>
          <tbody>
            ${jobs.data!.items.map(
              (j) => html`<tr data-job=${j.id}>
                <td><a href=${href('jobs', j.id)}>${j.id}</a></td>
                <td>${j.function}</td>
                <td><span class=${`badge ${j.status}`}>${j.status}</span></td>
                <td><code>${j.version}</code></td>
                <td>${when(j.timings.queued)}</td>
                <td>${when(j.timings.finished)}</td>
                <td>${j.attempts}/${j.maxAttempts}</td>
                <td>${j.error ? `${j.error.code}: ${j.error.message}` : ''}</td>
              </tr>`,
            )}
          </tbody>
        </table>`)}
    <div class="controls pager">
      <button type="button" class="small" disabled=${!cursor} onClick=${() => (setTrail([]), go({}))}>Newest</button>
      <button type="button" class="small" disabled=${!cursor} onClick=${() => (setTrail(trail.slice(0, -1)), go({ cursor: trail.at(-1) ?? '' }))}>Previous</button>
      <button type="button" class="small" disabled=${!jobs.data?.next} onClick=${() => (setTrail([...trail, cursor]), go({ cursor: jobs.data!.next! }))}>Next</button>
    </div>
    <${TrainingsPanel} fn=${fn || undefined} canStart=${offers(claims, 'train')} />
  </section>`;
}
