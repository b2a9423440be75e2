import { inputField, toErrorRecord, type ErrorRecord } from '../functions/sdk/index.ts';
import { isProblemCode } from '../queue/problem-codes.ts';

/** The catalogue's codes function code may raise itself: `FunctionError`'s default and `InvalidInputError`'s. */
const FUNCTION_CODES: ReadonlySet<string> = new Set(['FUNCTION_ERROR', 'INVALID_INPUT']);

/** What a function's own code looks like (`CRM_DOWN`); anything else is kept under `details`. */
const OWN_CODE = /^[A-Z][A-Z0-9_]{0,63}$/;

/**
 * The record of an error function code threw or returned, made safe to answer with. Function
 * code is untrusted and may build any error the SDK allows, so it must not speak for the platform:
 *
 * - its code is its own (answered 500) or one the catalogue gives function authors
 *   (`FUNCTION_ERROR` 500, `INVALID_INPUT` 400); a platform code (`UNAUTHORIZED`, `WORKER_LOST`…) or
 *   a malformed one becomes `FUNCTION_ERROR`, with what it asked for kept as `details.code`;
 * - its extras all sit under one member, `details`, so none can set the problem's `status`,
 *   `type`, `instance`, a `location` or anything else the router answers with. `INVALID_INPUT`
 *   keeps its `field` at the top, as every validation error names its field there.
 *
 * Errors the platform raises around function code (timeouts, a lost worker) are not passed here.
 */
export function functionErrorRecord(err: unknown): ErrorRecord {
  const rec = toErrorRecord(err);
  const allowed = FUNCTION_CODES.has(rec.code) || (!isProblemCode(rec.code) && OWN_CODE.test(rec.code));
  const code = allowed ? rec.code : 'FUNCTION_ERROR';
  const { field, ...rest } = rec.extra ?? {};
  // Named from the request's root, as the router's own validation errors are.
  const topField = code === 'INVALID_INPUT' && typeof field === 'string' ? { field: inputField(field), in: 'body' } : {};
  const details: Record<string, unknown> = { ...(field === undefined || 'field' in topField ? rest : { ...rest, field }), ...(allowed ? {} : { code: rec.code }) };
  const out: ErrorRecord = { code, message: rec.message, retryable: rec.retryable };
  const extra = { ...topField, ...(Object.keys(details).length ? { details } : {}) };
  if (Object.keys(extra).length) out.extra = extra;
  return out;
}

/**
 * Codes the host running beside function code raises itself (`FunctionHost`: a bad batch, a
 * failed load, a version it lacks, a missing secret…), with the top-level extras they carry.
 */
const HOST_CODES: ReadonlySet<string> = new Set(['BAD_BATCH_RESULT', 'FUNCTION_LOAD_FAILED', 'FUNCTION_NOT_FOUND', 'FUNCTION_SOURCE_UNAVAILABLE', 'KNOWLEDGE_MISSING', 'KNOWLEDGE_UNAVAILABLE', 'MODEL_TOO_LARGE', 'SECRETS_UNAVAILABLE', 'SECRET_NOT_FOUND']);
const HOST_EXTRAS: ReadonlySet<string> = new Set(['field', 'in', 'secrets', 'collections', 'details']);

/**
 * An error record as the worker takes it from the other side of its hand-off (an inference
 * thread or a sandbox process). That side runs function code, which may write its own records
 * there (in a sandbox, straight onto the channel), so the worker checks them again: a code
 * neither function code nor that side's host may raise becomes `FUNCTION_ERROR` (kept as
 * `details.code`), and extras other than the host's go under `details`. A record
 * {@link functionErrorRecord} made passes unchanged.
 */
export function fromFunctionSide(rec: ErrorRecord): ErrorRecord {
  const allowed = HOST_CODES.has(rec.code) || FUNCTION_CODES.has(rec.code) || (!isProblemCode(rec.code) && OWN_CODE.test(rec.code));
  const top: Record<string, unknown> = {};
  const moved: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rec.extra ?? {})) (HOST_EXTRAS.has(k) ? top : moved)[k] = v;
  if (!allowed) moved.code = rec.code;
  if (Object.keys(moved).length) top.details = { ...(isRecord(top.details) ? top.details : top.details === undefined ? {} : { details: top.details }), ...moved };
  const out: ErrorRecord = { code: allowed ? rec.code : 'FUNCTION_ERROR', message: String(rec.message), retryable: rec.retryable === true };
  if (Object.keys(top).length) out.extra = top;
  return out;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
