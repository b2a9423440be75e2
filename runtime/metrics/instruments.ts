import { emptyCounts, observe, type BucketCounts } from '../../queue/cluster/index.ts';
import { checkLabelName, checkMetricName, type Labels, type MetricFamily, type Sample } from './exposition.ts';

/** Prometheus' default buckets (seconds), plus 30 s and 60 s: a synchronous call may wait that long. */
export const DEFAULT_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * A metric kept in this process, one series per combination of label values. Label names are
 * fixed when it is built; callers must keep the values few (route patterns, not raw paths).
 */
abstract class Instrument<L extends string, S> {
  private readonly series = new Map<string, { labels: Labels; state: S }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly L[],
  ) {
    checkMetricName(name);
    for (const l of labelNames) checkLabelName(l);
  }

  protected abstract fresh(): S;

  /** The state of the series `labels` names, created on first use. */
  protected at(labels: Readonly<Record<L, string>>): S {
    const values = this.labelNames.map((n) => labels[n]);
    const key = JSON.stringify(values);
    let s = this.series.get(key);
    if (!s) {
      s = { labels: Object.fromEntries(this.labelNames.map((n, i) => [n, values[i]!])), state: this.fresh() };
      this.series.set(key, s);
    }
    return s.state;
  }

  protected entries(): { labels: Labels; state: S }[] {
    return [...this.series.values()];
  }
}

/** A value that only goes up (requests answered, calls made). */
export class Counter<L extends string = never> extends Instrument<L, { value: number }> {
  protected fresh() {
    return { value: 0 };
  }

  /** @throws RangeError when `by` is negative or not a number: counters never go down. */
  inc(labels: Readonly<Record<L, string>>, by = 1): void {
    if (!(by >= 0)) throw new RangeError(`${this.name}: a counter cannot grow by ${by}`);
    this.at(labels).value += by;
  }

  collect(): MetricFamily {
    return { name: this.name, help: this.help, type: 'counter', samples: this.entries().map((e) => ({ labels: e.labels, value: e.state.value })) };
  }
}

/**
 * Observations counted into buckets (durations). Written as Prometheus expects: cumulative
 * `_bucket{le="…"}` series ending with `le="+Inf"` (equal to `_count`), then `_sum` and `_count`.
 */
export class Histogram<L extends string = never> extends Instrument<L, BucketCounts> {
  private readonly buckets: readonly number[];

  /** @throws TypeError when `buckets` are not finite and strictly increasing, or a label is named `le`. */
  constructor(name: string, help: string, labelNames: readonly L[], buckets: readonly number[] = DEFAULT_BUCKETS) {
    super(name, help, labelNames);
    if ((labelNames as readonly string[]).includes('le')) throw new TypeError(`${name}: 'le' is reserved for histogram buckets`);
    if (buckets.length === 0 || buckets.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= buckets[i - 1]!))) {
      throw new TypeError(`${name}: buckets must be finite and strictly increasing`);
    }
    this.buckets = [...buckets];
  }

  protected fresh() {
    // One slot per bucket and one for +Inf; made cumulative when written.
    return emptyCounts(this.buckets);
  }

  observe(labels: Readonly<Record<L, string>>, value: number): void {
    observe(this.at(labels), this.buckets, value);
  }

  collect(): MetricFamily {
    return { name: this.name, help: this.help, type: 'histogram', samples: this.entries().flatMap(({ labels, state }) => histogramSamples(labels, this.buckets, state)) };
  }
}

/**
 * One series of a histogram as Prometheus expects it, from counts per bucket (see
 * {@link BucketCounts}): cumulative `_bucket{le="…"}` samples ending with `le="+Inf"`, `_sum`, `_count`.
 */
export function histogramSamples(labels: Labels, bounds: readonly number[], state: BucketCounts): Sample[] {
  const samples: Sample[] = [];
  let cumulative = 0;
  state.counts.forEach((n, i) => {
    cumulative += n;
    const le = i < bounds.length ? String(bounds[i]) : '+Inf';
    samples.push({ suffix: '_bucket', labels: { ...labels, le }, value: cumulative });
  });
  samples.push({ suffix: '_sum', labels, value: state.sum }, { suffix: '_count', labels, value: state.count });
  return samples;
}

/** A gauge read at scrape time: one family from rows of labels and values. */
export function gauge(name: string, help: string, rows: readonly (readonly [Labels, number])[]): MetricFamily {
  return { name, help, type: 'gauge', samples: rows.map(([labels, value]) => ({ labels, value })) };
}
