/** Lets at most `size` holders in at once; the others wait, and enter in arrival order. */
export class SlotGate {
  private held = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly size: number) {}

  /** Resolves once a slot is free, with the function that gives it back (idempotent). */
  async enter(): Promise<() => void> {
    if (this.held < this.size) this.held++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // The slot passes straight to the next in line, or becomes free.
      const next = this.waiting.shift();
      if (next) next();
      else this.held--;
    };
  }
}
