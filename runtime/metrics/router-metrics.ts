import type { MetricFamily } from './exposition.ts';
import { Counter, Histogram } from './instruments.ts';

export type InvocationMode = 'sync' | 'async';

/** One answered request, as the HTTP middleware saw it. */
export interface AnsweredRequest {
  method: string;
  /** The route pattern (`/v1/functions/:name/invoke`), never the raw path. */
  route: string;
  status: number;
  seconds: number;
  /** Set for calls of a deployed function through an invocation route. */
  invocation?: {
    function: string;
    /** `X-Function-Version` of the answer; empty when none was chosen (e.g. refused input). */
    version: string;
    mode: InvocationMode;
    /** Inputs the call carried: more than 1 for a bulk job. */
    inputs: number;
    /** For a version that declares `cache`: whether the result cache answered (`X-Cache`). */
    cache?: 'hit' | 'miss';
  };
}

/** `ok` below 400, else the status class: `4xx` (the caller's fault) or `5xx` (ours or the function's). */
function outcomeOf(status: number): 'ok' | '4xx' | '5xx' {
  return status < 400 ? 'ok' : status < 500 ? '4xx' : '5xx';
}

/** What this router process counts about the requests it answers. */
export class RouterMetrics {
  private readonly requests = new Counter('autoglm_http_requests_total', 'HTTP requests answered, by method, route pattern and status.', ['method', 'route', 'status']);
  private readonly durations = new Histogram('autoglm_http_request_duration_seconds', 'Time to answer an HTTP request, seconds (a synchronous invocation includes the run).', ['method', 'route']);
  private readonly invocations = new Counter(
    'autoglm_invocations_total',
    'Function calls (sync: POST /invoke, async: POST /jobs submitted), by version and outcome (ok, 4xx, 5xx).',
    ['function', 'version', 'mode', 'outcome'],
  );

  private readonly syncSeconds = new Histogram(
    'autoglm_invocation_duration_seconds',
    'Time to answer a synchronous call (POST /invoke), seconds, by version and outcome: what its caller waited.',
    ['function', 'version', 'outcome'],
  );

  private readonly inputs = new Counter(
    'autoglm_invocation_inputs_total',
    'Inputs accepted for running (a bulk job counts each of its inputs), by version and mode.',
    ['function', 'version', 'mode'],
  );

  private readonly cacheHits = new Counter('autoglm_result_cache_hits_total', 'Synchronous calls answered from the result cache (manifest `cache`), without the queue.', ['function']);
  private readonly cacheMisses = new Counter('autoglm_result_cache_misses_total', 'Synchronous calls of a function that declares `cache` that the result cache could not answer: they ran.', ['function']);

  record(r: AnsweredRequest): void {
    this.requests.inc({ method: r.method, route: r.route, status: String(r.status) });
    this.durations.observe({ method: r.method, route: r.route }, r.seconds);
    if (!r.invocation) return;
    const { inputs, cache, ...labels } = r.invocation;
    if (cache) (cache === 'hit' ? this.cacheHits : this.cacheMisses).inc({ function: labels.function });
    const outcome = outcomeOf(r.status);
    this.invocations.inc({ ...labels, outcome });
    if (labels.mode === 'sync') this.syncSeconds.observe({ function: labels.function, version: labels.version, outcome }, r.seconds);
    if (r.status < 300) this.inputs.inc(labels, inputs);
  }

  collect(): MetricFamily[] {
    return [this.requests.collect(), this.durations.collect(), this.invocations.collect(), this.syncSeconds.collect(), this.inputs.collect(), this.cacheHits.collect(), this.cacheMisses.collect()];
  }
}
