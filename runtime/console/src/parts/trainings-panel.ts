import { html } from 'htm/preact';
import { when } from './format.ts';
import { TrainingCancelButton } from './training-cancel-button.ts';
import { anyLive, cancellable, isLive, outcomeLine, progressFraction, progressLine, type Training } from './training-format.ts';
import { usePolled } from './use-polled.ts';
import { href } from './use-route.ts';

/** Read again this often while a training is queued, running or finishing: a worker reports about once an epoch. */
const EVERY_MS = 3_000;

/** Trainings the panel lists, newest first. */
const LIMIT = 20;

/** The last progress reported, with a bar while it may still move (an ended one's bar would only mislead). */
function progressCell(t: Training) {
  const f = isLive(t.status) ? progressFraction(t.progress) : undefined;
  const line = progressLine(t.progress, t.primaryMetric);
  return html`<td class="progress" data-testid="training-progress">
    ${f !== undefined && html`<progress max="100" value=${Math.round(f * 100)} title=${`${Math.round(f * 100)}%`}></progress> `}
    ${line || (t.status === 'queued' ? 'waiting for a worker' : '—')}
  </td>`;
}

/**
 * Recent trainings (`GET /v1/trainings?function=`) of every function the token may read, or of
 * `fn`: status, progress (a bar when the epochs or steps are known), the dataset's records, the
 * new version and its verdict, who started it and when, and Cancel while queued or running. Read
 * every 3 s while any can change; once all ended, no more until Refresh or a cancel. `hideEmpty`
 * (a function's page) shows nothing for a function never trained (nor while reading). `canStart`:
 * the token may start a training (deployers and admins), so an empty list says how.
 */
export function TrainingsPanel({ fn, hideEmpty = false, canStart = false }: { fn?: string; hideEmpty?: boolean; canStart?: boolean }) {
  const q = new URLSearchParams({ limit: String(LIMIT) });
  if (fn) q.set('function', fn);
  const list = usePolled<{ items: Training[] }>(`/v1/trainings?${q}`, EVERY_MS, (data) => data !== undefined && !anyLive(data.items));
  const items = list.data?.items;
  // A function's page shows the panel only once it knows there is something to show.
  if (hideEmpty && !items?.length && !list.error) return null;
  return html`<section class="panel trainings">
    <h2>Trainings <button type="button" class="small" onClick=${list.reload}>Refresh</button></h2>
    ${list.error && html`<p class="error" role="alert">${list.error.message}</p>`}
    ${items === undefined
      ? !list.error && html`<p class="muted">Loading…</p>`
      : items.length === 0
        ? html`<p class="muted" data-testid="no-trainings">No trainings${fn ? ` of ${fn}` : ''}${canStart ? html`: start one with <code>autoglm train</code>` : ''}.</p>`
        : html`<table>
            <thead><tr><th>Training</th><th>Function</th><th>Status</th><th>Progress</th><th>Records</th><th>New version</th><th>Outcome</th><th>Created</th><th></th></tr></thead>
            <tbody>
              ${items.map(
                (t) => html`<tr key=${t.id} data-training=${t.id}>
                  <td><code>${t.id}</code></td>
                  <td><a href=${href('functions', t.function)}>${t.function}</a></td>
                  <td><span class=${`badge ${t.status}`} data-testid="training-status">${t.status}</span></td>
                  ${progressCell(t)}
                  <td data-testid="training-records">${t.dataset.records}</td>
                  <td>${t.result ? html`<code data-testid="training-version">${t.result.version}</code>` : '—'}</td>
                  <td data-testid="training-outcome">${outcomeLine(t)}</td>
                  <td>${when(t.createdAt)} by ${t.createdBy}</td>
                  <td>${cancellable(t) && html`<${TrainingCancelButton} id=${t.id} fn=${t.function} onCancelled=${list.reload} />`}</td>
                </tr>`,
              )}
            </tbody>
          </table>`}
  </section>`;
}
