/**
 * The slice of autocannon 9's programmatic API the bench uses (the package ships no types).
 * The instance is an EventEmitter that is also thenable, resolving with the run's result.
 */
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  interface Options {
    url: string;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    connections?: number;
    pipelining?: number;
    /** Seconds. */
    duration?: number;
    /** Requests to send in all, instead of a duration. */
    amount?: number;
    /** Seconds before a request counts as a timeout (default 10). */
    timeout?: number;
    /** Requests in turn; `setupRequest` may change each one, with a context per connection. */
    requests?: { setupRequest?: (req: object, context: Record<string, unknown>) => object }[];
  }

  interface Result {
    /** Seconds actually run. */
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    '2xx': number;
    statusCodeStats: Record<string, { count: number }>;
    requests: { total: number; average: number };
    latency: { p50: number; p99: number };
  }

  interface Instance extends EventEmitter, PromiseLike<Result> {
    stop(): void;
  }

  function autocannon(opts: Options): Instance;
  export default autocannon;
}
