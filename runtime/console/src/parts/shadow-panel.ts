import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { get } from '../api.ts';
import { share } from './figures.ts';
import { usePolled } from './use-polled.ts';

const ms = (n: number | null) => (n === null ? '—' : `${Math.round(n)} ms`);

/**
 * At most this many versions are asked for a report when no shadow runs: a function with a long
 * history of versions never shadowed should not cost a page load dozens of requests.
 */
export const SHADOW_LOOKBACK = 10;

/**
 * The shadow report (`GET /v1/functions/{name}/shadow`): how often the candidate answered as the
 * serving version did, each side's errors and latencies. While a shadow runs, the current one's,
 * read again every 10 s; otherwise the last candidate's that has samples: `candidates` (the other
 * versions, newest first) are asked one at a time until one has. Shown only when there is
 * something to show.
 */
export function ShadowPanel({ name, shadowing, candidates }: { name: string; shadowing: boolean; candidates: string[] }) {
  return shadowing ? html`<${LiveShadow} name=${name} />` : html`<${LastShadow} name=${name} candidates=${candidates} />`;
}

function LiveShadow({ name }: { name: string }) {
  const r = usePolled(`/v1/functions/${encodeURIComponent(name)}/shadow`, 10_000);
  return html`<${ShadowReport} live data=${r.data} error=${r.error} />`;
}

function LastShadow({ name, candidates }: { name: string; candidates: string[] }) {
  const [found, setFound] = useState<any>(undefined);
  // The versions as a string: the page re-reads the function now and then, with a new array each time.
  const asked = candidates.slice(0, SHADOW_LOOKBACK).join('\n');
  useEffect(() => {
    let live = true;
    setFound(undefined);
    // No shadow runs, so no report grows: read once (the panel is keyed on the shadow, so starting
    // or stopping one reads again). One version at a time, stopping at the first with samples.
    void (async () => {
      for (const v of asked ? asked.split('\n') : []) {
        try {
          const data = await get(`/v1/functions/${encodeURIComponent(name)}/shadow?version=${encodeURIComponent(v)}`);
          if (!live) return;
          if (data?.report?.samples > 0) return setFound(data);
        } catch {
          // A version removed meanwhile (400) or a passing failure: the older ones may still answer.
          if (!live) return;
        }
      }
    })();
    return () => {
      live = false;
    };
  }, [name, asked]);
  return found ? html`<${ShadowReport} data=${found} />` : null;
}

function ShadowReport({ live = false, data, error }: { live?: boolean; data: any; error?: Error | undefined }) {
  const report = data?.report;
  return html`<section class="panel shadow">
    <h2>Shadow <span class="muted">${live ? '(running, live)' : '(last run)'}</span></h2>
    ${error && html`<p class="error" role="alert">${error.message}</p>`}
    ${!report || report.samples === 0
      ? html`<p class="muted">No samples yet.</p>`
      : html`<p>Candidate <code>${report.candidate}</code> against <code>${data.serving ?? '—'}</code>.</p>
          <dl class="figures">
            <div><dt>Samples</dt><dd data-testid="shadow-samples">${report.samples}</dd></div>
            <div><dt>Agreement</dt><dd data-testid="shadow-agreement">${share(report.agreement)}</dd></div>
            <div><dt>Serving errors</dt><dd>${report.servingErrors}</dd></div>
            <div><dt>Shadow errors</dt><dd data-testid="shadow-errors">${report.shadowErrors}</dd></div>
            <div><dt>p50 / p95 serving</dt><dd>${ms(report.latencyMs.serving.p50)} / ${ms(report.latencyMs.serving.p95)}</dd></div>
            <div><dt>p50 / p95 shadow</dt><dd>${ms(report.latencyMs.shadow.p50)} / ${ms(report.latencyMs.shadow.p95)}</dd></div>
          </dl>`}
  </section>`;
}
