import { BatchedWrites } from './batched-writes.ts';
import { SECONDS_BOUNDS, addCounts, emptyMinute, observe, type CallRollups, type MinuteCalls } from '../../queue/cluster/index.ts';

/** One answered invocation, as the request middleware sees it. */
export interface AnsweredCall {
  function: string;
  /** The version that answered (`X-Function-Version`); empty when none did. */
  version: string;
  mode: 'sync' | 'async';
  status: number;
  seconds: number;
  inputs: number;
  /** For a version that declares `cache`: whether the answer came from the result cache. */
  cache?: 'hit' | 'miss';
}

const MINUTE_MS = 60_000;

/**
 * Adds up this router's answered calls per function and minute in memory, and writes them to the
 * shared rollups (`CallRollups`) every `everyMs`: a call costs a map lookup here, and Redis sees
 * one pipelined write per interval. Counts a write could not deliver are kept for the next.
 */
export class CallRecorder {
  private readonly batches: BatchedWrites<Map<number, Map<string, MinuteCalls>>>;

  constructor(rollups: Pick<CallRollups, 'add'>, everyMs = 5_000) {
    this.batches = new BatchedWrites({ empty: () => new Map(), isEmpty: (b) => b.size === 0, write: (b) => rollups.add(b), merge: putBack, everyMs });
  }

  record(c: AnsweredCall, now = Date.now()): void {
    const minute = Math.floor(now / MINUTE_MS);
    const pending = this.batches.current;
    let fns = pending.get(minute);
    if (!fns) pending.set(minute, (fns = new Map()));
    let m = fns.get(c.function);
    if (!m) fns.set(c.function, (m = emptyMinute()));
    m.calls++;
    if (c.status >= 500) m.serverErrors++;
    else if (c.status >= 400) m.clientErrors++;
    else m.inputs += c.inputs;
    if (c.mode === 'sync') observe(m.syncSeconds, SECONDS_BOUNDS, c.seconds);
  }

  /** Writes what was counted since the last flush. */
  flush(): Promise<void> {
    return this.batches.flush();
  }

  close(): Promise<void> {
    return this.batches.close();
  }
}

function putBack(into: Map<number, Map<string, MinuteCalls>>, batch: Map<number, Map<string, MinuteCalls>>): void {
  for (const [minute, fns] of batch) {
    let to = into.get(minute);
    if (!to) into.set(minute, (to = new Map()));
    for (const [fn, c] of fns) {
      const cur = to.get(fn);
      if (!cur) {
        to.set(fn, c);
        continue;
      }
      cur.calls += c.calls;
      cur.clientErrors += c.clientErrors;
      cur.serverErrors += c.serverErrors;
      cur.inputs += c.inputs;
      addCounts(cur.syncSeconds, c.syncSeconds);
    }
  }
}
