import { html } from 'htm/preact';
import { useEffect } from 'preact/hooks';
import { useApi } from './use-api.ts';

/** A span of `GET /v1/jobs/{id}/trace`. */
interface Span {
  spanId: string;
  parentId?: string;
  name: string;
  service: string;
  start: number;
  durationMs: number;
  status: string;
  statusMessage?: string;
}

const ROW = 22;
const LABEL = 260;
const BARS = 520;
const WIDTH = LABEL + BARS + 110;

/** Each span after its parent, its children by start; a parent not in the trace (the caller's) makes a root. */
function ordered(spans: Span[]): { span: Span; depth: number }[] {
  const known = new Set(spans.map((s) => s.spanId));
  const under = (parent: string | undefined, depth: number): { span: Span; depth: number }[] =>
    spans
      .filter((s) => (s.parentId && known.has(s.parentId) ? s.parentId : undefined) === parent)
      .sort((a, b) => a.start - b.start)
      .flatMap((span) => [{ span, depth }, ...under(span.spanId, depth + 1)]);
  return under(undefined, 0);
}

/**
 * A job's trace as a waterfall (one SVG: attributes, not inline styles, which the console's
 * Content-Security-Policy refuses): a row per span, indented under its parent, its bar offset and
 * scaled by time within the whole trace: the router's span, the queue wait, the worker's, the
 * batch and the handler call.
 */
export function TraceWaterfall({ id }: { id: string }) {
  const trace = useApi(`/v1/jobs/${encodeURIComponent(id)}/trace`);
  const e = trace.error as { code?: string; message: string } | undefined;
  const head = html`<h2>Trace <button type="button" onClick=${trace.reload}>refresh</button></h2>`;
  const pending = e?.code === 'TRACE_PENDING';
  // Spans are written in batches: a job that just ended has its trace a moment later. Read again then.
  useEffect(() => {
    if (!pending) return;
    const t = setTimeout(trace.reload, 1000);
    return () => clearTimeout(t);
  }, [pending]);
  if (pending) return html`<section class="panel trace">${head}<p class="muted">The trace is being written (the job is running or just ended)…</p></section>`;
  if (e?.code === 'TRACE_NOT_FOUND') return html`<section class="panel trace">${head}<p class="muted">No trace is kept for this job any more (the platform keeps the most recent ones, and failed ones for a day).</p></section>`;
  if (e) return html`<section class="panel trace">${head}<p class="error" role="alert">${e.message}</p></section>`;
  if (!trace.data) return html`<section class="panel trace">${head}<p class="muted">Loading…</p></section>`;
  const spans = trace.data.spans as Span[];
  const t0 = Math.min(...spans.map((s) => s.start));
  const total = Math.max(...spans.map((s) => s.start + s.durationMs)) - t0 || 1;
  const rows = ordered(spans);
  return html`<section class="panel trace">
    ${head}
    <p class="muted">Trace <code>${trace.data.traceId}</code>, ${total.toFixed(1)} ms.</p>
    <svg class="waterfall" width=${WIDTH} height=${rows.length * ROW} viewBox=${`0 0 ${WIDTH} ${rows.length * ROW}`} role="img" aria-label="the job's spans on a time line">
      ${rows.map(({ span, depth }, i) => {
        const x = LABEL + ((span.start - t0) / total) * BARS;
        const w = Math.max(1, (span.durationMs / total) * BARS);
        return html`<g class=${`span ${span.service} ${span.status}`} data-span=${span.name} transform=${`translate(0 ${i * ROW})`}>
          <title>${span.name} (${span.service}): ${span.durationMs.toFixed(2)} ms${span.statusMessage ? `, ${span.statusMessage}` : ''}</title>
          <text x=${4 + depth * 14} y=${ROW - 7}>${span.name}</text>
          <rect class="bar" x=${x} y="4" width=${w} height=${ROW - 8} />
          <text class="duration" x=${Math.min(x + w + 4, LABEL + BARS + 4)} y=${ROW - 7}>${span.durationMs.toFixed(1)} ms</text>
        </g>`;
      })}
    </svg>
  </section>`;
}
