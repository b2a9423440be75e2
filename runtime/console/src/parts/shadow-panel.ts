import { html } from 'htm/preact';
import { share } from './figures.ts';
import { usePolled } from './use-polled.ts';

const ms = (n: number | null) => (n === null ? '—' : `${Math.round(n)} ms`);

/**
 * The shadow report (`GET /v1/functions/{name}/shadow`): how often the candidate answered as the
 * serving version did, each side's errors and latencies. Read for the current shadow, else for
 * `candidate` (the newest other version: the last one shadowed, as a rule), and shown only
 * when there is something to show; read again every 10 s while the shadow runs.
 */
export function ShadowPanel({ name, shadowing, candidate }: { name: string; shadowing: boolean; candidate: string | undefined }) {
  const path = shadowing ? '' : candidate ? `?version=${encodeURIComponent(candidate)}` : null;
  const r = usePolled(path === null ? null : `/v1/functions/${encodeURIComponent(name)}/shadow${path}`, shadowing ? 10_000 : 60_000);
  const report = r.data?.report;
  if (!shadowing && !(report && report.samples > 0)) return null;
  return html`<section class="panel shadow">
    <h2>Shadow <span class="muted">${shadowing ? '(running, live)' : '(last run)'}</span></h2>
    ${r.error && html`<p class="error" role="alert">${r.error.message}</p>`}
    ${!report || report.samples === 0
      ? html`<p class="muted">No samples yet.</p>`
      : html`<p>Candidate <code>${report.candidate}</code> against <code>${r.data.serving ?? '—'}</code>.</p>
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
