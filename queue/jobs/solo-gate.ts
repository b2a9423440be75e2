/**
 * Lets a worker's jobs run together, or one job alone. A job that was running when its worker
 * died runs alone the next time (see `FunctionConsumer`): should it bring its worker down again,
 * it is the cause, and the jobs that only shared the worker with it are not blamed. A job
 * waiting to run alone keeps new ones from starting, so it is not starved; those already running
 * finish first.
 */
export class SoloGate {
  private together = 0;
  private alone = false;
  private readonly waitingAlone: (() => void)[] = [];
  private readonly waitingTogether: (() => void)[] = [];

  /** Resolves once the caller may run beside others, with the function that lets it out (idempotent). */
  async enterTogether(): Promise<() => void> {
    if (!this.alone && this.waitingAlone.length === 0) this.together++;
    else await new Promise<void>((resolve) => this.waitingTogether.push(resolve));
    return this.exit(() => this.together--);
  }

  /** Resolves once nothing else runs, with the function that lets the caller out (idempotent). */
  async enterAlone(): Promise<() => void> {
    if (!this.alone && this.together === 0 && this.waitingAlone.length === 0) this.alone = true;
    else await new Promise<void>((resolve) => this.waitingAlone.push(resolve));
    return this.exit(() => (this.alone = false));
  }

  private exit(leave: () => void): () => void {
    let left = false;
    return () => {
      if (left) return;
      left = true;
      leave();
      this.admit();
    };
  }

  /** Lets the next in line in: whoever waits to run alone first, once nothing runs. The state changes before they wake. */
  private admit(): void {
    if (this.alone) return;
    if (this.waitingAlone.length > 0) {
      if (this.together > 0) return;
      this.alone = true;
      this.waitingAlone.shift()!();
      return;
    }
    this.together += this.waitingTogether.length;
    for (const wake of this.waitingTogether.splice(0)) wake();
  }
}
