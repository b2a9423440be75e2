import type { TraceStore } from '../../queue/cluster/index.ts';

/**
 * How long after a job's end its trace may still be on its way to the store: routers flush every
 * 0.1 s, and a worker's span of a call waits up to 1 s for the router's (`TraceStore.carry`).
 * Within it a missing trace is TRACE_PENDING (retry), after it TRACE_NOT_FOUND.
 */
export const TRACE_SETTLE_MS = 5_000;

/**
 * Whether a missing trace may still come: its job is queued or running, or ended within
 * {@link TRACE_SETTLE_MS} and no trace written since its end was pushed out of the store (it
 * trims the oldest first), so its own cannot have been.
 */
export async function traceOnItsWay(traces: Pick<TraceStore, 'oldestKept'> | undefined, job: { traceId?: string; endedAt?: number | null }, now = Date.now()): Promise<boolean> {
  if (!traces || !job.traceId || job.endedAt === undefined) return false;
  if (job.endedAt === null) return true;
  if (now - job.endedAt >= TRACE_SETTLE_MS) return false;
  const oldest = await traces.oldestKept();
  return oldest === undefined || oldest <= job.endedAt;
}
