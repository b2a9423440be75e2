/**
 * Calls `stop` once the parent that forked this process (with an IPC channel) is gone, so a pool
 * or worker never outlives it: on 'disconnect', or at once when the channel closed before anyone
 * listened, which is the case when the parent died while this process was still starting (no
 * event is sent again). Does nothing in a process started without a channel. `stop` must be
 * idempotent.
 */
export function whenParentGone(stop: () => void): void {
  if (!process.send) return;
  process.on('disconnect', stop);
  if (!process.connected) stop();
}
