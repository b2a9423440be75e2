import { toErrorRecord, type ErrorRecord, type InvocationResult } from '../../functions/sdk/index.ts';
import { JobFailedError } from './errors.ts';
import type { CarriedSpan, PayloadCipher } from '../cluster/index.ts';

/** What a queued invocation carries. Stored by BullMQ as the job's data. */
export interface JobData {
  fn: string;
  version: string;
  /** The input, sealed; for a job with `items`, the array of their inputs, sealed as one. */
  input: unknown;
  /**
   * A job with many inputs: concurrent synchronous calls grouped by the router (one queue round
   * trip for all), or a bulk job. Each item succeeds, fails and retries on its own.
   */
  items?: ItemData[];
  /** Namespace (tenant) the job belongs to. */
  ns: string;
  /**
   * Who submitted it (the token's `sub`). A group of synchronous calls by several callers has
   * {@link SEVERAL_CALLERS} here, and each item names its own.
   */
  by: string;
  /** Absolute deadline, epoch ms; the job is not started after it. Null: no deadline. */
  deadline: number | null;
  /** W3C trace context of the submitting request. */
  traceparent?: string;
  tracestate?: string;
  /** Router that waits for this job synchronously; results go straight to it. */
  replyTo?: string;
  /**
   * With `replyTo`: that router writes the worker's spans of this job's calls to the trace store,
   * with its own (they travel in the done message, see `SpanCarrier`). Set by routers whose
   * trace store is on; a worker that finds no router listening writes them itself.
   */
  spansToRouter?: true;
  /** Webhook to POST the final result to. */
  callbackUrl?: string;
  /** A mirrored call to a shadow candidate. */
  shadow?: boolean;
  /** Its caller streams (a sync call with `Accept: text/event-stream`): the worker writes what the handler emits to `keys.chunks`. */
  stream?: true;
  /**
   * Queued by a router with no other call in flight: no companion is likely soon, so the worker
   * starts the batch this job's calls head without waiting `batching.maxDelay` for others (at one
   * call at a time that wait is all latency; under load, calls gather and it still applies).
   */
  solo?: true;
  /** Timeout of one attempt, ms (from the manifest). */
  timeoutMs: number;
  enqueuedAt: number;
}

/** One input of a job with items (the inputs themselves travel together in the job's `input`). */
export interface ItemData {
  /** Absolute deadline, epoch ms; the item is not started after it. Null: the job's. */
  deadline: number | null;
  /** Trace context of the call that brought this item (grouped calls each have their own). */
  traceparent?: string;
  tracestate?: string;
  /** Who made this call, in a group of calls by several callers (otherwise the job's `by`). */
  by?: string;
  /** This call streams (see {@link JobData.stream}). */
  stream?: true;
}

/**
 * The `by` of a job carrying the calls of several callers. No token has an empty subject (the
 * verifier refuses one), so no caller owns such a job: only roles that see every job read it.
 */
export const SEVERAL_CALLERS = '';

/** A `by` as an owner: the token subject, or null for a job of several callers. */
export const ownerFrom = (by: string): string | null => (by === SEVERAL_CALLERS ? null : by);

/** Who owns the job, or its item `index`: a token subject, or null when no one caller does. */
export function jobOwner(data: JobData, index?: number): string | null {
  return ownerFrom((index === undefined ? undefined : data.items?.[index]?.by) ?? data.by);
}

/**
 * The outcome of one item: a result (its output is in {@link ItemsResult.outputs}, or `error`) and
 * the attempts it took. As stored, a failed item has `failed` instead of `error`, which is sealed
 * in {@link ItemsResult.errors}.
 */
export type ItemResult = InvocationResult & { attempts: number; failed?: true };

/**
 * What a job with items returns: one result per item, in order, and their outputs as one sealed
 * array (undefined where an item failed). One seal per job, not per item: sealing showed in profiles.
 * The items' errors are sealed too, as one array (`errors`, null where an item succeeded): a
 * function's error message may carry what its input did.
 */
export interface ItemsResult {
  items: ItemResult[];
  outputs: unknown;
  errors?: unknown;
}

/** The additional data an error record of job `id` is sealed with: not interchangeable with its output. */
const errorAad = (id: string): string => `${id}:error`;

/** `result` as it is stored: each item's error moved into one sealed array. */
export function sealItemErrors(result: ItemsResult, cipher: PayloadCipher, id: string, ns: string): ItemsResult {
  if (!result.items.some((r) => r.error)) return result;
  const errors = result.items.map((r) => r.error ?? null);
  const items = result.items.map(({ error, ...r }): ItemResult => (error ? { ...r, failed: true } : r));
  return { ...result, items, errors: cipher.seal(errors, errorAad(id), ns) };
}

/** The items' errors of a stored result, by index (records written before errors were sealed carry their own). */
export function openItemErrors(result: ItemsResult, cipher: PayloadCipher, id: string): (ErrorRecord | undefined)[] {
  const sealed = result.errors === undefined ? [] : ((cipher.open(result.errors, errorAad(id)) as (ErrorRecord | null)[]) ?? []);
  return result.items.map((r, i) => r.error ?? sealed[i] ?? (r.failed ? toErrorRecord(new JobFailedError()) : undefined));
}

/** Lifecycle states exposed by the API. */
export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** The API's view of a job. */
export interface JobView {
  id: string;
  function: string;
  version: string;
  namespace: string;
  /** The token subject that submitted it; null for a group of calls by several callers (each item names its own). */
  submittedBy: string | null;
  status: JobStatus;
  output?: unknown;
  error?: { code: string; message: string; retryable: boolean; [k: string]: unknown };
  attempts: number;
  maxAttempts: number;
  /** An async job's priority (1 first); none for sync calls. */
  priority?: number;
  timings: { queued: string; started?: string; finished?: string };
  device?: string;
  /** TensorFlow.js backend of the worker that ran it. */
  backend?: string;
  batchSize?: number;
  /** The knowledge collections the function's load read, name → collection version (only for a version whose manifest lists any). */
  knowledge?: Record<string, string>;
  /** The webhook's delivery; `refused` says why it was not sent at all (a refused address, a redirect). */
  callback?: { url: string; status: 'pending' | 'delivered' | 'failed'; attempts: number; refused?: string };
  /** A job with many inputs: each item's outcome, in input order (once the job has ended). */
  items?: ItemView[];
  /** Inputs the job carries, and how many of them failed (once it has ended). */
  itemCount?: number;
  itemsFailed?: number;
  /** An item's view: the job it belongs to. */
  partOf?: string;
}

/** One item of a job with many inputs. */
export interface ItemView {
  id: string;
  status: JobStatus;
  output?: unknown;
  error?: JobView['error'];
  attempts: number;
  /** Who made the call, when the job's calls came from several callers. */
  submittedBy?: string;
}

/** The message a worker publishes when a job ends for good. */
export interface DoneMessage {
  id: string;
  ok: boolean;
  result?: InvocationResult;
  error?: ErrorRecord;
  /** A grouped job's items, each announced with its own id, in one message. */
  items?: DoneMessage[];
  /** With `items`: their outputs, sealed as one array (the receiver opens it once). */
  outputs?: unknown;
  /** The worker's spans of these calls, for the router to write (see {@link JobData.spansToRouter}). */
  spans?: CarriedSpan[];
}

/** Marks a BullMQ failure reason as one of ours so it can be parsed back. */
const ERROR_MARK = 'autoglm-error:';

/** What seals a job's failure: the cipher, the job's id (the additional data) and its namespace (the key). */
export interface FailureSeal {
  cipher: PayloadCipher;
  id: string;
  ns: string;
}

/**
 * A failure as BullMQ keeps it (`failedReason`, in the clear): our mark and the record, sealed
 * when `seal` is given, as job failures are (a function's error may carry what its input did).
 * Deploy checks, which carry no payload, leave theirs open.
 */
export function encodeFailure(rec: ErrorRecord, seal?: FailureSeal): string {
  return ERROR_MARK + JSON.stringify(seal ? seal.cipher.seal(rec, errorAad(seal.id), seal.ns) : rec);
}

/**
 * An error BullMQ records as is (its `failedReason`, and its `stack` in the job's `stacktrace`):
 * the encoded failure as message, and no stack, which would repeat it with our frames.
 */
export function failureError<E extends Error>(make: (message: string) => E, rec: ErrorRecord, seal?: FailureSeal): E {
  const err = make(encodeFailure(rec, seal));
  err.stack = `${err.name}: ${ERROR_MARK}…`;
  return err;
}

export function decodeFailure(reason: string | undefined, seal?: FailureSeal): ErrorRecord {
  if (reason?.startsWith(ERROR_MARK)) {
    let value: unknown;
    try {
      value = JSON.parse(reason.slice(ERROR_MARK.length));
    } catch {
      return toErrorRecord(new JobFailedError());
    }
    try {
      // An open record (a deploy check's, or one written before failures were sealed) is returned as is.
      return (seal ? seal.cipher.open(value, errorAad(seal.id)) : value) as ErrorRecord;
    } catch {
      return toErrorRecord(new JobFailedError('its error record cannot be opened (a key missing from the keyring, or a pool not holding the key of its namespace?)'));
    }
  }
  // Failures BullMQ raises itself (stalled too often, lock lost) carry plain text.
  return toErrorRecord(new JobFailedError(reason));
}
