/** IPC messages a worker process sends its supervisor. */
export type WorkerMessage =
  /** Backend selected, warm functions loaded, queues consumed: the worker takes jobs. */
  | { type: 'ready'; workerId: string; backend: string }
  /**
   * Sent every {@link beatEveryMs} from the main thread; its absence means the event loop is blocked.
   * `threadSilentMs` is how long the inference thread has left a ping unanswered (0 inline), and
   * `threadLimitMs` how long it may: the hang limit, or the longest timeout of the served functions.
   */
  | {
      type: 'beat';
      rss: number;
      backend: string;
      inFlight: number;
      batches: number;
      models: string[];
      threadSilentMs: number;
      threadLimitMs: number;
      /** How long this worker's main loop may go without a heartbeat: more than the hang limit inline, where handlers block it. */
      loopLimitMs: number;
    };

/**
 * How often a worker beats for a hang limit: every second, and at least four times within the
 * limit. A beat once per limit would make a few ms of timer or IPC jitter look like a hang.
 */
export function beatEveryMs(hangLimitMs: number): number {
  return Math.min(1000, Math.floor(hangLimitMs / 4));
}
