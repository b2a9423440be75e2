/**
 * The Prometheus text exposition format, version 0.0.4: what `GET /metrics` answers.
 * https://prometheus.io/docs/instrumenting/exposition_formats/
 */

/** `Content-Type` of a scrape answer. */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type MetricType = 'counter' | 'gauge' | 'histogram';

/** Label names to values, in the order they are written. */
export type Labels = Readonly<Record<string, string>>;

/** One line of a family: `<name><suffix>{labels} value`. */
export interface Sample {
  /** `_bucket`, `_sum` or `_count` for histograms; none otherwise. */
  suffix?: '_bucket' | '_sum' | '_count';
  labels: Labels;
  value: number;
}

/** One metric: its `# HELP`, its `# TYPE` and its samples. */
export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  samples: readonly Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** @throws TypeError unless `name` is a valid metric name. */
export function checkMetricName(name: string): void {
  if (!METRIC_NAME.test(name)) throw new TypeError(`invalid metric name ${JSON.stringify(name)}`);
}

/** @throws TypeError unless `name` is a valid label name (and not one of the reserved `__` names). */
export function checkLabelName(name: string): void {
  if (!LABEL_NAME.test(name) || name.startsWith('__')) throw new TypeError(`invalid label name ${JSON.stringify(name)}`);
}

/** A label value between double quotes: `\`, `"` and newline escaped. */
export function escapeLabelValue(v: string): string {
  return v.replace(/[\\"\n]/g, (ch) => (ch === '\n' ? '\\n' : `\\${ch}`));
}

/** `# HELP` text: `\` and newline escaped (quotes stay as they are). */
function escapeHelp(v: string): string {
  return v.replace(/[\\\n]/g, (ch) => (ch === '\n' ? '\\n' : '\\\\'));
}

/** A sample value as Go's ParseFloat reads it: `+Inf`, `-Inf`, `NaN`, or the number. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function formatLabels(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

/**
 * Writes families in the text format: each with its `# HELP` and `# TYPE` lines, then its
 * samples; a family without samples keeps its two comment lines. Ends with a newline.
 * @throws TypeError on an invalid metric or label name, or a family named twice.
 */
export function formatExposition(families: readonly MetricFamily[]): string {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const f of families) {
    checkMetricName(f.name);
    if (seen.has(f.name)) throw new TypeError(`metric ${f.name} appears twice`);
    seen.add(f.name);
    out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) {
      for (const k of Object.keys(s.labels)) checkLabelName(k);
      out.push(`${f.name}${s.suffix ?? ''}${formatLabels(s.labels)} ${formatValue(s.value)}`);
    }
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}
