import type { QueueSet } from './queue-set.ts';

/** The job states counted per function queue, as metrics name them. */
export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;
export type QueueState = (typeof QUEUE_STATES)[number];
export type QueueCounts = Record<QueueState, number>;

/**
 * Job counts of the function queues, read when asked (a metrics scrape): one BullMQ count per
 * queue, all queues at once. `completed` and `failed` count what Redis still holds, so they fall
 * as `AUTOGLM_RESULT_TTL` and `AUTOGLM_FAILED_TTL` expire jobs; they are gauges, not totals.
 */
export class QueueStats {
  constructor(private readonly queues: QueueSet) {}

  /**
   * Counts per state for each function named. `waiting` includes prioritized jobs (BullMQ keeps
   * them apart; to a caller they are all waiting).
   * @throws when Redis cannot be read.
   */
  async counts(functions: readonly string[]): Promise<Map<string, QueueCounts>> {
    const rows = await Promise.all(
      functions.map(async (fn) => {
        const c = await this.queues.get(fn).getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed');
        const counts: QueueCounts = {
          waiting: (c.waiting ?? 0) + (c.prioritized ?? 0),
          active: c.active ?? 0,
          delayed: c.delayed ?? 0,
          failed: c.failed ?? 0,
          completed: c.completed ?? 0,
        };
        return [fn, counts] as const;
      }),
    );
    return new Map(rows);
  }
}
