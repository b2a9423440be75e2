import type { Redis } from 'ioredis';
import type { LogLevel } from '../../functions/sdk/index.ts';
import { itemId, splitItemId } from './job-ids.ts';
import type { PayloadCipher } from './payload-cipher.ts';
import { keys } from '../keys.ts';

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
  /**
   * Items in the handler call that wrote it (absent in `load`), and their job ids as
   * {@link jobRuns}: the items of one job in a row as one `<job id>.<first>-<last>`.
   */
  batch?: number;
  jobs?: string[];
  /** The worker that ran it. */
  worker?: string;
  /** The training that wrote it (`train`'s `ctx.log`, `console.*`), when not an invocation. */
  training?: string;
}

/** Runs of job ids a line keeps: at most this many, so a batch of unrelated jobs does not make every line of it ~8 KB. */
export const JOB_RUNS_KEPT = 64;

/**
 * The job ids of a handler call's items, compact: consecutive items of one job (a bulk job's
 * inputs, a group of synchronous calls) become one run `<job id>.<first>-<last>`, so a batch of
 * 256 bulk inputs is one entry. At most {@link JOB_RUNS_KEPT} runs are kept.
 */
export function jobRuns(ids: readonly string[]): string[] {
  type Run = { job: string; from: number; to: number };
  const out: (string | Run)[] = [];
  for (const id of ids) {
    const item = splitItemId(id);
    const last = out.at(-1);
    if (item && typeof last === 'object' && last.job === item.jobId && last.to + 1 === item.index) last.to = item.index;
    else if (out.length === JOB_RUNS_KEPT) break;
    else out.push(item ? { job: item.jobId, from: item.index, to: item.index } : id);
  }
  return out.map((r) => (typeof r === 'string' ? r : r.from === r.to ? itemId(r.job, r.from) : `${r.job}.${r.from}-${r.to}`));
}

/** Whether a line's `jobs` (see {@link jobRuns}) name job or item `id`; a job's id names all its items. */
export function namesJob(jobs: readonly string[] | undefined, id: string): boolean {
  if (!jobs) return false;
  const item = splitItemId(id);
  return jobs.some((entry) => {
    if (entry === id) return true;
    const run = RUN.exec(entry);
    if (!run) return splitItemId(entry)?.jobId === id;
    if (run[1] === id) return true;
    return item !== undefined && run[1] === item.jobId && Number(run[2]) <= item.index && item.index <= Number(run[3]);
  });
}

/** `<job id>.<first>-<last>`. */
const RUN = /^(.+)\.(\d+)-(\d+)$/;

/** Options of a {@link FunctionLogWriter}. */
export interface LogWriterOptions {
  /**
   * The namespace of a function's version: its lines are sealed with that namespace's key (a
   * pool limited to namespaces holds no other). A line of a version not known is dropped.
   */
  namespaceOf: (fn: string, version: string) => string | undefined;
  /** Lines kept per function, about (Redis trims whole macro nodes) [10,000]. */
  keep?: number;
  /** Lines shipped per function per second from this worker; more are counted, then dropped [200]. */
  perSecond?: number;
  /** Lines wait this long, then one pipeline writes all of them [200 ms]. */
  flushMs?: number;
  /** Lines handed to Redis and not yet taken, at most; past it lines are dropped, so an outage cannot fill the worker's memory [`keep`]. */
  backlog?: number;
  /** Added to every line. */
  worker?: string;
}

/** Per function, in the current second: lines shipped, dropped over the rate, dropped for the backlog. */
interface Budget {
  second: number;
  shipped: number;
  overRate: number;
  stalled: number;
  version: string;
  device: string;
}

/**
 * Ships a worker's function log lines to one Redis stream per function, sealed like job
 * payloads (a log line can hold personal data as readily as an input can), in batches. A
 * function that logs per item at thousands of items a second would fill Redis with logs and
 * cost the worker more than the work: past `perSecond` lines a second per function, lines are
 * counted and dropped, and one line says how many. So are lines past the backlog of lines
 * Redis has not taken yet (an outage, a stalled connection).
 */
export class FunctionLogWriter {
  private pending: FunctionLogLine[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  /** Lines in pipelines Redis has not answered yet. */
  private unsent = 0;
  private readonly budget = new Map<string, Budget>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly cipher: PayloadCipher,
    private readonly opts: LogWriterOptions,
  ) {}

  /** Queues a line; it reaches Redis within the flush interval, unless over the rate. @returns whether it will be shipped */
  add(line: FunctionLogLine): boolean {
    const second = Math.floor(line.t / 1000);
    let b = this.budget.get(line.fn);
    if (!b || b.second !== second) {
      if (b && b.overRate + b.stalled > 0) this.queue(this.droppedLine(line.fn, b));
      b = { second, shipped: 0, overRate: 0, stalled: 0, version: line.version, device: line.device };
      this.budget.set(line.fn, b);
    }
    if (b.shipped >= (this.opts.perSecond ?? 200)) {
      b.overRate++;
      return false;
    }
    if (this.unsent + this.pending.length >= (this.opts.backlog ?? this.opts.keep ?? 10_000)) {
      b.stalled++;
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
      if (b.overRate + b.stalled > 0) this.pending.push(this.droppedLine(fn, b));
      b.overRate = b.stalled = 0;
    }
    const lines = this.pending.splice(0);
    if (lines.length === 0) return this.writing;
    const keep = this.opts.keep ?? 10_000;
    const p = this.redis.pipeline();
    const { worker } = this.opts;
    for (const line of lines) {
      const ns = this.opts.namespaceOf(line.fn, line.version);
      if (ns === undefined) continue;
      const key = keys.logs(this.prefix, line.fn);
      // The stream key as the sealed line's context: a line copied to another stream fails to open.
      p.xadd(key, 'MAXLEN', '~', keep, '*', 'd', JSON.stringify(this.cipher.seal(worker ? { ...line, worker } : line, key, ns)));
    }
    this.unsent += lines.length;
    const run = this.writing
      .then(() => p.exec())
      .then(() => undefined)
      .finally(() => (this.unsent -= lines.length));
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

  /** The line that says how many of `fn`'s lines were dropped in `b`'s second, and why. */
  private droppedLine(fn: string, b: Budget): FunctionLogLine {
    const why = [
      b.overRate ? `${b.overRate} over ${this.opts.perSecond ?? 200} a second from this worker` : '',
      b.stalled ? `${b.stalled} while Redis had not taken the lines before them` : '',
    ].filter(Boolean);
    const dropped = b.overRate + b.stalled;
    return { t: b.second * 1000 + 999, level: 'warn', msg: `${dropped} log lines dropped: ${why.join('; ')}`, fn, version: b.version, device: b.device, source: 'platform', fields: { dropped } };
  }
}
