import { SECONDS_BOUNDS, addCounts, emptyMinute, observe, type CallRollups, type MinuteCalls } from '../../queue/cluster/index.ts';

/** One answered invocation, as the request middleware sees it. */
export interface AnsweredCall {
  function: string;
  mode: 'sync' | 'async';
  status: number;
  seconds: number;
  inputs: number;
}

const MINUTE_MS = 60_000;

/**
 * Adds up this router's answered calls per function and minute in memory, and writes them to the
 * shared rollups (`CallRollups`) every `everyMs`: a call costs a map lookup here, and Redis sees
 * one pipelined write per interval. Counts a write could not deliver are kept for the next.
 */
export class CallRecorder {
  private pending = new Map<number, Map<string, MinuteCalls>>();
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly rollups: Pick<CallRollups, 'add'>,
    everyMs = 5_000,
  ) {
    this.timer = setInterval(() => void this.flush(), everyMs);
    this.timer.unref();
  }

  record(c: AnsweredCall, now = Date.now()): void {
    const minute = Math.floor(now / MINUTE_MS);
    let fns = this.pending.get(minute);
    if (!fns) this.pending.set(minute, (fns = new Map()));
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
    this.flushing = this.flushing.then(async () => {
      const batch = this.pending;
      if (batch.size === 0) return;
      this.pending = new Map();
      try {
        await this.rollups.add(batch);
      } catch {
        this.putBack(batch);
      }
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  private putBack(batch: Map<number, Map<string, MinuteCalls>>): void {
    for (const [minute, fns] of batch) {
      let into = this.pending.get(minute);
      if (!into) this.pending.set(minute, (into = new Map()));
      for (const [fn, c] of fns) {
        const cur = into.get(fn);
        if (!cur) {
          into.set(fn, c);
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
}
