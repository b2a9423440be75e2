import { html } from 'htm/preact';
import { useMemo } from 'preact/hooks';
import { Chart } from './chart.ts';
import { millis, perSecond } from './figures.ts';
import { chartColumns, recentFigures, type Minute } from './rollups.ts';
import { pending } from './status.ts';
import { usePolled } from './use-polled.ts';

/** The routers write their rollups every 5 s; reading twice as often would show nothing new. */
const EVERY_MS = 10_000;

/**
 * A function's last hour from the routers' per-minute rollups (`GET /v1/functions/{name}/calls`):
 * the hour's figures, and live charts of calls per second, errors and sync p50/p95, read again
 * every 10 s. The rollups are per function, not per version: each version's own figures are the
 * workers' (the versions table).
 */
export function CallsPanel({ name }: { name: string }) {
  const calls = usePolled<{ minutes: Minute[] }>(`/v1/functions/${encodeURIComponent(name)}/calls?minutes=60`, EVERY_MS);
  const m = calls.data?.minutes;
  const c = useMemo(() => (m ? chartColumns(m) : undefined), [m]);
  const hour = useMemo(() => (m ? recentFigures(m) : undefined), [m]);
  const sum = (k: 'clientErrors' | 'serverErrors') => (m ?? []).reduce((n, x) => n + x[k], 0);
  return html`<section class="panel calls">
    <h2>Last hour <span class="muted">(live, every ${EVERY_MS / 1000} s)</span></h2>
    ${(!m && pending(calls)) ||
    html`${calls.error && html`<p class="error" role="alert">${calls.error.message}</p>`}
      <dl class="figures">
        <div><dt>Calls</dt><dd data-testid="calls-total">${hour!.calls}</dd></div>
        <div><dt>Per second</dt><dd>${perSecond(hour!.perSecond)}</dd></div>
        <div><dt>4xx</dt><dd data-testid="calls-4xx">${sum('clientErrors')}</dd></div>
        <div><dt>5xx</dt><dd data-testid="calls-5xx">${sum('serverErrors')}</dd></div>
        <div><dt>Sync p95 (latest minute with calls)</dt><dd>${millis(hour!.p95)}</dd></div>
      </dl>
      <div class="charts">
        <${Chart} title="Calls" unit="per s" testid="chart-calls" x=${c!.x} lines=${[{ label: 'calls/s', stroke: '#2456c9', values: c!.perSecond }]} />
        <${Chart} title="Errors" unit="per min" testid="chart-errors" x=${c!.x} lines=${[
          { label: '5xx', stroke: '#b42318', values: c!.serverErrors },
          { label: '4xx', stroke: '#b54708', values: c!.clientErrors },
        ]} />
        <${Chart} title="Sync latency" unit="ms" testid="chart-latency" x=${c!.x} lines=${[
          { label: 'p50', stroke: '#067647', values: c!.p50Ms },
          { label: 'p95', stroke: '#6941c6', values: c!.p95Ms },
        ]} />
      </div>`}
  </section>`;
}
