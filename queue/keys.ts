/**
 * Every Redis key the platform writes, in one place, the way BullMQ documents its own. `p` is the
 * key prefix (`AUTOGLM_REDIS_PREFIX`, default {@link DEFAULT_PREFIX}): several platforms can share
 * one Redis. No key string is built anywhere else; a new key is added here, with its line.
 *
 * Each line: type · who writes · who reads · expiry.
 *
 * BullMQ keeps its own keys under `<p>:<queue>:…` (`wait`, `active`, `delayed`, `prioritized`,
 * `completed`, `failed`, `events`, `meta`, `id`, `<jobId>`, `<jobId>:lock`, …) for these queues:
 * `fn.<function>` (one per function: invocations), `callbacks` (webhook deliveries),
 * `deploy-checks.<cpu|gpu|any>` and `deploy-checks.w.<worker>` (load checks of a candidate),
 * `train.<cpu|gpu>` (training jobs) and `training-finish` (trained versions and training ends to record). Their
 * names are built in `queue/jobs/names.ts`; the keys inside are BullMQ's.
 */

/** Default key prefix for everything the platform keeps in Redis. */
export const DEFAULT_PREFIX = 'autoglm';

export const keys = {
  /** hash function name → its record (versions, traffic) · router (deploy, traffic) · router, workers · none */
  functions: (p: string) => `${p}:functions`,
  /** channel: a function's name after its record changed · router · routers, workers · — */
  catalogChannel: (p: string) => `${p}:functions:changed`,
  /** string: the namespace deploying a new function name until its version is recorded (Lua CLAIM) · router (deploy) · router (deploy) · load-check timeout + 1 min */
  nameClaim: (p: string, name: string) => `${p}:functions:claim:${name}`,
  /** string: `<job id> <body hash>` an Idempotency-Key made (SET NX; the hash is of the caller's subject and the key), then ` added` once the job is added (a replay re-adds only an unmarked one) · router · router · result TTL */
  idempotency: (p: string, ns: string, fn: string, keyHash: string) => `${p}:idem:${ns}:${fn}:${keyHash}`,
  /** string: tombstone of a cancelled job (who, when) · router · router, workers · cancelled TTL */
  cancelled: (p: string, id: string) => `${p}:cancelled:${id}`,
  /** string: marks a job that stalled (its worker died) while it runs again, alone: found on its return, it is POISON_INPUT · worker · worker (deletes it when the run ends) · 1 day */
  soloRun: (p: string, id: string) => `${p}:solo:${id}`,
  /** string: a large job input's ciphertext, kept apart from the job record · router · worker (deletes it) · failed TTL */
  input: (p: string, id: string, nonce: string) => `${p}:input:${id}:${nonce}`,
  /** stream of a streaming call's chunks (`ctx.emit`), field `c` sealed with its namespace's key (XADD MAXLEN ~) · worker · the router holding the call (XREAD; deletes it at the end) · 60 s after the last chunk */
  chunks: (p: string, id: string) => `${p}:chunks:${id}`,
  /** string: the client of a streamed call went away; the worker running it stops it at its next chunk · router · worker (with each chunk it writes) · 60 s */
  chunksAbandoned: (p: string, id: string) => `${p}:chunks:gone:${id}`,
  /** stream whose entries wake a router's chunk reader from its XREAD when it follows a new call · router · that router · 60 s after the last, trimmed to ~16 */
  chunkWake: (p: string, routerId: string) => `${p}:chunks:wake:${routerId}`,
  /** channel: job ended ({id, ok, …}); per router when it names itself, else shared · workers, router · routers · — */
  doneChannel: (p: string, routerId?: string) => (routerId ? `${p}:done:${routerId}` : `${p}:done`),
  /** sorted set of worker ids by last beat · workers · router, pools · pruned by score */
  workers: (p: string) => `${p}:workers`,
  /** string: a worker's state (JSON) · that worker · router (readyz, placement) · 3 × stale time */
  worker: (p: string, id: string) => `${p}:worker:${id}`,
  /** sorted set of pool ids by last beat · pools · router · pruned by score */
  pools: (p: string) => `${p}:pools`,
  /** string: a pool's slots (JSON) · that pool · router (readyz, `autoglm pool`) · 3 × stale time */
  pool: (p: string, id: string) => `${p}:pool:${id}`,
  /** hash {tokens, at}: a namespace's rate token bucket (Lua, namespace-limiter) · router · router · the time it takes to refill */
  rate: (p: string, ns: string) => `${p}:rate:${ns}`,
  /** sorted set of a namespace's in-flight inputs (job or item ids) by deadline · router (admits) · router, workers (release) · entries pruned by score */
  inflight: (p: string, ns: string) => `${p}:inflight:${ns}`,
  /** hash secret name → sealed value, one per namespace · router · workers · none */
  secrets: (p: string, ns: string) => `${p}:secrets:${ns}`,
  /** channel: {namespace, name} of a secret set or removed · router · workers (reload) · — */
  secretsChannel: (p: string) => `${p}:secrets:changed`,
  /** stream of a function's sealed log lines · workers · router (logs API) · capped by length (MAXLEN ~) */
  logs: (p: string, fn: string) => `${p}:logs:${fn}`,
  /** hash or list of a shadow candidate's figures (`part`: counts, samples, …) · router · router · dropped with the candidate */
  shadow: (p: string, fn: string, candidate: string, part: string) => `${p}:shadow:${fn}:${candidate}:${part}`,
  /** SCAN pattern of every shadow key of a function · — · router (drop) · — */
  shadowPattern: (p: string, fn: string) => `${p}:shadow:${fn}:*`,
  /** hash audit chain id → its head ({seq, hash, kid, at} JSON), only moved forward · router (audit writer) · router (`audit verify`) · none */
  auditHeads: (p: string) => `${p}:audit:heads`,
  /** hash `<feature>:<bin>` → inputs counted in that minute (and `_skipped`), per version and minute (epoch min) · workers · router (drift) · 24 h + 2 min */
  driftMinute: (p: string, fn: string, version: string, minute: number) => `${p}:drift:${fn}:${version}:${minute}`,
  /** hash of a function's calls in one minute (epoch min): `calls`, `4xx`, `5xx`, `inputs`, `s<i>` sync-latency bucket counts · routers · router (stats API) · 2 h */
  callsMinute: (p: string, fn: string, minute: number) => `${p}:calls:${fn}:${minute}`,
  /** hash of one version's synchronous calls in one second (epoch s): `n` calls, `f` answered 5xx (timeouts too), `b<i>` latency bucket counts · routers (while the function rolls out) · router (rollout analysis) · 2 h */
  versionCallsSecond: (p: string, fn: string, version: string, second: number) => `${p}:vcalls:${fn}:${version}:${second}`,
  /** string `<router id> <token>`: which router drives a function's rollout (SET NX PX, renewed by its holder) · router · router · a few seconds unless renewed */
  rolloutLease: (p: string, fn: string) => `${p}:rollout:lease:${fn}`,
  /** integer: the fencing tokens of a function's rollout leases (INCR on every grant) · router · router · none */
  rolloutFence: (p: string, fn: string) => `${p}:rollout:fence:${fn}`,
  /** string `<router id>`: the router deploying the built-in functions of a split install (SET NX PX, renewed while it deploys) · router · routers · 60 s unless renewed */
  builtinsLock: (p: string) => `${p}:builtins:lock`,
  /** string {by, at, deployed, refused} JSON: the built-in functions were deployed once on this Redis; routers starting later do not deploy them again · router · routers · none */
  builtinsInstalled: (p: string) => `${p}:builtins:installed`,
  /** hash collection name → its info ({version, files, bytes, documents, createdAt, updatedAt, updatedBy} JSON), one per namespace · router (`knowledge put`, `rm`) · router, workers · none */
  knowledge: (p: string, ns: string) => `${p}:knowledge:${ns}`,
  /** string: one version of a collection, its files sealed with the namespace's key · router · workers (load), router (`get`) · none while current; 1 h once replaced or removed */
  knowledgeVersion: (p: string, ns: string, name: string, version: string) => `${p}:knowledge:${ns}:${name}:${version}`,
  /** channel: {namespace, name, version} of a collection put or removed (version null) · router · workers (reload the versions that read it) · — */
  knowledgeChannel: (p: string) => `${p}:knowledge:changed`,
  /** string: a session of BullMQ's board (`/console/queues/`), keyed by the sha256 of the cookie's value ({sub, roles, namespaces, issuer, expiresAt} JSON) · router (`POST /console/queues/session`) · routers (each board request; DELETE removes it) · the session's life (≤ its token's) */
  consoleSession: (p: string, idHash: string) => `${p}:console:session:${idHash}`,
  /** sorted set of recent trace ids by last write (ms); trimmed to the newest `AUTOGLM_TRACE_KEEP` (Lua, trace-store) · routers, workers · router (traces API) · trimmed by count */
  traces: (p: string) => `${p}:traces`,
  /** sorted set of trace ids with a failed span, by last write (ms) · routers, workers · router · pruned by score after `AUTOGLM_TRACE_FAILED_TTL`, and trimmed to the newest `AUTOGLM_TRACE_KEEP` */
  failedTraces: (p: string) => `${p}:traces:failed`,
  /** list of one trace's sealed span batches, one per writing process and flush (a sync call's worker span is written by its router, with the router's, unless no router heard the done message) · routers, workers · router (traces API) · deleted when trimmed from `traces`; a failed trace's expires after `AUTOGLM_TRACE_FAILED_TTL` */
  trace: (p: string, traceId: string) => `${p}:trace:${traceId}`,
  /** hash `<function>@<version>:<feature>` → the status last announced (`drift`, or none) · router (drift alerts) · router · none */
  driftAlerted: (p: string) => `${p}:drift:alerted`,
  /** string: a bearer token sealed under a console sign-in code, named by the code's hash (GETDEL redeems it once) · router (console links) · router (console login) · 10 min */
  loginCode: (p: string, codeHash: string) => `${p}:login:code:${codeHash}`,
  /** string: failed sign-in codes from one peer address (INCR) · router (console login) · router · 10 min from the first */
  loginFailures: (p: string, address: string) => `${p}:login:failures:${address}`,
  /** string: one job's (or item's) feedback record, JSON: version, score, who, when in the clear; the job's input and output and the feedback itself sealed with its namespace's key (Lua, feedback-store) · router · router (export) · `AUTOGLM_FEEDBACK_TTL` */
  feedback: (p: string, fn: string, jobId: string) => `${p}:feedback:${fn}:rec:${jobId}`,
  /** sorted set of a function's job ids with feedback, by when it was given (ms); `version` set: of one version · router · router (export) · pruned by score after `AUTOGLM_FEEDBACK_TTL` */
  feedbackIndex: (p: string, fn: string, version?: string) => (version === undefined ? `${p}:feedback:${fn}:index` : `${p}:feedback:${fn}:index:${version}`),
  /** hash `<version>:n` (records) and `<version>:s` (sum of their scores) of a function's feedback so far; a replaced record counts once · router · router (describe, metrics, rollouts) · `AUTOGLM_FEEDBACK_TTL` after the last feedback */
  feedbackTotals: (p: string, fn: string) => `${p}:feedback:${fn}:totals`,
  /** hash `<version>:n` and `<version>:s` of the feedback that arrived in one minute (epoch min), moved when a record is replaced (the script appends the minute to the name given for `''`) · router · router (rollouts: `windowScores`) · 49 h */
  feedbackMinute: (p: string, fn: string, minute: number | '') => `${p}:feedback:${fn}:m:${minute}`,
  /** string: a deterministic function's answer kept for calls that repeat ({job, at} JSON, the result sealed with the namespace's key), named by the sha256 of version, input and the secret and knowledge versions it read (Lua, result-cache) · router · router · the manifest's `cache.ttl` (PX) */
  resultCache: (p: string, ns: string, fn: string, entry: string) => `${p}:rcache:${ns}:${fn}:e:${entry}`,
  /** sorted set of a function's kept answers (entry name → expiry ms), to bound their count and evict the soonest to expire · router (Lua, result-cache) · router (metrics) · its latest entry's expiry */
  resultCacheIndex: (p: string, ns: string, fn: string) => `${p}:rcache:${ns}:${fn}:index`,
  /** hash entry name → sealed bytes of a function's kept answers, and `~total` their sum, to bound their size · router (Lua, result-cache) · router · as the index */
  resultCacheSizes: (p: string, ns: string, fn: string) => `${p}:rcache:${ns}:${fn}:sizes`,
  /** hash of one training: `record` (what was asked: function, version, dataset, then), `status`, `progress`, `result`, `error`, `cancel` (each JSON), `d<n>` (the sealed head of dataset chunk n), `endRecorded` (1 once a router recorded its end) · router (create, cancel, finish), worker (status, progress) · router, worker · `AUTOGLM_RESULT_TTL` after it ends (7 d before) */
  training: (p: string, id: string) => `${p}:training:${id}`,
  /** string: raw ciphertext of dataset chunk n of a training (whole JSON Lines, ≤ ~1 MiB) · router (upload) · worker · deleted when the training ends (7 d before) */
  trainingData: (p: string, id: string, n: number) => `${p}:training:${id}:data:${n}`,
  /** string: the new version's files a finished training wrote, sealed (JSON [{path, data base64}]) · worker · router (finish) · deleted once the version is recorded (7 d before) */
  trainingOut: (p: string, id: string) => `${p}:training:${id}:out`,
  /** sorted set of a function's training ids by creation time (ms) · router · router (list) · pruned with the trainings */
  trainings: (p: string, fn: string) => `${p}:trainings:${fn}`,
  /** channel: a training's id when a cancel was asked · router · workers · — */
  trainingCancelChannel: (p: string) => `${p}:training:cancel`,
} as const;
