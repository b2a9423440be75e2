import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { AUDIT_ACTIONS } from '../parts/audit-actions.ts';
import { when } from '../parts/format.ts';
import { pending } from '../parts/status.ts';
import { useApi } from '../parts/use-api.ts';
import { href, type Route } from '../parts/use-route.ts';
import { VerifyPanel } from '../parts/verify-panel.ts';

/** The query's filters, as `GET /v1/audit` names them (docs/audit.md). */
const FIELDS = ['actor', 'function', 'action', 'outcome', 'namespace', 'since', 'until'] as const;
const PAGE = 50;

/** The filters of the route's query that are set, in the API's terms. */
function filters(route: Route): URLSearchParams {
  const q = new URLSearchParams();
  for (const f of FIELDS) {
    const v = route.query.get(f)?.trim();
    if (v) q.set(f, v);
  }
  return q;
}

/**
 * The audit log (admin only): a query by actor, function, action, outcome, namespace and time,
 * newest first, a page at a time (the API's `next` cursor), each record opening to all its
 * fields; and the verification of every chain. The filters live in the hash, so a query is a link.
 */
export function AuditPage({ route }: { route: Route }) {
  const q = filters(route);
  const submit = (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.target as HTMLFormElement);
    const next = new URLSearchParams();
    for (const f of FIELDS) {
      const v = String(form.get(f) ?? '').trim();
      if (v) next.set(f, v);
    }
    location.hash = `${href('audit')}?${next}`;
  };
  return html`<section class="audit">
    <h1>Audit</h1>
    <${VerifyPanel} />
    <form class="filters audit-query" onSubmit=${submit}>
      <label>Actor <input name="actor" value=${q.get('actor') ?? ''} size="12" /></label>
      <label>Function <input name="function" value=${q.get('function') ?? ''} size="12" /></label>
      <label>Action <input name="action" list="audit-actions" value=${q.get('action') ?? ''} size="16" /></label>
      <datalist id="audit-actions">${AUDIT_ACTIONS.map((a) => html`<option value=${a} />`)}</datalist>
      <label>Outcome <select name="outcome" value=${q.get('outcome') ?? ''}>
        ${['', 'ok', 'error', 'denied'].map((o) => html`<option value=${o}>${o || 'any'}</option>`)}
      </select></label>
      <label>Namespace <input name="namespace" value=${q.get('namespace') ?? ''} size="10" /></label>
      <label>Since <input name="since" value=${q.get('since') ?? ''} placeholder="24h or 2024-05-01" size="14" /></label>
      <label>Until <input name="until" value=${q.get('until') ?? ''} placeholder="ISO time or age" size="14" /></label>
      <button type="submit" class="small">Search</button>
    </form>
    <${AuditResults} key=${q.toString()} query=${q} />
  </section>`;
}

/** One query's records, a page at a time: a stack of cursors, so "Newer" goes back the way it came. */
function AuditResults({ query }: { query: URLSearchParams }) {
  const [cursors, setCursors] = useState<string[]>([]);
  const [open, setOpen] = useState<string | null>(null);
  const before = cursors.at(-1);
  const page = useApi<{ items: any[]; next: string | null }>(`/v1/audit?${query}${query.toString() ? '&' : ''}limit=${PAGE}${before ? `&before=${encodeURIComponent(before)}` : ''}`);
  const shown = pending(page);
  if (shown) return shown;
  const { items, next } = page.data!;
  const nav = html`<p class="controls pager">
    <button type="button" class="small" disabled=${cursors.length === 0} onClick=${() => setCursors(cursors.slice(0, -1))}>← Newer</button>
    <span class="muted">page ${cursors.length + 1}</span>
    <button type="button" class="small" disabled=${!next} onClick=${() => next && setCursors([...cursors, next])}>Older →</button>
    <button type="button" class="small" onClick=${page.reload}>Refresh</button>
  </p>`;
  if (items.length === 0) return html`${nav}<p class="muted">No records match.</p>`;
  return html`${nav}<table class="audit-records">
      <thead><tr><th></th><th>Time</th><th>Actor</th><th>Action</th><th>Outcome</th><th>Namespace</th><th>Function</th><th>Job</th><th>Took</th></tr></thead>
      <tbody>${items.map((r) => {
        const id = `${r.chain}/${r.seq}`;
        const expanded = open === id;
        return html`<tr data-record=${id} class="record">
            <td><button type="button" class="small" aria-expanded=${expanded} title="All fields" onClick=${() => setOpen(expanded ? null : id)}>${expanded ? '▾' : '▸'}</button></td>
            <td>${when(r.time)}</td><td>${r.actor}</td><td><code>${r.action}</code></td>
            <td><span class=${`badge ${r.outcome === 'ok' ? 'ok' : 'failed'}`}>${r.outcome}</span>${r.code ? ` ${r.code}` : ''}</td>
            <td>${r.namespace ?? ''}</td><td>${r.function ?? ''}${r.version ? html` <code>${r.version}</code>` : ''}</td>
            <td>${r.jobId ? html`<a href=${href('jobs', r.jobId)}>${r.jobId}</a>` : ''}</td><td>${r.durationMs !== undefined ? `${r.durationMs} ms` : ''}</td>
          </tr>
          ${expanded && html`<tr class="record-detail"><td colspan="9"><pre>${JSON.stringify(r, null, 2)}</pre></td></tr>`}`;
      })}</tbody>
    </table>`;
}
