/**
 * What a feature looked like in the training data: bin edges and the share of values in each bin.
 * `edges` are the k-1 ascending cut points of k bins: bin 0 holds values ≤ edges[0], bin i values
 * in (edges[i-1], edges[i]], the last bin values > edges[k-2]. `shares` has k entries summing to 1.
 */
export interface FeatureBaseline {
  edges: number[];
  shares: number[];
}

/** A function version's drift baseline: per feature name. Shipped in its bundle as JSON. */
export interface DriftBaseline {
  features: Record<string, FeatureBaseline>;
}

/** The bin `value` falls in (see {@link FeatureBaseline}): a binary search, so cheap on the invoke path. */
export function binOf(edges: readonly number[], value: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (value <= edges[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * A baseline from training samples: edges at the quantiles that split each feature into `bins`
 * bins of equal share (deciles by default, the usual choice for PSI), duplicates dropped, so a
 * feature with few distinct values (a 0/1 flag) gets one bin per value.
 */
export function buildBaseline(samples: Record<string, readonly number[]>, bins = 10): DriftBaseline {
  const features: Record<string, FeatureBaseline> = {};
  for (const [name, values] of Object.entries(samples)) {
    const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
    if (sorted.length === 0) throw new Error(`feature ${name}: no finite values to build a baseline from`);
    const edges: number[] = [];
    for (let i = 1; i < bins; i++) {
      const q = sorted[Math.min(sorted.length - 1, Math.floor((i * sorted.length) / bins))]!;
      // An edge equal to the largest value would leave the last bin empty.
      if (q < sorted.at(-1)! && (edges.length === 0 || q > edges.at(-1)!)) edges.push(q);
    }
    const counts = new Array<number>(edges.length + 1).fill(0);
    for (const v of sorted) counts[binOf(edges, v)]!++;
    features[name] = { edges, shares: counts.map((c) => round(c / sorted.length)) };
  }
  return { features };
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;

/** Why `raw` is not a usable baseline, or undefined when it is. */
export function baselineProblem(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null || typeof (raw as DriftBaseline).features !== 'object' || (raw as DriftBaseline).features === null) return 'expected {"features": {"<name>": {"edges": [...], "shares": [...]}}}';
  for (const [name, f] of Object.entries((raw as DriftBaseline).features)) {
    if (!Array.isArray(f?.edges) || !Array.isArray(f?.shares)) return `feature ${name}: edges and shares must be arrays`;
    if (!f.edges.every((e, i) => Number.isFinite(e) && (i === 0 || e > f.edges[i - 1]!))) return `feature ${name}: edges must be finite and strictly ascending`;
    if (f.shares.length !== f.edges.length + 1) return `feature ${name}: ${f.edges.length} edges make ${f.edges.length + 1} bins, but ${f.shares.length} shares are given`;
    if (!f.shares.every((s) => Number.isFinite(s) && s >= 0)) return `feature ${name}: shares must be numbers ≥ 0`;
    const sum = f.shares.reduce((a, b) => a + b, 0);
    if (Math.abs(sum - 1) > 1e-3) return `feature ${name}: shares sum to ${sum}, not 1`;
  }
  return undefined;
}
