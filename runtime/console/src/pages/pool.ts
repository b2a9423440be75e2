import { html } from 'htm/preact';
import { when } from '../parts/format.ts';
import { pending } from '../parts/status.ts';
import { useApi } from '../parts/use-api.ts';

const mib = (n: number | undefined) => (n === undefined ? '—' : `${Math.round(n / 1048576)} MiB`);

/** A GPU worker's latest reading (memory used of total, utilisation, temperature); '—' without one. */
export function gpuReading(g: { memoryUsedBytes: number; memoryTotalBytes: number; utilizationPct?: number; temperatureC?: number } | undefined): string {
  if (!g) return '—';
  const parts = [`${Math.round(g.memoryUsedBytes / 1048576)} / ${Math.round(g.memoryTotalBytes / 1048576)} MiB`];
  if (g.utilizationPct !== undefined) parts.push(`${g.utilizationPct}%`);
  if (g.temperatureC !== undefined) parts.push(`${g.temperatureC} °C`);
  return parts.join(' · ');
}

/**
 * A worker's device as the Slots table names it (`cpu:0`, `cuda:1`), so two workers on one kind of
 * device are told apart, with the device's name beside it when that says more than the kind.
 */
export function workerDevice(w: { device: string; deviceName?: string }): string {
  const kind = w.device.split(':')[0];
  return w.deviceName && w.deviceName !== kind && w.deviceName !== w.device ? `${w.device} (${w.deviceName})` : w.device;
}

/**
 * The pools as `GET /readyz` tells a token of admin or an all-namespace viewer: every slot and
 * every live worker (backend, isolation, models, restarts, and a GPU worker's memory, utilisation
 * and temperature as nvidia-smi last read them). Other tokens see the summary only.
 */
export function PoolPage() {
  const ready = useApi('/readyz');
  const shown = pending(ready);
  if (shown) return html`<section><h1>Pool</h1>${shown}</section>`;
  const r = ready.data;
  return html`<section>
    <h1>Pool <span class=${`badge ${r.ready ? 'ok' : 'failed'}`}>${r.ready ? 'ready' : 'not ready'}</span>
      <button type="button" class="small" onClick=${ready.reload}>Refresh</button></h1>
    ${r.reasons.length > 0 && html`<p class="error">${r.reasons.join('; ')}</p>`}
    <p>${r.counts.workers} live worker(s)${r.counts.slots !== undefined ? `, ${r.counts.slots} slot(s)` : ''}; Redis ${r.redis ? 'reachable' : 'unreachable'}.</p>
    ${!r.workers && html`<p class="muted">Slots and workers in detail are shown to admin tokens and viewers of every namespace.</p>`}
    ${r.slots &&
    html`<h2>Slots</h2><table class="slots">
      <thead><tr><th>Host</th><th>Slot</th><th>Device</th><th>State</th><th>Pid</th><th>Restarts</th><th>Last restart</th></tr></thead>
      <tbody>${r.slots.map(
        (s: any) => html`<tr>
          <td>${s.host}</td><td>${s.slot}</td><td>${s.device} (${s.kind})</td><td><span class=${`badge ${s.state}`}>${s.state}</span></td>
          <td>${s.pid ?? '—'}</td><td>${s.restarts}</td><td>${s.lastRestart ? `${s.lastRestart}, ${when(s.lastRestartAt)}` : '—'}</td>
        </tr>`,
      )}</tbody></table>`}
    ${r.workers &&
    html`<h2>Workers</h2><table class="workers">
      <thead><tr><th>Host</th><th>Pid</th><th>Device</th><th>Backend</th><th>Isolation</th><th>In flight</th><th>Jobs done</th><th>Restarts</th><th>Memory</th><th>GPU</th><th>Models</th></tr></thead>
      <tbody>${r.workers.map(
        (w: any) => html`<tr data-worker=${w.id}>
          <td>${w.host}</td><td>${w.pid}</td><td>${workerDevice(w)}</td><td>${w.backend}</td><td>${w.isolation ?? '—'}</td>
          <td>${w.inFlight}</td><td>${w.jobsDone}</td><td>${w.restarts ?? 0}</td><td>${mib(w.rss)}</td><td class="gpu">${gpuReading(w.gpu)}</td>
          <td>${(w.models ?? []).join(', ') || '—'}</td>
        </tr>`,
      )}</tbody></table>`}
  </section>`;
}
