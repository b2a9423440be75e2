import type { Redis } from 'ioredis';
import type { LogLevel } from '../functions/sdk/index.ts';
import type { PayloadCipher } from './payload-cipher.ts';

/**
 * One line a function wrote, through `ctx.log` or `console`, as workers ship it and
 * `GET /v1/functions/{name}/logs` returns it.
 */
export interface FunctionLogLine {
  /** Epoch ms. */
  t: number;
  level: LogLevel;
  msg: string;
  fields?: Record<string, unknown>;
  fn: string;
  version: string;
  device: string;
  /** `log`: through `ctx.log`; `console`: `console.*` in function code; `platform`: about the logs themselves (lines dropped). */
  source: 'log' | 'console' | 'platform';
  /** Items in the handler call that wrote it (absent in `load`), and the first {@link JOB_IDS_KEPT} of their job ids. */
  batch?: number;
  jobs?: string[];
  /** The worker that ran it. */
  worker?: string;
}

/** Job ids a line keeps: a batch of 256 would otherwise make every line of it ~8 KB. */
export const JOB_IDS_KEPT = 16;

/** The Redis stream of a function's log lines (trimmed to the newest lines kept). */
export const logsKey = (prefix: string, fn: string): string => `${prefix}:logs:${fn}`;

/** Options of a {@link FunctionLogWriter}. */
export interface LogWriterOptions {
  /** Lines kept per function, about (Redis trims whole macro nodes) [10,000]. */
  keep?: number;
  /** Lines shipped per function per second from this worker; more are counted, then dropped [200]. */
  perSecond?: number;
  /** Lines wait this long, then one pipeline writes all of them [200 ms]. */
  flushMs?: number;
  /** Added to every line. */
  worker?: string;
}

/**
 * Ships a worker's function log lines to one Redis stream per function, sealed like job
 * payloads (a log line can hold personal data as readily as an input can), in batches. A
 * function that logs per item at thousands of items a second would fill Redis with logs and
 * cost the worker more than the work: past `perSecond` lines a second per function, lines are
 * counted and dropped, and one line says how many.
 */
export class FunctionLogWriter {
  private pending: FunctionLogLine[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  /** Per function: lines shipped in the current second, and lines dropped in it. */
  private readonly budget = new Map<string, { second: number; shipped: number; dropped: number; version: string; device: string }>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly cipher: PayloadCipher,
    private readonly opts: LogWriterOptions = {},
  ) {}

  /** Queues a line; it reaches Redis within the flush interval, unless over the rate. @returns whether it will be shipped */
  add(line: FunctionLogLine): boolean {
    const second = Math.floor(line.t / 1000);
    let b = this.budget.get(line.fn);
    if (!b || b.second !== second) {
      if (b?.dropped) this.queue(droppedLine(line.fn, b, this.opts.perSecond ?? 200));
      b = { second, shipped: 0, dropped: 0, version: line.version, device: line.device };
      this.budget.set(line.fn, b);
    }
    if (b.shipped >= (this.opts.perSecond ?? 200)) {
      b.dropped++;
      return false;
    }
    b.shipped++;
    this.queue(line);
    return true;
  }

  /** Writes the queued lines now (at shutdown, and on the timer), with any drop counts so far. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const [fn, b] of this.budget) {
      if (b.dropped) this.pending.push(droppedLine(fn, b, this.opts.perSecond ?? 200));
      b.dropped = 0;
    }
    const lines = this.pending.splice(0);
    if (lines.length === 0) return this.writing;
    const keep = this.opts.keep ?? 10_000;
    const p = this.redis.pipeline();
    const { worker } = this.opts;
    for (const line of lines) {
      const key = logsKey(this.prefix, line.fn);
      // The stream key as the sealed line's context: a line copied to another stream fails to open.
      p.xadd(key, 'MAXLEN', '~', keep, '*', 'd', JSON.stringify(this.cipher.seal(worker ? { ...line, worker } : line, key)));
    }
    const run = this.writing.then(() => p.exec()).then(() => undefined);
    this.writing = run.catch(() => undefined);
    return run;
  }

  private queue(line: FunctionLogLine): void {
    this.pending.push(line);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush().catch(() => undefined); // logs only: a batch Redis refused is lost, the jobs are not
    }, this.opts.flushMs ?? 200).unref();
  }
}

function droppedLine(fn: string, b: { second: number; dropped: number; version: string; device: string }, perSecond: number): FunctionLogLine {
  return { t: b.second * 1000 + 999, level: 'warn', msg: `${b.dropped} log lines dropped: over ${perSecond} a second from this worker`, fn, version: b.version, device: b.device, source: 'platform', fields: { dropped: b.dropped } };
}
