/** How a {@link BatchedWrites} handles its batches. */
export interface BatchedWritesOptions<B> {
  empty: () => B;
  isEmpty: (batch: B) => boolean;
  /** Writes a batch; a rejection keeps its counts for the next write. */
  write: (batch: B) => Promise<void>;
  /** Adds a batch that could not be written into the one being counted. */
  merge: (into: B, from: B) => void;
  everyMs: number;
}

/**
 * Counts in memory, written every `everyMs` as one batch, one write at a time: what routers do
 * with figures many calls add to (per-minute rollups, per-version calls). A write that fails
 * puts its counts back, so a Redis blip delays figures but loses none.
 */
export class BatchedWrites<B> {
  private pending: B;
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly o: BatchedWritesOptions<B>) {
    this.pending = o.empty();
    this.timer = setInterval(() => void this.flush(), o.everyMs);
    this.timer.unref();
  }

  /** The batch being counted into now. */
  get current(): B {
    return this.pending;
  }

  /** Writes what was counted since the last write. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const batch = this.pending;
      if (this.o.isEmpty(batch)) return;
      this.pending = this.o.empty();
      try {
        await this.o.write(batch);
      } catch {
        this.o.merge(this.pending, batch);
      }
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
