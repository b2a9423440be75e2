import { LATENCY_BOUNDS, addCounts, emptyVersionCalls, observe, type VersionCallCounts, type VersionCalls } from '../../queue/cluster/index.ts';
import { BatchedWrites, type AnsweredCall } from '../metrics/index.ts';

type Batch = Map<number, Map<string, Map<string, VersionCallCounts>>>;

/**
 * Counts this router's answered synchronous calls of the functions rolling out, per version and
 * second, and writes them to the shared per-version figures ({@link VersionCalls}) every
 * `everyMs`: what a rollout's windows are judged on. A call costs a map lookup; calls of other
 * functions cost the `tracked` check only. Counts a write could not deliver wait for the next.
 */
export class VersionRecorder {
  private readonly batches: BatchedWrites<Batch>;

  constructor(
    calls: Pick<VersionCalls, 'add'>,
    /** Whether `fn` rolls out now (the router's catalogue copy says so). */
    private readonly tracked: (fn: string) => boolean,
    everyMs = 1_000,
  ) {
    this.batches = new BatchedWrites<Batch>({ empty: () => new Map(), isEmpty: (b) => b.size === 0, write: (b) => calls.add(b), merge: putBack, everyMs });
  }

  record(c: AnsweredCall, now = Date.now()): void {
    // An asynchronous job's 202 says nothing of how the version did; a call no version answered is not the version's.
    if (c.mode !== 'sync' || !c.version || !this.tracked(c.function)) return;
    const counts = slot(this.batches.current, Math.floor(now / 1000), c.function, c.version);
    counts.calls++;
    if (c.status >= 500) counts.failed++;
    observe(counts.latency, LATENCY_BOUNDS, c.seconds);
  }

  /** Writes what was counted since the last flush. */
  flush(): Promise<void> {
    return this.batches.flush();
  }

  close(): Promise<void> {
    return this.batches.close();
  }
}

function slot(into: Batch, second: number, fn: string, version: string): VersionCallCounts {
  let fns = into.get(second);
  if (!fns) into.set(second, (fns = new Map()));
  let versions = fns.get(fn);
  if (!versions) fns.set(fn, (versions = new Map()));
  let c = versions.get(version);
  if (!c) versions.set(version, (c = emptyVersionCalls()));
  return c;
}

function putBack(into: Batch, batch: Batch): void {
  for (const [second, fns] of batch) {
    for (const [fn, versions] of fns) {
      for (const [version, c] of versions) {
        const to = slot(into, second, fn, version);
        to.calls += c.calls;
        to.failed += c.failed;
        addCounts(to.latency, c.latency);
      }
    }
  }
}
