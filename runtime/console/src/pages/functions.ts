import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { millis, perSecond, share } from '../parts/figures.ts';
import { split } from '../parts/format.ts';
import { pageOf } from '../parts/paging.ts';
import { recentFigures, type Minute } from '../parts/rollups.ts';
import { pending } from '../parts/status.ts';
import { usePolled } from '../parts/use-polled.ts';
import { href } from '../parts/use-route.ts';

/** Rows per page: each shown row reads its own figures, so a page bounds the reads as well as the DOM. */
export const PAGE_SIZE = 25;
/** The live figures cover the last five minutes, read again every 10 s (the routers write every 5 s). */
const WINDOW_MINUTES = 5;
const EVERY_MS = 10_000;

/** A row's live cells: calls per second, 5xx share and sync p95 of the last minutes (`GET .../calls`). */
function LiveFigures({ name }: { name: string }) {
  const calls = usePolled<{ minutes: Minute[] }>(`/v1/functions/${encodeURIComponent(name)}/calls?minutes=${WINDOW_MINUTES}`, EVERY_MS);
  if (!calls.data) return html`<td class="muted" colspan="3">${calls.error ? calls.error.message : '…'}</td>`;
  const f = recentFigures(calls.data.minutes);
  return html`<td data-testid="calls-per-second">${perSecond(f.perSecond)}</td><td data-testid="error-rate">${share(f.errorRate)}</td><td>${millis(f.p95)}</td>`;
}

/**
 * Every function the token may read, a page of {@link PAGE_SIZE} at a time, filtered by name:
 * namespace, stable version, traffic split, and live calls/s, error rate and p95 per row.
 */
export function FunctionsPage() {
  const list = usePolled<{ items: any[] }>('/v1/functions', 15_000);
  const [filter, setFilter] = useState('');
  const [page, setPage] = useState(0);
  const all = list.data?.items ?? [];
  const { rows, page: at, pages, matching } = pageOf(all, (f) => !filter || f.name.includes(filter) || f.namespace.includes(filter), page, PAGE_SIZE);
  return html`<section>
    <h1>Functions</h1>
    ${(!list.data && pending(list)) ||
    html`<form class="filters" onSubmit=${(e: Event) => e.preventDefault()}>
        <label>Name or namespace <input type="search" name="filter" value=${filter} onInput=${(e: Event) => (setFilter((e.target as HTMLInputElement).value.trim()), setPage(0))} /></label>
        <span class="muted" data-testid="functions-count">${matching} of ${all.length}</span>
        <span class="muted">calls/s, errors (5xx share) and p95: last ${WINDOW_MINUTES} min, live</span>
      </form>
      <table class="functions">
        <thead><tr><th>Name</th><th>Namespace</th><th>Stable</th><th>Traffic</th><th>Versions</th><th>Calls/s</th><th>Errors</th><th>Sync p95</th></tr></thead>
        <tbody>
          ${rows.map(
            (f) => html`<tr data-function=${f.name} key=${f.name}>
              <td><a href=${href('functions', f.name)}>${f.name}</a></td>
              <td>${f.namespace}</td>
              <td><code>${f.stable ?? '—'}</code></td>
              <td>${split(f.traffic.routes)}${f.traffic.shadow ? ` · shadow ${f.traffic.shadow.version} ${f.traffic.shadow.percent}%` : ''}</td>
              <td>${f.versionCount}</td>
              <${LiveFigures} name=${f.name} />
            </tr>`,
          )}
        </tbody>
      </table>
      ${pages > 1 &&
      html`<nav class="pager controls" aria-label="pages">
        <button type="button" class="small" name="previous" disabled=${at === 0} onClick=${() => setPage(at - 1)}>Previous</button>
        <span data-testid="page">page ${at + 1} of ${pages}</span>
        <button type="button" class="small" name="next" disabled=${at === pages - 1} onClick=${() => setPage(at + 1)}>Next</button>
      </nav>`}`}
  </section>`;
}
