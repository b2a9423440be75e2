/**
 * How webhook deliveries are retried. Fixed here because the policy is set when the delivery is
 * enqueued (by a worker) but carried out by routers: both must agree.
 * Eleven attempts, 1 s, 2 s … 512 s apart (BullMQ's exponential backoff from 1 s): the last
 * comes about 17 minutes after the first, so a receiver restarted or redeployed meanwhile still
 * gets its deliveries.
 */
export const CALLBACK_POLICY = {
  attempts: 11,
  backoffMs: 1000,
  /** First look at the job after it is enqueued; the job is usually finished by then. */
  firstDelayMs: 20,
  /** A delivery that finds its job still unfinished looks again after this long. */
  recheckMs: 100,
  /** Delivery records are kept this long, seconds. */
  keepSeconds: 7 * 86_400,
} as const;

/** BullMQ id of the delivery job for invocation `jobId`: one delivery per job, however often enqueued. */
export const callbackJobId = (jobId: string): string => `cb.${jobId}`;

/**
 * What a delivery failed at once for (a refused address, a redirect) is recorded as, in BullMQ's
 * `failedReason`: this prefix, then the reason. The job's view shows the reason (`callback.refused`);
 * other failures' messages (a receiver's status, a connect error) stay out of it, so an invoker
 * does not learn more about internal hosts than delivered or failed.
 */
const REFUSED_PREFIX = 'refused: ';

/** The `failedReason` recorded for a delivery refused for `reason`. */
export const refusedReason = (reason: string): string => REFUSED_PREFIX + reason;

/** The reason a delivery was refused, from its `failedReason`; undefined for other failures. */
export const refusalOf = (failedReason: string | undefined): string | undefined =>
  failedReason?.startsWith(REFUSED_PREFIX) ? failedReason.slice(REFUSED_PREFIX.length) : undefined;
