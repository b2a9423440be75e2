import { html } from 'htm/preact';
import { size } from './figures.ts';
import { when } from './format.ts';

const ms = (n: number | undefined) => (n === undefined ? '—' : `${Math.round(n)} ms`);

/** `KEY=value` pairs of a version's settings, or '—'. */
const settings = (env: Record<string, string>) => Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ') || '—';

/**
 * A function's versions, newest first (`GET /v1/functions/{name}`): traffic and shadow share,
 * settings (`env`), device, size, who deployed it and when, and what the live workers report of
 * running it (items ok and failed, items per handler call, p95 of a call and of the wait before it).
 */
export function VersionsPanel({ fn }: { fn: any }) {
  return html`<section class="panel versions">
    <h2>Versions</h2>
    <table>
      <thead><tr><th>Version</th><th>Traffic</th><th>Env</th><th>Device</th><th>Size</th><th>By</th><th>When</th><th>Items ok / failed</th><th>Per call</th><th>Run p95</th><th>Wait p95</th></tr></thead>
      <tbody>
        ${fn.versions.map((v: any) => {
          const r = v.running;
          return html`<tr data-version=${v.version}>
            <td><code>${v.version}</code>${v.version === fn.stable ? html` <span class="badge ok">stable</span>` : ''}</td>
            <td>${v.traffic}%${v.shadow ? ` · shadow ${v.shadow}%` : ''}</td>
            <td><code>${settings(v.env)}</code></td>
            <td>${v.device}</td>
            <td>${size(v.size)}</td>
            <td>${v.createdBy}</td>
            <td>${when(v.createdAt)}</td>
            <td data-testid="version-items">${r ? `${r.ok} / ${r.failed}` : '—'}</td>
            <td>${r ? r.meanBatchSize.toFixed(1) : '—'}</td>
            <td>${ms(r?.runP95Ms)}</td>
            <td>${ms(r?.queueP95Ms)}</td>
          </tr>`;
        })}
      </tbody>
    </table>
    <p class="muted">Running figures are the live workers' since they started (absent when none has run the version).</p>
  </section>`;
}
