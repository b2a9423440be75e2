/** One span of `GET /v1/jobs/{id}/trace`, as far as the waterfall reads it (the CLI knows the API, not the store's types). */
export type TraceSpan = { spanId: string; parentId?: string; name: string; service: string; start: number; durationMs: number; status: string; statusMessage?: string };

/** Characters of the time bar. */
const BAR = 32;

/**
 * The spans in waterfall order, each with its depth: a parent before its children, children by
 * start. A span whose parent is not in the trace (the caller's, or one not kept) is a root.
 */
export function spanTree(spans: readonly TraceSpan[]): { span: TraceSpan; depth: number }[] {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string | undefined, TraceSpan[]>();
  for (const s of [...spans].sort((a, b) => a.start - b.start)) {
    const parent = s.parentId && ids.has(s.parentId) ? s.parentId : undefined;
    children.set(parent, [...(children.get(parent) ?? []), s]);
  }
  const out: { span: TraceSpan; depth: number }[] = [];
  const walk = (parent: string | undefined, depth: number): void => {
    for (const span of children.get(parent) ?? []) {
      out.push({ span, depth });
      walk(span.spanId, depth + 1);
    }
  };
  walk(undefined, 0);
  return out;
}

/**
 * A trace as text: a line per span, indented under its parent, with its offset from the trace's
 * start, its duration, its service and a bar placed and scaled on the trace's time.
 */
export function waterfallText(trace: { jobId: string; traceId: string; spans: readonly TraceSpan[] }): string {
  const rows = spanTree(trace.spans);
  const t0 = Math.min(...trace.spans.map((s) => s.start));
  const total = Math.max(...trace.spans.map((s) => s.start + s.durationMs)) - t0 || 1;
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  const label = (r: { span: TraceSpan; depth: number }) => `${'  '.repeat(r.depth)}${r.span.name}`;
  const width = Math.max(...rows.map((r) => label(r).length));
  const lines = rows.map((r) => {
    const from = Math.min(BAR - 1, Math.floor(((r.span.start - t0) / total) * BAR));
    const len = Math.max(1, Math.round((r.span.durationMs / total) * BAR));
    const bar = ' '.repeat(from) + '█'.repeat(Math.min(len, BAR - from));
    const failed = r.span.status === 'error' ? `  ERROR${r.span.statusMessage ? ` ${r.span.statusMessage}` : ''}` : '';
    return `${label(r).padEnd(width)}  ${ms(r.span.start - t0).padStart(10)}  ${ms(r.span.durationMs).padStart(10)}  |${bar.padEnd(BAR)}|  ${r.span.service}${failed}`;
  });
  return [`trace ${trace.traceId}  job ${trace.jobId}  ${ms(total)}`, `${'span'.padEnd(width)}  ${'start'.padStart(10)}  ${'duration'.padStart(10)}`, ...lines].join('\n');
}
