import type { ErrorRecord, InvocationResult } from '../functions/sdk/index.ts';

/** What a queued invocation carries. Stored by BullMQ as the job's data. */
export interface JobData {
  fn: string;
  version: string;
  input: unknown;
  /** Namespace (tenant) the job belongs to. */
  ns: string;
  /** Who submitted it (the token's `sub`). */
  by: string;
  /** Absolute deadline, epoch ms; the job is not started after it. Null: no deadline. */
  deadline: number | null;
  /** W3C trace context of the submitting request. */
  traceparent?: string;
  tracestate?: string;
  /** Router that waits for this job synchronously; results go straight to it. */
  replyTo?: string;
  /** Webhook to POST the final result to. */
  callbackUrl?: string;
  /** A mirrored call to a shadow candidate. */
  shadow?: boolean;
  /** Timeout of one attempt, ms (from the manifest). */
  timeoutMs: number;
  enqueuedAt: number;
}

/** Lifecycle states exposed by the API. */
export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** The API's view of a job. */
export interface JobView {
  id: string;
  function: string;
  version: string;
  namespace: string;
  /** The token subject that submitted it. */
  submittedBy: string;
  status: JobStatus;
  output?: unknown;
  error?: { code: string; message: string; retryable: boolean; [k: string]: unknown };
  attempts: number;
  maxAttempts: number;
  timings: { queued: string; started?: string; finished?: string };
  device?: string;
  /** TensorFlow.js backend of the worker that ran it. */
  backend?: string;
  batchSize?: number;
  callback?: { url: string; status: 'pending' | 'delivered' | 'failed'; attempts: number };
}

/** The message a worker publishes when a job ends for good. */
export interface DoneMessage {
  id: string;
  ok: boolean;
  result?: InvocationResult;
  error?: ErrorRecord;
}

/** Marks a BullMQ failure reason as one of ours so it can be parsed back. */
const ERROR_MARK = 'autoglm-error:';

export function encodeFailure(rec: ErrorRecord): string {
  return ERROR_MARK + JSON.stringify(rec);
}

export function decodeFailure(reason: string | undefined): ErrorRecord {
  if (reason?.startsWith(ERROR_MARK)) {
    try {
      return JSON.parse(reason.slice(ERROR_MARK.length)) as ErrorRecord;
    } catch {
      /* fall through */
    }
  }
  // Failures BullMQ raises itself (stalled too often, lock lost) carry plain text.
  return { code: 'JOB_FAILED', message: reason ?? 'the job failed', status: 500, retryable: false };
}
