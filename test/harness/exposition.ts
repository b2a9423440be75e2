/**
 * A strict reader of the Prometheus text exposition format (0.0.4), for tests: it throws, naming
 * the line, on anything a Prometheus server would refuse or that breaks the format's rules.
 */

export interface ParsedSample {
  /** The sample's name as written (`x_bucket` for a histogram bucket). */
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParsedExposition {
  /** `# TYPE` of each family. */
  types: Map<string, string>;
  samples: ParsedSample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*';
const LABEL_VALUE = '"(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
const VALUE = '(?:[+-]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][+-]?\\d+)?|[+-]Inf|NaN)';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL}=${LABEL_VALUE})(?:,${LABEL}=${LABEL_VALUE})*,?)?\\})? (${VALUE})(?: -?\\d+)?$`);
const PAIR = new RegExp(`(${LABEL})=(${LABEL_VALUE})`, 'g');
const TYPE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);
const HELP = new RegExp(`^# HELP (${NAME}) .*$`);

const unescape = (quoted: string) => quoted.slice(1, -1).replace(/\\(.)/g, (_, ch: string) => (ch === 'n' ? '\n' : ch));

/** The family a sample belongs to: a histogram's `_bucket`, `_sum` and `_count` belong to it. */
function familyOf(name: string, types: Map<string, string>): string | undefined {
  if (types.has(name)) return name;
  const m = /^(.*)_(bucket|sum|count)$/.exec(name);
  return m && types.get(m[1]!) === 'histogram' ? m[1] : undefined;
}

/**
 * Parses `text`, checking that every sample line is `name{labels} value`, every sample's family
 * has a `# TYPE` line before it (once), no series appears twice, and the text ends with a newline.
 * @throws Error naming the first offending line.
 */
export function parseExposition(text: string): ParsedExposition {
  if (text !== '' && !text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const types = new Map<string, string>();
  const samples: ParsedSample[] = [];
  const series = new Set<string>();
  text.split('\n').slice(0, -1).forEach((line, i) => {
    const where = `line ${i + 1}: ${JSON.stringify(line)}`;
    if (line.startsWith('#')) {
      const t = TYPE.exec(line);
      if (t) {
        if (types.has(t[1]!)) throw new Error(`${where}: second # TYPE for ${t[1]}`);
        types.set(t[1]!, t[2]!);
      } else if (!HELP.test(line) && /^# (TYPE|HELP)/.test(line)) throw new Error(`${where}: malformed comment`);
      return;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`${where}: not "name{labels} value"`);
    const [, name, rawLabels, rawValue] = m;
    if (!familyOf(name!, types)) throw new Error(`${where}: no # TYPE before ${name}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (rawLabels ?? '').matchAll(PAIR)) {
      if (k! in labels) throw new Error(`${where}: label ${k} twice`);
      labels[k!] = unescape(v!);
    }
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (series.has(key)) throw new Error(`${where}: series written twice`);
    series.add(key);
    const value = rawValue === '+Inf' ? Infinity : rawValue === '-Inf' ? -Infinity : Number(rawValue);
    samples.push({ name: name!, labels, value });
  });
  return { types, samples };
}

/** Samples named `name` whose labels include all of `labels`. */
export function findSamples(p: ParsedExposition, name: string, labels: Record<string, string> = {}): ParsedSample[] {
  return p.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/** The value of the one sample `name` with exactly these labels; 0 when there is none (a counter not yet touched). */
export function sampleValue(p: ParsedExposition, name: string, labels: Record<string, string> = {}): number {
  const exact = findSamples(p, name, labels).filter((s) => Object.keys(s.labels).length === Object.keys(labels).length);
  if (exact.length > 1) throw new Error(`${name}${JSON.stringify(labels)}: ${exact.length} series`);
  return exact[0]?.value ?? 0;
}
