/**
 * The helper side of {@link startChild}: a helper process says it can take load, and exits
 * cleanly on SIGTERM/SIGINT or as soon as the bench that forked it goes away (IPC closed), so a
 * crashed or killed bench leaves no process behind.
 */

/** What a helper sends once it can take load. */
export interface ReadyMessage {
  ready: true;
  /** Port it listens on (servers only). */
  port?: number;
}

/** Sends the ready message and arranges for `close()` then exit when the bench says stop or dies. */
export function announceReady(msg: Omit<ReadyMessage, 'ready'>, close: () => Promise<unknown>): void {
  let closing = false;
  const exit = () => {
    if (closing) return;
    closing = true;
    // A close that hangs (a Redis gone first) must not keep the helper alive.
    setTimeout(() => process.exit(1), 3000).unref();
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', exit);
  process.on('SIGINT', exit);
  process.on('disconnect', exit);
  process.send?.({ ready: true, ...msg } satisfies ReadyMessage);
}
