/**
 * The error catalogue: every problem code the platform answers with, once, with its HTTP status,
 * a short title, what it means and whether retrying the same request may help.
 *
 * It sits at the top of `queue/` because the codes cross between the pool, the router and the
 * client (a worker's error travels in a job result, the router answers it), and `queue/` is the
 * one layer both sides import; the function SDK must not know HTTP. Functions may still choose
 * their own codes (`FunctionError`'s `code`): those are not listed here and answer 500. Of the
 * codes listed, function code may raise only `FUNCTION_ERROR` and `INVALID_INPUT`; the worker
 * turns any other it throws into `FUNCTION_ERROR` (see `gpu-pool/function-error.ts`).
 *
 * `retryable` is the default for the code; errors from function code carry their own flag.
 */
export interface ProblemEntry {
  /** The HTTP status the router answers with. */
  readonly status: number;
  /** A short title of the problem type, for people reading the list (docs, OpenAPI). */
  readonly title: string;
  /** When the code is answered, in a sentence. */
  readonly meaning: string;
  /** Whether the same request may succeed if sent again later (queue retries follow it too). */
  readonly retryable: boolean;
}

const e = (status: number, title: string, meaning: string, retryable = false): ProblemEntry => ({ status, title, meaning, retryable });

/** Every problem code, grouped by who raises it. */
export const PROBLEM_CODES = {
  // The request itself (router)
  BAD_REQUEST: e(400, 'Bad request', 'The HTTP layer refused the request before a route ran.'),
  INVALID_REQUEST: e(400, 'Invalid request', 'A field of the request is invalid (named in `field`, located by `in`); includes the function input schema.'),
  MALFORMED_JSON: e(400, 'Malformed JSON', 'The request body is not valid JSON.'),
  PAYLOAD_TOO_LARGE: e(413, 'Payload too large', 'The request body exceeds the configured limit (`limit`).'),
  UNSUPPORTED_MEDIA_TYPE: e(415, 'Unsupported media type', 'The body is not of the expected Content-Type.'),
  ROUTE_NOT_FOUND: e(404, 'Route not found', 'No route for this method and path.'),
  METHOD_NOT_ALLOWED: e(405, 'Method not allowed', 'The path exists but not with this method.'),
  UNAVAILABLE: e(503, 'Unavailable', 'The router is shutting down or not ready.', true),
  INTERNAL: e(500, 'Internal error', 'An unexpected error; it was logged with the request id, and the answer carries no detail.'),

  // Who may call (auth)
  UNAUTHORIZED: e(401, 'Unauthorized', 'The bearer token is missing, malformed, forged or expired.'),
  FORBIDDEN: e(403, 'Forbidden', "The token's roles or namespaces do not allow the action."),
  LOGIN_CODE_INVALID: e(400, 'Login code invalid', 'The console sign-in code (`field`: code) is unknown, was used already, or expired (each works once, for 10 minutes), or the token it stood for is no longer valid.'),
  TOO_MANY_LOGIN_ATTEMPTS: e(429, 'Too many login attempts', 'This address tried 10 sign-in codes that did not work within 10 minutes; has Retry-After.', true),

  // Functions and versions (registry)
  FUNCTION_NOT_FOUND: e(404, 'Function not found', 'No function of that name is deployed (or it was removed while the call waited).'),
  VERSION_NOT_FOUND: e(404, 'Version not found', 'The function is deployed but has no version of that id (a call pinned to `name@version`; `field` names where the version was given).'),
  FUNCTION_NOT_SERVING: e(409, 'Function not serving', 'The function exists but no version takes traffic.'),
  DRIFT_NOT_WATCHED: e(404, 'Drift not watched', "The version's manifest has no `drift` section: its inputs are not compared with a baseline."),
  FUNCTION_BUSY: e(409, 'Function busy', 'The function still has queued or running jobs and removal was not forced (`jobs`).'),
  NAMESPACE_MISMATCH: e(409, 'Namespace mismatch', "The bundle's function name is held by another namespace (`namespace`), deployed or being deployed: names are global."),
  INVALID_BUNDLE: e(400, 'Invalid bundle', 'The uploaded archive is not a valid bundle (format, manifest, entry, artifacts; a member that is a link, a device, a FIFO, or has an absolute or `..` path).'),
  BUNDLE_TOO_LARGE: e(413, 'Bundle too large', 'The archive expands past `AUTOGLM_BUNDLE_LIMIT` of content or holds more than `AUTOGLM_BUNDLE_MAX_ENTRIES` members (`limit`, `max`); it was refused as it inflated, not after.'),
  HASH_MISMATCH: e(400, 'Hash mismatch', "The bundle's sha256 is not the one declared."),
  INVALID_TRAFFIC: e(400, 'Invalid traffic', 'A traffic change cannot apply (unknown version, weights not summing to 100).'),
  KNOWLEDGE_INVALID: e(400, 'Invalid knowledge collection', 'A knowledge collection cannot be stored: a file that is not documents (naming it, and the line of a JSON Lines file), an unsafe path, a bad name, or a size limit passed; `field` names which.'),
  KNOWLEDGE_IN_USE: e(409, 'Knowledge collection in use', 'A serving version lists the collection; removing it needs force=true (their next load fails).'),
  KNOWLEDGE_MISSING: e(404, 'Knowledge collection missing', "The namespace has no knowledge collection of that name (a manifest's `knowledge` names one that was never put, or was removed)."),
  INVALID_ROLLOUT: e(400, 'Invalid rollout', "A rollout's settings (manifest `rollout`, or the deploy's rollout flags) are out of range; `field` names the one."),
  ROLLOUT_NOT_FOUND: e(404, 'No rollout', 'The function has never been rolled out (deploy it with `--rollout`, or a manifest `rollout` section).'),
  ROLLOUT_NOT_ACTIVE: e(409, 'Rollout not in that state', 'Pause needs a progressing rollout, resume a paused one, abort either; an ended rollout (promoted, rolled back, aborted) takes none.'),
  NOT_TRAINABLE: e(409, 'Function not trainable', "The version's manifest has no `training` section (or its code exports no `train`): it cannot be trained by the platform."),
  INVALID_DATASET: e(400, 'Invalid dataset', 'A line of the uploaded dataset is not a JSON object, or not a record the manifest\'s `training.record` schema accepts: `line` names it (1-based), `field` the part.'),
  DATASET_TOO_LARGE: e(413, 'Dataset too large', 'The uploaded dataset passes `AUTOGLM_TRAINING_DATA_LIMIT` bytes (`limit`); it was refused as it streamed in, and nothing of it is kept.'),
  TRAINING_NOT_FOUND: e(404, 'Training not found', 'No training has that id, or it ended longer ago than its record is kept.'),
  TRAINING_ENDED: e(409, 'Training ended', 'The training already ended (succeeded, rejected, failed or cancelled): there is nothing to cancel.'),
  TRAINING_CANCELLED: e(409, 'Training cancelled', 'Someone cancelled the training (`cancel.by`): it made no version, and its slot was freed.'),
  TRAINING_FAILED: e(500, 'Training failed', 'The training could not make a version: `message` says why (its files did not load, or were lost before a router recorded them).'),
  ARTIFACT_NOT_FOUND: e(404, 'Artifact not found', 'No stored bundle has that hash.'),
  FUNCTION_LOAD_FAILED: e(422, 'Function load failed', "Importing the version's code or running its `load` failed (at deploy: the version is refused).", true),
  NO_DEVICE_CAN_SERVE: e(422, 'No device can serve', 'No device of any live pool can run the function (memory, device kind, namespace).'),
  NO_WORKER: e(503, 'No worker', 'No worker checked the candidate version in time.', true),
  INPUT_SCHEMA_UNSUPPORTED: e(500, 'Input schema unsupported', "The version's input schema does not compile on the router (a pattern RE2 cannot run, in a version recorded before deploys checked them); deploy a fixed version."),

  // Secrets
  SECRET_NOT_FOUND: e(404, 'Secret not found', 'The namespace has no secret of that name (a route naming it, or a version listing it at deploy or load).'),
  SECRET_IN_USE: e(409, 'Secret in use', 'Serving versions list the secret and removal was not forced (`functions`).'),

  // Jobs and the queue
  JOB_NOT_FOUND: e(404, 'Job not found', 'No job with that id (never existed, or its retention expired).'),
  TRACE_PENDING: e(404, 'Trace pending', "The job is queued, running or ended within the last few seconds, and its spans are not written yet (`Retry-After`).", true),
  TRACE_NOT_FOUND: e(404, 'Trace not found', "The job's trace is not kept (the store keeps the most recent `AUTOGLM_TRACE_KEEP` traces, failed ones for `AUTOGLM_TRACE_FAILED_TTL`; none with `AUTOGLM_TRACE_STORE=off`), or the job was cancelled before it ran."),
  JOB_NOT_CANCELLABLE: e(409, 'Job not cancellable', 'The job already started or ended, or the id is one item of a larger job.'),
  JOB_NOT_RETRYABLE: e(409, 'Job not retryable', 'Only a failed job (a dead letter) can be retried, and only as a whole job, not one of its items.'),
  JOB_EXPIRED: e(410, 'Job expired', "The job existed but is gone: its id is well formed, names a deployed function, and was made longer ago than `AUTOGLM_RESULT_TTL`, the shortest time a finished job is kept (feedback comes too late; what was recorded before is kept)."),
  JOB_NOT_FINISHED: e(409, 'Job not finished', 'The job has no output to judge yet (queued or running), or never will (cancelled); `jobStatus` says which.', true),
  JOB_CANCELLED: e(409, 'Job cancelled', 'The job was cancelled before it ran, or, for a streamed call, its client went away while it ran.'),
  JOB_FAILED: e(500, 'Job failed', 'The job failed and left no error record of its own.'),
  INPUT_MISSING: e(410, 'Input missing', "The job's stored input outlived its retention."),
  CALLBACK_URL_REFUSED: e(400, 'Callback URL refused', "The job's `callbackUrl` (`field`) may not be posted to: a scheme other than http: and https:, a loopback, link-local or unspecified address (also as the address its name resolves to), a name that does not resolve, or outside `AUTOGLM_CALLBACK_ALLOW`."),
  IDEMPOTENCY_CONFLICT: e(409, 'Idempotency conflict', 'The Idempotency-Key was used before with a different body (`jobId`).'),
  QUEUE_FULL: e(503, 'Queue full', "The function's queue is at its configured depth; has Retry-After.", true),
  QUEUE_UNAVAILABLE: e(503, 'Queue unavailable', 'Redis did not answer; has Retry-After.', true),
  STORE_FULL: e(503, 'Store full', "Redis is at its maxmemory (noeviction) and refuses writes: nothing accepted before is lost, and calls succeed again once memory frees; has Retry-After.", true),
  RATE_LIMITED: e(429, 'Rate limited', "The namespace's inputs-per-second limit is reached (a bulk job's inputs each count); has Retry-After.", true),
  CONCURRENCY_QUOTA_EXCEEDED: e(429, 'Concurrency quota exceeded', "The namespace's limit of inputs queued or running is reached; has Retry-After.", true),
  INPUTS_OVER_LIMIT: e(400, 'Inputs over limit', "A bulk job has more inputs than the namespace's limits admit at once (`field`: inputs, `limit`); it never fits: split it."),
  DEADLINE_EXCEEDED: e(504, 'Deadline exceeded', 'The deadline passed before the function answered.'),
  FUNCTION_TIMEOUT: e(504, 'Function timeout', "The handler ran longer than its manifest's timeout.", true),

  // Running functions (pool)
  FUNCTION_ERROR: e(500, 'Function error', 'The function failed (its code threw, or returned an error for the item); the function decides whether it is retryable.'),
  INVALID_INPUT: e(400, 'Invalid input', 'The function refused an input item (`field` names it).'),
  BAD_BATCH_RESULT: e(500, 'Bad batch result', '`handle` did not return one result per input: a bug in the function.'),
  FUNCTION_SOURCE_UNAVAILABLE: e(500, 'Function source unavailable', 'The worker could not fetch the bundle of the version.', true),
  SECRETS_UNAVAILABLE: e(503, 'Secrets unavailable', 'The worker has no way to open the secrets the version lists.', true),
  KNOWLEDGE_UNAVAILABLE: e(503, 'Knowledge unavailable', 'The worker has no way to open the knowledge collections the version lists.', true),
  POISON_INPUT: e(422, 'Poison input', 'The job was running when its worker (or its namespace\'s sandbox process) died, twice, the second time alone: it is dead-lettered, not retried.'),
  WORKER_LOST: e(503, 'Worker lost', 'The worker running the job went away.', true),
  BACKEND_UNAVAILABLE: e(503, 'Backend unavailable', 'The TensorFlow.js backend the operator forced does not load on this machine.'),
  MODEL_TOO_LARGE: e(507, 'Model too large', "The function's model exceeds the whole model memory budget of the device."),

  // Training functions (pool). A training's error is read in its record, not answered to a waiting
  // call; the statuses say what kind of failure it is, as they would for a request.
  // A deadline is a 504, as FUNCTION_TIMEOUT; not retryable: the same code on the same data runs as long again.
  TRAINING_TIMEOUT: e(504, 'Training timeout', "The training ran longer than its manifest's `training.timeout` and was stopped; no version was made."),
  TRAINING_METRIC_MISSING: e(422, 'Training metric missing', "`train`'s report lacks the manifest's `training.primaryMetric` (`field` names it) in `metrics`: a bug in the function."),
  TRAINING_OUTPUT_REFUSED: e(422, 'Training output refused', "The files `train` wrote cannot make a version: an unsafe path, a link, or more than the bundle limit (`limit`)."),
  TRAINING_PROCESS_LOST: e(503, 'Training process lost', 'The process running the training ended before `train` returned (a crash, out of memory, killed).', true),

  // Audit trail
  AUDIT_UNAVAILABLE: e(503, 'Audit unavailable', 'The audit log cannot take records; the request fails rather than go unaudited.', true),
  AUDIT_LOG_NOT_FOUND: e(404, 'Audit log not found', 'No audit log where one was expected.'),
  AUDIT_CHAIN_BUSY: e(500, 'Audit chain busy', 'Another live process holds the audit chain asked for.'),
  AUDIT_CHAIN_DAMAGED: e(500, 'Audit chain damaged', "An audit chain's end does not match its head; it is kept untouched as evidence."),
  INVALID_AUDIT_EVENT: e(500, 'Invalid audit event', 'The platform built an audit event missing a required field (a bug).'),
} as const satisfies Record<string, ProblemEntry>;

/** A code of the catalogue. */
export type ProblemCode = keyof typeof PROBLEM_CODES;

/** Whether `code` is in the catalogue (a function's own code is not). */
export const isProblemCode = (code: string): code is ProblemCode => Object.hasOwn(PROBLEM_CODES, code);

/** The HTTP status of `code`; 500 for a code the catalogue does not know (a function's own). */
export const problemStatus = (code: string): number => (isProblemCode(code) ? PROBLEM_CODES[code].status : 500);
