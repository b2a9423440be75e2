/**
 * One autocannon run against one target, reduced to the numbers the table shows. Latencies are
 * recorded here from autocannon's per-response event (float ms) rather than taken from its
 * histogram, which keeps whole milliseconds only: a sequential p50 of 1.4 ms must not read "1".
 */
import autocannon from 'autocannon';

/** An HTTP endpoint to load, with the exact request every connection repeats. */
export interface Target {
  url: string;
  body: string;
  headers: Record<string, string>;
  /** A body per request, in place of `body` (a load whose inputs vary) [`body` every time]. */
  next?: () => string;
}

/** What one run measured. */
export interface LoadResult {
  connections: number;
  seconds: number;
  /** 2xx responses per second: failed calls do not count as throughput. */
  rps: number;
  /** Percentiles of 2xx latencies, ms. */
  p50: number;
  p95: number;
  p99: number;
  ok: number;
  non2xx: number;
  /** Connection errors and timeouts. */
  errors: number;
  /** Count of each non-2xx status code seen. */
  statuses: Record<string, number>;
}

/** Loads `target` with `connections` keep-alive connections for `seconds`, one request in flight each. */
export async function load(target: Target, connections: number, seconds: number): Promise<LoadResult> {
  const latencies: number[] = [];
  const inst = autocannon({
    url: target.url,
    method: 'POST',
    headers: target.headers,
    body: target.body,
    connections,
    pipelining: 1,
    duration: seconds,
    ...(target.next ? { requests: [{ setupRequest: (req: object) => ({ ...req, body: target.next!() }) }] } : {}),
  });
  inst.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    if (status >= 200 && status < 300) latencies.push(ms);
  });
  const r = await new Promise<Awaited<typeof inst>>((resolve, reject) => inst.then(resolve, reject));
  latencies.sort((a, b) => a - b);
  const statuses: Record<string, number> = {};
  for (const [code, s] of Object.entries(r.statusCodeStats)) if (!code.startsWith('2')) statuses[code] = s.count;
  return {
    connections,
    seconds: r.duration,
    rps: r['2xx'] / r.duration,
    p50: percentile(latencies, 0.5),
    p95: percentile(latencies, 0.95),
    p99: percentile(latencies, 0.99),
    ok: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors,
    statuses,
  };
}

/** Nearest-rank percentile of sorted values; NaN when there are none. */
function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}
