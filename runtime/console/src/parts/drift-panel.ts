import { html } from 'htm/preact';
import { useApi } from './use-api.ts';
import { Histogram } from './histogram.ts';

/** PSI per feature of one version's live inputs (`GET /v1/functions/{name}/drift`), when it watches drift. */
export function DriftPanel({ name, version }: { name: string; version: string }) {
  const report = useApi(`/v1/functions/${encodeURIComponent(name)}/drift?version=${version}`);
  const e = report.error as { code?: string } | undefined;
  // Most versions watch nothing: say so quietly rather than as an error.
  if (e?.code === 'DRIFT_NOT_WATCHED') return html`<section class="panel drift"><h2>Drift</h2><p class="muted">Version <code>${version}</code> watches no input features.</p></section>`;
  if (report.error) return html`<section class="panel drift"><h2>Drift</h2><p class="error" role="alert">${report.error.message}</p></section>`;
  if (!report.data) return html`<section class="panel drift"><h2>Drift</h2><p class="muted">Loading…</p></section>`;
  const r = report.data;
  return html`<section class="panel drift">
    <h2>Drift</h2>
    <p class="muted">Version <code>${r.version}</code>, window ${Math.round(r.windowMs / 60000)} min, a verdict from ${r.minCount} values; warn from ${r.thresholds.warn}, drift from ${r.thresholds.drift}. Bars: <span class="expected-key">baseline</span> / <span class="actual-key">live</span>.</p>
    <table>
      <thead><tr><th>Feature</th><th>PSI</th><th>Status</th><th>Values</th><th>Bins</th></tr></thead>
      <tbody>
        ${r.features.map(
          (f: any) => html`<tr data-feature=${f.name}>
            <td>${f.name}</td>
            <td>${f.psi.toFixed(3)}</td>
            <td><span class=${`badge ${f.status}`}>${f.status}</span></td>
            <td>${f.count}</td>
            <td><${Histogram} bins=${f.bins} /></td>
          </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}
