import { html } from 'htm/preact';
import { CallsPanel } from '../parts/calls-panel.ts';
import { DriftPanel } from '../parts/drift-panel.ts';
import { when } from '../parts/format.ts';
import { InvokePanel } from '../parts/invoke-panel.ts';
import { LogsPanel } from '../parts/logs-panel.ts';
import { pending } from '../parts/status.ts';
import { TrafficPanel } from '../parts/traffic-panel.ts';
import { useApi } from '../parts/use-api.ts';
import { href } from '../parts/use-route.ts';
import { offers, type Claims } from '../session.ts';

/** One function: its last hour's calls, its traffic (with controls for deployers), a way to invoke it, versions, drift and recent logs. */
export function FunctionPage({ name, claims }: { name: string; claims: Claims }) {
  const fn = useApi(`/v1/functions/${encodeURIComponent(name)}`);
  const shown = pending(fn);
  if (shown) return html`<section><h1>${name}</h1>${shown}</section>`;
  const f = fn.data;
  return html`<section>
    <h1>${f.name} <span class="muted">in ${f.namespace}</span></h1>
    <p>${f.description} · <a href=${`${href('jobs')}?function=${encodeURIComponent(f.name)}`}>its jobs</a></p>
    <${CallsPanel} name=${f.name} />
    <${TrafficPanel} fn=${f} canChange=${offers(claims, 'traffic')} onChanged=${fn.reload} />
    ${offers(claims, 'invoke') && html`<${InvokePanel} name=${f.name} />`}
    <section class="panel versions">
      <h2>Versions</h2>
      <table>
        <thead><tr><th>Version</th><th>Traffic</th><th>Device</th><th>Size</th><th>By</th><th>When</th></tr></thead>
        <tbody>
          ${f.versions.map(
            (v: any) => html`<tr data-version=${v.version}>
              <td><code>${v.version}</code>${v.version === f.stable ? html` <span class="badge ok">stable</span>` : ''}</td>
              <td>${v.traffic}%</td>
              <td>${v.device}</td>
              <td>${(v.size / 1024).toFixed(1)} KiB</td>
              <td>${v.createdBy}</td>
              <td>${when(v.createdAt)}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </section>
    ${f.stable && html`<${DriftPanel} name=${f.name} version=${f.stable} />`}
    ${offers(claims, 'logs') && html`<${LogsPanel} name=${f.name} />`}
  </section>`;
}
