/**
 * The router's metrics, ours against prom-client, in one process and one run:
 * `npx tsx test/bench/metrics-bench.ts`. It measures the per-request hot path (what the
 * request-metrics middleware calls once per answer: 2 counters and 1 histogram, plus 1 counter,
 * 1 histogram and 1 counter for an invocation) and one scrape of the same series. The two sides
 * alternate within every round (which goes first alternates too), so a machine that other work
 * slows down moves both alike; the table gives each side's median round and their ratio.
 *
 * Env: METRICS_ROUNDS [15], METRICS_CALLS records per round and side [200000],
 * METRICS_SCRAPES scrapes per round and side [200]. Prints a Markdown table; no pass/fail.
 */
import { availableParallelism, cpus } from 'node:os';
import { Counter, Histogram, Registry } from 'prom-client';
import { formatExposition, RouterMetrics, type AnsweredRequest } from '../../runtime/metrics/index.ts';
// The instrument itself, below the face: the single observe is what the brief compares.
import { Histogram as OurHistogram } from '../../runtime/metrics/instruments.ts';
import { markdownTable, num } from './table.ts';

const ROUNDS = Number(process.env.METRICS_ROUNDS ?? 15);
const CALLS = Number(process.env.METRICS_CALLS ?? 200_000);
const SCRAPES = Number(process.env.METRICS_SCRAPES ?? 200);

/** The buckets ours uses by default (`DEFAULT_BUCKETS`), given to prom-client too. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** `RouterMetrics.record` written on prom-client: the same five series, labels and help texts. */
class PromRouterMetrics {
  readonly registry = new Registry();
  private readonly registers = [this.registry];
  private readonly requests = new Counter({ name: 'autoglm_http_requests_total', help: 'HTTP requests answered, by method, route pattern and status.', labelNames: ['method', 'route', 'status'], registers: this.registers });
  private readonly durations = new Histogram({ name: 'autoglm_http_request_duration_seconds', help: 'Time to answer an HTTP request, seconds (a synchronous invocation includes the run).', labelNames: ['method', 'route'], buckets: BUCKETS, registers: this.registers });
  private readonly invocations = new Counter({ name: 'autoglm_invocations_total', help: 'Function calls (sync: POST /invoke, async: POST /jobs submitted), by version and outcome (ok, 4xx, 5xx).', labelNames: ['function', 'version', 'mode', 'outcome'], registers: this.registers });
  private readonly syncSeconds = new Histogram({ name: 'autoglm_invocation_duration_seconds', help: 'Time to answer a synchronous call (POST /invoke), seconds, by version and outcome: what its caller waited.', labelNames: ['function', 'version', 'outcome'], buckets: BUCKETS, registers: this.registers });
  private readonly inputs = new Counter({ name: 'autoglm_invocation_inputs_total', help: 'Inputs accepted for running (a bulk job counts each of its inputs), by version and mode.', labelNames: ['function', 'version', 'mode'], registers: this.registers });

  record(r: AnsweredRequest): void {
    this.requests.inc({ method: r.method, route: r.route, status: String(r.status) });
    this.durations.observe({ method: r.method, route: r.route }, r.seconds);
    if (!r.invocation) return;
    const { inputs, ...labels } = r.invocation;
    const outcome = r.status < 400 ? 'ok' : r.status < 500 ? '4xx' : '5xx';
    this.invocations.inc({ ...labels, outcome });
    if (labels.mode === 'sync') this.syncSeconds.observe({ function: labels.function, version: labels.version, outcome }, r.seconds);
    if (r.status < 300) this.inputs.inc(labels, inputs);
  }
}

/**
 * A mix of answers like a busy router's: 12 route patterns, 3 statuses, 8 functions with 2
 * versions each, and two thirds of the answers invocations (sync or async).
 */
function traffic(n: number): AnsweredRequest[] {
  const routes = ['/v1/functions/:name/invoke', '/v1/functions/:name/jobs', '/v1/jobs/:id', '/v1/functions', '/v1/functions/:name', '/healthz', '/readyz', '/metrics', '/v1/jobs/:id/result', '/v1/functions/:name/traffic', '/v1/audit', 'unmatched'];
  const out: AnsweredRequest[] = [];
  for (let i = 0; i < n; i++) {
    const status = [200, 200, 200, 202, 400, 503][i % 6]!;
    const seconds = ((i * 7919) % 1000) / 4000;
    if (i % 3 === 2) {
      out.push({ method: 'GET', route: routes[2 + (i % 10)]!, status, seconds });
      continue;
    }
    const mode = i % 3 === 0 ? 'sync' : 'async';
    const fn = `fn${i % 8}`;
    out.push({
      method: 'POST',
      route: routes[mode === 'sync' ? 0 : 1]!,
      status,
      seconds,
      invocation: { function: fn, version: `${fn}v${i % 2}aaaaaaaa`.slice(0, 12), mode, inputs: 1 + (i % 4) },
    });
  }
  return out;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Wall time of `CALLS` calls, ns per call. */
function timeRecords(record: (r: AnsweredRequest) => void, reqs: readonly AnsweredRequest[]): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) record(reqs[i % reqs.length]!);
  return Number(process.hrtime.bigint() - t0) / CALLS;
}

/** Wall time of one scrape, µs (the mean of `SCRAPES`). */
async function timeScrapes(scrape: () => string | Promise<string>): Promise<number> {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < SCRAPES; i++) await scrape();
  return Number(process.hrtime.bigint() - t0) / SCRAPES / 1000;
}

/** One `observe` of a two-label histogram, the durations one, on each side. */
const ourHist = new OurHistogram('d_seconds', 'D.', ['method', 'route'], BUCKETS);
const promHist = new Histogram({ name: 'd_seconds', help: 'D.', labelNames: ['method', 'route'], buckets: BUCKETS, registers: [] });
const observeOurs = (r: AnsweredRequest) => ourHist.observe({ method: r.method, route: r.route }, r.seconds);
const observeProm = (r: AnsweredRequest) => promHist.observe({ method: r.method, route: r.route }, r.seconds);

const reqs = traffic(4096);
const ours = new RouterMetrics();
const prom = new PromRouterMetrics();
const recordOurs = (r: AnsweredRequest) => ours.record(r);
const recordProm = (r: AnsweredRequest) => prom.record(r);
const scrapeOurs = () => formatExposition(ours.collect());
const scrapeProm = () => prom.registry.metrics();

// Warm up both (JIT, every series created) before any round counts.
for (const f of [recordOurs, recordProm, observeOurs, observeProm]) timeRecords(f, reqs);
await timeScrapes(scrapeOurs);
await timeScrapes(scrapeProm);

const rec = { ours: [] as number[], prom: [] as number[] };
const obs = { ours: [] as number[], prom: [] as number[] };
const scr = { ours: [] as number[], prom: [] as number[] };
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? (['ours', 'prom'] as const) : (['prom', 'ours'] as const);
  for (const side of order) rec[side].push(timeRecords(side === 'ours' ? recordOurs : recordProm, reqs));
  for (const side of order) obs[side].push(timeRecords(side === 'ours' ? observeOurs : observeProm, reqs));
  for (const side of order) scr[side].push(await timeScrapes(side === 'ours' ? scrapeOurs : scrapeProm));
}

const seriesLines = (await scrapeProm()).split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
const row = (what: string, unit: string, m: { ours: number[]; prom: number[] }) => [what, `${num(median(m.ours))} ${unit}`, `${num(median(m.prom))} ${unit}`, `${num(median(m.prom) / median(m.ours))}×`];
process.stdout.write(
  `${cpus()[0]?.model ?? '?'}, ${availableParallelism()} cores, Node ${process.version}; ${ROUNDS} rounds, median round; ${CALLS} records and ${SCRAPES} scrapes per round and side; ${seriesLines} sample lines per scrape\n\n` +
    markdownTable(['what', 'ours', 'prom-client 15.1.3', 'prom-client / ours'], [row('record one answer (hot path)', 'ns', rec), row('one histogram observe, 2 labels', 'ns', obs), row('scrape the router series', 'µs', scr)]) +
    '\n',
);
