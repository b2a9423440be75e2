import { AutoglmError } from '../../functions/sdk/index.ts';
import { queueError } from './errors.ts';
import { SEVERAL_CALLERS, type DoneMessage, type ItemData } from './job-data.ts';
import type { JobSubmitter, SubmitRequest } from './job-submitter.ts';

import { type NamespaceLimiter, itemId, newJobId } from '../cluster/index.ts';
import type { ResultBus } from './result-bus.ts';

/** One synchronous call: what the router knows of it when it arrives. */
export type SyncCall = Pick<SubmitRequest, 'rec' | 'input' | 'inputJson' | 'ns' | 'by' | 'traceparent' | 'tracestate' | 'shadow' | 'priority' | 'stream'> & {
  /** When the caller stops waiting, epoch ms; the call is not started after it. */
  deadline: number;
};

/** A call on its way: its id (a job id, or an item id within a group) and its outcome. */
export interface PendingCall {
  id: string;
  /** The final message, or undefined when the deadline passed first. */
  done: Promise<DoneMessage | undefined>;
}

/** Options of a {@link CallGrouper}. */
export interface GrouperOptions {
  /** The router's id: results come back on its own channel. */
  routerId: string;
  /** Most calls in one queue job. 1 turns grouping off. Default 32. */
  maxItems?: number;
  /** Longest a call waits for companions while earlier calls are still running, ms. Default 1. */
  maxWaitMs?: number;
  /** This router writes the worker's spans of its calls, from their done messages (its trace store is on). */
  spansToRouter?: boolean;
}

interface Waiting {
  call: SyncCall;
  resolve: (p: PendingCall) => void;
  reject: (err: unknown) => void;
}

interface Forming {
  calls: Waiting[];
  /** Cancels the pending flush. */
  cancel: () => void;
}

/**
 * Groups concurrent synchronous calls of one function version into one queue job, so that N
 * calls cost one queue round trip instead of N: the queue's per-job Redis work, not the model,
 * dominates small calls. Each call keeps its own id (`<job id>.<index>`), caller, deadline,
 * trace, admission, result and error. Calls of different callers ride together too (many apps
 * or users with one call each are the common case); such a job belongs to none of them, and
 * each item to its own caller. A lone call (nothing else in flight) goes out at once as a plain
 * job, so grouping adds no latency when there is nothing to group.
 */
export class CallGrouper {
  private readonly forming = new Map<string, Forming>();
  private readonly maxItems: number;
  private readonly maxWaitMs: number;
  /** Calls submitted and not yet answered: while there are some, new calls wait to be grouped. */
  private outstanding = 0;

  constructor(
    private readonly submitter: JobSubmitter,
    private readonly results: ResultBus,
    private readonly limiter: NamespaceLimiter,
    private readonly opts: GrouperOptions,
  ) {
    this.maxItems = opts.maxItems ?? 32;
    this.maxWaitMs = opts.maxWaitMs ?? 1;
  }

  /**
   * Puts a call on the queue, alone or with others. Resolves once its job is queued.
   * @throws what admission and submission throw (rate, quota, full queue, Redis down).
   */
  call(call: SyncCall): Promise<PendingCall> {
    if (this.maxItems <= 1) return this.send([call]).then((slots) => settle(slots[0]));
    return new Promise((resolve, reject) => {
      // The namespace too: a group is admitted against one namespace's limits. Shadow copies and
      // each priority apart: both are the job's.
      const key = `${call.ns}/${call.rec.name}@${call.rec.version}${call.shadow ? '~shadow' : ''}${call.priority === undefined ? '' : `~${call.priority}`}`;
      let f = this.forming.get(key);
      if (!f) {
        // Nothing in flight: nobody else is coming soon, so wait only for this turn's arrivals.
        let cancel: () => void;
        if (this.outstanding === 0) {
          const t = setImmediate(() => this.flush(key));
          cancel = () => clearImmediate(t);
        } else {
          const t = setTimeout(() => this.flush(key), this.maxWaitMs);
          cancel = () => clearTimeout(t);
        }
        this.forming.set(key, (f = { calls: [], cancel }));
      }
      f.calls.push({ call, resolve, reject });
      if (f.calls.length >= this.maxItems) this.flush(key);
    });
  }

  private flush(key: string): void {
    const f = this.forming.get(key);
    if (!f) return;
    this.forming.delete(key);
    f.cancel();
    const waiting = f.calls;
    this.send(waiting.map((w) => w.call)).then(
      (slots) => waiting.forEach((w, i) => settle(slots[i]).then(w.resolve, w.reject)),
      (err: unknown) => waiting.forEach((w) => w.reject(err)),
    );
  }

  /**
   * Admits the calls (one round trip), then queues the admitted ones: one plain job for one call,
   * one job with items for several. Calls past the namespace's limits get the refusal in their slot.
   */
  private async send(calls: SyncCall[]): Promise<(PendingCall | Error)[]> {
    const first = calls[0]!;
    // Read before this group's own calls count: nothing else in flight means a lone caller.
    const solo = this.outstanding === 0;
    const jobId = newJobId(first.rec.name);
    const single = calls.length === 1;
    const ids = calls.map((_, i) => (single ? jobId : itemId(jobId, i)));
    const holdMs = Math.max(0, Math.max(...calls.map((c) => c.deadline)) - Date.now());
    // Calls of one group share a namespace; the limiter admits a prefix of them, so ids stay dense.
    // Shadow copies take no rate token (the tenant did not send them) but a concurrency slot each:
    // they run on the namespace's share like its own calls, and a copy with no slot free is dropped.
    const { admitted, refusal } = await this.limiter.admitMany(first.ns, ids, { holdMs, rate: !first.shadow }).catch((err: unknown) => {
      throw err instanceof AutoglmError ? err : queueError(err);
    });
    const going = calls.slice(0, admitted);
    const refused = calls.slice(admitted).map(() => refusal!);
    if (going.length === 0) return refused;
    const severalCallers = going.some((c) => c.by !== first.by);
    // Wait first, submit second: a fast worker cannot answer before anyone listens.
    const pending = going.map((c, i) => this.track({ id: ids[i]!, done: this.results.wait(ids[i]!, c.deadline) }));
    try {
      await this.submitter.submit(
        {
          rec: first.rec,
          input: single ? first.input : null,
          inputJson: single ? first.inputJson : jsonArray(going.map((c) => c.inputJson)),
          ns: first.ns,
          by: severalCallers ? SEVERAL_CALLERS : first.by,
          deadline: Math.max(...going.map((c) => c.deadline)),
          replyTo: this.opts.routerId,
          ...(this.opts.spansToRouter ? { spansToRouter: true as const } : {}),
          ...(first.shadow ? { shadow: true } : {}),
          ...(first.priority === undefined ? {} : { priority: first.priority }),
          ...(solo ? { solo: true as const } : {}),
          // A group cut down to one call by the limiter still goes as items: its id is an item id.
          ...(single ? { ...trace(first), ...(first.stream ? { stream: true as const } : {}) } : { items: going.map((c) => ({ input: c.input, deadline: c.deadline, ...trace(c), ...(severalCallers ? { by: c.by } : {}), ...(c.stream ? { stream: true as const } : {}) })) }),
        },
        jobId,
      );
    } catch (err) {
      for (const p of pending) this.results.cancel(p.id);
      await this.limiter.release(first.ns, pending.map((p) => p.id)).catch(() => undefined);
      throw err;
    }
    return [...pending, ...refused];
  }

  /** Counts the call as outstanding until it is answered or given up. */
  private track(p: PendingCall): PendingCall {
    this.outstanding++;
    void p.done.finally(() => this.outstanding--);
    return p;
  }
}

function trace(c: SyncCall): Pick<ItemData, 'traceparent' | 'tracestate'> {
  return { ...(c.traceparent ? { traceparent: c.traceparent } : {}), ...(c.tracestate ? { tracestate: c.tracestate } : {}) };
}

const [OPEN, COMMA, CLOSE] = ['[', ',', ']'].map((c) => Buffer.from(c));

/** The calls' inputs as one JSON array, from the text each call came with (when every one did). */
function jsonArray(texts: (Uint8Array | undefined)[]): Uint8Array | undefined {
  if (texts.some((t) => t === undefined)) return undefined;
  const parts: Uint8Array[] = [OPEN!];
  texts.forEach((t, i) => (i > 0 ? parts.push(COMMA!, t!) : parts.push(t!)));
  parts.push(CLOSE!);
  return Buffer.concat(parts);
}

/** A slot of {@link CallGrouper.send}: the pending call, or the error that refused it. */
function settle(slot: PendingCall | Error | undefined): Promise<PendingCall> {
  return slot && !(slot instanceof Error) ? Promise.resolve(slot) : Promise.reject(slot);
}
