import type { Queue } from 'bullmq';

/**
 * Approximate count of jobs waiting in one queue, for backpressure without a Redis round trip
 * per request: the last counted value plus the jobs this process added since. Recounted at most
 * every `staleMs` (default 100 ms), in the background, so the hot path never waits on it.
 */
export class DepthGauge {
  private count = 0;
  private addedSince = 0;
  private countedAt = 0;
  private inflight: Promise<void> | undefined;

  constructor(
    private readonly queue: Queue,
    private readonly staleMs = 100,
  ) {}

  /** Current estimate; triggers a background recount when stale. */
  estimate(now = Date.now()): number {
    if (now - this.countedAt > this.staleMs && !this.inflight) {
      this.inflight = this.recount().finally(() => (this.inflight = undefined));
    }
    return this.count + this.addedSince;
  }

  /** Waits for a fresh count (used when the estimate says full, before refusing). */
  async refresh(): Promise<number> {
    await (this.inflight ?? (this.inflight = this.recount().finally(() => (this.inflight = undefined))));
    return this.count + this.addedSince;
  }

  added(): void {
    this.addedSince++;
  }

  private async recount(): Promise<void> {
    const started = this.addedSince;
    try {
      const c = await this.queue.getJobCountByTypes('wait', 'prioritized', 'delayed');
      this.count = c;
      this.addedSince -= started;
      this.countedAt = Date.now();
    } catch {
      // Redis trouble: keep the old figure; the add itself will report the outage.
      this.countedAt = Date.now();
    }
  }
}
