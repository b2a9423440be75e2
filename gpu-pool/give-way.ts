/**
 * A training process's `ctx.giveWay()`: the worker tells it whether it serves live calls now; a
 * step that gives way goes on at once while it does not, and otherwise when it no longer does or
 * after `maxWaitMs`, so a training keeps moving, slowly, under steady load.
 */
export class GiveWay {
  private busy = false;
  private waiters: (() => void)[] = [];

  constructor(private readonly maxWaitMs = 100) {}

  /** The worker's news: it serves calls now, or no longer (waiting steps go on). */
  set(busy: boolean): void {
    this.busy = busy;
    if (busy) return;
    const go = this.waiters;
    this.waiters = [];
    for (const g of go) g();
  }

  wait(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== go);
        resolve();
      }, this.maxWaitMs);
      const go = () => (clearTimeout(timer), resolve());
      this.waiters.push(go);
    });
  }
}
