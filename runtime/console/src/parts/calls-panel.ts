import { html } from 'htm/preact';
import { pending } from './status.ts';
import { useApi } from './use-api.ts';

interface Minute {
  t: number;
  calls: number;
  clientErrors: number;
  serverErrors: number;
  p95: number | null;
}

const ms = (s: number | null | undefined) => (s === null || s === undefined ? '—' : `${Math.round(s * 1000)} ms`);

/**
 * A function's last hour from the routers' per-minute rollups (`GET /v1/functions/{name}/calls`),
 * as figures; the live chart of them is not built yet.
 */
export function CallsPanel({ name }: { name: string }) {
  const calls = useApi<{ minutes: Minute[] }>(`/v1/functions/${encodeURIComponent(name)}/calls?minutes=60`);
  const shown = pending(calls);
  const m = calls.data?.minutes ?? [];
  const sum = (k: 'calls' | 'clientErrors' | 'serverErrors') => m.reduce((n, x) => n + x[k], 0);
  const total = sum('calls');
  const latest = [...m].reverse().find((x) => x.p95 !== null);
  return html`<section class="panel calls">
    <h2>Last hour <button type="button" class="small" onClick=${calls.reload}>Refresh</button></h2>
    ${shown ??
    html`<dl class="figures">
      <div><dt>Calls</dt><dd data-testid="calls-total">${total}</dd></div>
      <div><dt>Per second</dt><dd>${(total / 3600).toFixed(2)}</dd></div>
      <div><dt>4xx</dt><dd data-testid="calls-4xx">${sum('clientErrors')}</dd></div>
      <div><dt>5xx</dt><dd data-testid="calls-5xx">${sum('serverErrors')}</dd></div>
      <div><dt>Sync p95 (latest minute with calls)</dt><dd>${ms(latest?.p95)}</dd></div>
    </dl>`}
  </section>`;
}
