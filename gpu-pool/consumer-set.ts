import type { Redis } from 'ioredis';
import type { Logger } from '../functions/sdk/index.ts';
import { canServe, needsOf, type DeviceSlot, type FunctionRecord, type PayloadCipher, type InferenceMode, type SpanCarrier } from '../queue/cluster/index.ts';
import { FunctionConsumer, SoloGate, type Executor } from '../queue/jobs/index.ts';
import { batchPlan } from './batcher.ts';
import type { CatalogIndex } from './catalog-index.ts';

/** Options of a {@link ConsumerSet}. */
export interface ConsumerSetOptions {
  /** Connection the consumers block on for jobs. */
  connection: Redis;
  /** Connection for results, events and callbacks. */
  publisher: Redis;
  prefix: string;
  cipher: PayloadCipher;
  /** The device: a function is consumed only when this slot can serve one of its versions. */
  slot: DeviceSlot;
  /** Every known version, for deciding job by job whether this device runs it. */
  records: CatalogIndex;
  /** Runs one job. */
  execute: Executor;
  /** Where function code runs: inline, a job's lock must outlast its handler (see {@link ConsumerSet.sync}). */
  inference: InferenceMode;
  /** How long a job's lock lasts without renewal. */
  jobLockMs: number;
  stalledIntervalMs: number;
  log: Logger;
  /** The worker's spans of synchronous calls, held for their routers (absent: the trace store is off). */
  spans?: SpanCarrier;
}

/**
 * The queue consumers of one worker: one per function its device can serve, each sized from the
 * manifests of the versions it serves, replaced when those change.
 */
export class ConsumerSet {
  private readonly consumers = new Map<string, { consumer: FunctionConsumer; signature: string }>();
  /** Functions already reported as not servable here (by their versions), so the log says it once. */
  private readonly refusedLogged = new Set<string>();
  private longest = 0;
  /** One for all the worker's consumers: a job that stalled runs alone on this worker, not only among its function's jobs. */
  private readonly solo = new SoloGate();

  constructor(private readonly opts: ConsumerSetOptions) {}

  /** Functions whose queues are consumed now. */
  functions(): string[] {
    return [...this.consumers.keys()];
  }

  /** Jobs running now. */
  inFlight(): number {
    let n = 0;
    for (const c of this.consumers.values()) n += c.consumer.running;
    return n;
  }

  /** The longest timeout of the versions consumed (0 before the first sync): a batch may run this long. */
  longestTimeoutMs(): number {
    return this.longest;
  }

  /** Consumes the queue of every function in `byFunction` this device can serve, and no other. */
  sync(byFunction: ReadonlyMap<string, FunctionRecord[]>): void {
    const { slot, log } = this.opts;
    const wanted = new Map<string, { concurrency: number; lockDurationMs: number }>();
    let longest = 0;
    for (const [fn, recs] of byFunction) {
      const servable = recs.filter((r) => canServe(needsOf(r), slot).ok);
      if (servable.length === 0) {
        const fit = canServe(needsOf(recs[0]!), slot);
        const key = `${fn}@${recs.map((r) => r.version).join(',')}`;
        if (!fit.ok && !this.refusedLogged.has(key)) log.info('not consuming: this device cannot serve it', { function: fn, reason: fit.reason });
        this.refusedLogged.add(key);
        continue;
      }
      const timeout = Math.max(...servable.map((r) => r.manifest.timeout));
      longest = Math.max(longest, timeout);
      wanted.set(fn, {
        concurrency: Math.max(...servable.map((r) => batchPlan(r.manifest).consumerConcurrency)),
        // Inline, a synchronous handler blocks lock renewal for as long as it runs (up to its
        // timeout, which cannot fire meanwhile): the lock must outlast that. On a thread it need not.
        // A version that declares `isolation: inline` promises a light handler: it keeps the short
        // lock, so a crashed worker's jobs come back as soon as for any other function.
        lockDurationMs: this.opts.inference === 'inline' ? Math.max(this.opts.jobLockMs, timeout + this.opts.jobLockMs) : this.opts.jobLockMs,
      });
    }
    this.longest = longest;
    for (const [fn, c] of this.consumers) {
      const w = wanted.get(fn);
      if (!w || JSON.stringify(w) !== c.signature) {
        this.consumers.delete(fn);
        void c.consumer.close();
      }
    }
    for (const [fn, w] of wanted) {
      if (this.consumers.has(fn)) continue;
      this.consumers.set(fn, { consumer: this.consume(fn, w), signature: JSON.stringify(w) });
      log.info('consuming', { function: fn, ...w });
    }
  }

  /** Stops taking jobs and waits for the running ones to finish; waiting ones stay queued for other workers. */
  async close(): Promise<void> {
    await Promise.all([...this.consumers.values()].map((c) => c.consumer.close()));
  }

  /** Resolves once no job runs here (also while Redis, which {@link close} waits for, is unreachable). */
  async idle(): Promise<void> {
    while (this.inFlight() > 0) await new Promise((r) => setTimeout(r, 100).unref());
  }

  private consume(fn: string, w: { concurrency: number; lockDurationMs: number }): FunctionConsumer {
    const { connection, publisher, execute, prefix, cipher, stalledIntervalMs, records, slot, log, spans } = this.opts;
    return new FunctionConsumer(fn, connection, publisher, execute, {
      prefix,
      log,
      ...(spans ? { spans } : {}),
      concurrency: w.concurrency,
      lockDurationMs: w.lockDurationMs,
      stalledIntervalMs,
      cipher,
      solo: this.solo,
      // A version this device cannot run (a gpu-only canary beside a cpu-capable stable) is
      // left to another worker; an unknown function is run, and answered FUNCTION_NOT_FOUND.
      serves: (name, version) => {
        const rec = records.find(name, version);
        return !rec || canServe(needsOf(rec), slot).ok;
      },
    });
  }
}
