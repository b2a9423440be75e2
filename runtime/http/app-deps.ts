import type { Context } from 'hono';
import type { CallGrouper, ChunkReader, JobLister, JobReader, JobRetrier, JobSubmitter, ResultBus, QueueStats } from '../../queue/jobs/index.ts';
import type { CallRollups, RolloutLeases, DriftCounts, FeedbackStore, LoginAttempts, LoginCodes, NamespaceLimiter, PoolRoster, ShadowStats, TraceStore, WorkerRoster, LogPage, LogQuery, SecretStore } from '../../queue/cluster/index.ts';
import type { Logger } from '../../functions/sdk/index.ts';
import type { AuditLog, AuditNote } from '../audit/index.ts';
import type { ConsoleOidc, Principal, TokenVerifier } from '../auth/index.ts';
import type { ArtifactStore } from '../registry/artifact-store.ts';
import type { CatalogMirror } from '../registry/catalog-mirror.ts';
import type { Registry } from '../registry/registry.ts';
import type { ShadowRunner } from '../registry/shadow-runner.ts';
import type { CallbackGuard, WebhookKeys } from '../webhooks/index.ts';
import type { InputValidator } from './input-validator.ts';
import type { ResultCacheDeps } from './cached-call.ts';
import type { CallRecorder } from '../metrics/index.ts';
import type { RolloutControl } from '../rollouts/index.ts';
import type { QueueBoardDeps } from './routes/queue-board-routes.ts';
import type { KnowledgeRouteDeps } from './routes/knowledge-routes.ts';
import type { Trainings } from '../training/index.ts';

/** One audited action, as a route reports it; the router adds who, when and the request ids. */
export type { AuditNote } from '../audit/index.ts';

/** Everything the HTTP app needs, handed in so tests can use a real Redis on a test port. */
export interface AppDeps {
  functions: CatalogMirror;
  submitter: JobSubmitter;
  /** Puts synchronous calls on the queue, grouping concurrent ones. */
  calls: CallGrouper;
  results: ResultBus;
  /** Reads the chunks of streaming calls (`Accept: text/event-stream`) [none: such calls get the JSON answer]. */
  chunks?: ChunkReader;
  jobs: JobReader;
  /** Lists jobs across function queues, page by page (`GET /v1/jobs`). */
  jobLister: JobLister;
  /** Runs dead letters again (`POST /v1/jobs/{id}/retry`). */
  retrier: JobRetrier;
  workers: WorkerRoster;
  /** The pools' supervisors and their device slots, for /readyz [none: no `slots` there]. */
  pools?: Pick<PoolRoster, 'live'>;
  verifier: TokenVerifier;
  validator: InputValidator;
  /** Answers whether Redis responds (PING). */
  pingRedis: () => Promise<boolean>;
  /** Whether Redis is at its `maxmemory` (writes refused), from INFO; undefined when it cannot tell (INFO refused) [not asked]. */
  redisFull?: () => Promise<boolean | undefined>;
  /** This router's id, named by synchronous jobs so results come straight back here. */
  routerId: string;
  /** Largest request body, bytes. */
  bodyLimit: number;
  /** Deepest nesting of a JSON body (`AUTOGLM_MAX_JSON_DEPTH`) [64]. */
  maxJsonDepth?: number;
  /** Largest bundle upload, bytes. */
  bundleLimit: number;
  registry: Registry;
  artifacts: ArtifactStore;
  shadow: ShadowRunner;
  shadowStats: ShadowStats;
  /** A function's log lines (what its code wrote), sealed in Redis by the workers: read them, or drop them with the function. */
  logs: { read(fn: string, q: LogQuery): Promise<LogPage>; clear(fn: string): Promise<void> };
  /** Secrets per namespace: set, listed and removed here, opened only by workers. */
  secrets: Pick<SecretStore, 'set' | 'remove' | 'info' | 'list'>;
  /**
   * Knowledge collections per namespace (`/v1/knowledge`): put, listed, read back and removed
   * here, opened by workers; `maxBytes` is `AUTOGLM_KNOWLEDGE_LIMIT` [none: no knowledge routes].
   */
  knowledge?: KnowledgeRouteDeps['knowledge'];
  /** Trainings (`/v1/functions/{name}/trainings`, `/v1/trainings/{id}`) [none: no training routes]. */
  trainings?: Trainings;
  /** Checks a job's `callbackUrl` at submission (`AUTOGLM_CALLBACK_ALLOW`) [the default rules]. */
  callbackGuard?: CallbackGuard;
  /** Each namespace's webhook keys, read by receivers' owners through `/v1/webhook-keys` [none: no such route]. */
  webhookKeys?: WebhookKeys;
  /** Answers of functions whose manifest declares `cache`, for synchronous calls that repeat (`AUTOGLM_RESULT_CACHE`) [none: every call runs]. */
  resultCache?: ResultCacheDeps;
  /** Per-namespace rate limits and concurrency quotas. */
  limiter: NamespaceLimiter;
  log: Logger;
  /** True once shutdown began: new invocations get 503. */
  draining?: () => boolean;
  /**
   * What the node still does before it may take traffic (the launcher deploying the built-in
   * functions), or undefined: `/readyz` says not ready, giving it as the reason [nothing].
   */
  starting?: () => string | undefined;
  /** Appends to the audit trail (never throws, never blocks the request). */
  audit?: (note: AuditNote, c: Context<AppEnv>) => void;
  /** The audit trail itself: `/v1/audit` reads it, every 401/403 is recorded in it. */
  auditLog?: AuditLog;
  /** Live inputs' drift counts (workers write them): `GET /v1/functions/{name}/drift` and the PSI series read them [none: no drift route]. */
  driftCounts?: Pick<DriftCounts, 'window'>;
  /** Per-minute rollups of each function's calls: this router adds what it answers, `GET /v1/functions/{name}/calls` reads them [none]. */
  callRollups?: { recorder: Pick<CallRecorder, 'record'>; rollups: Pick<CallRollups, 'last'> };
  /** Rollouts: what people do to them, and who drives each (`/v1/functions/{name}/rollout`) [none]. */
  rollouts?: { control: RolloutControl; leases: Pick<RolloutLeases, 'holder'> };
  /** Recent traces (routers and workers write them): `GET /v1/jobs/{id}/trace` reads them [none: that route answers 404 `TRACE_NOT_FOUND`]. */
  traces?: Pick<TraceStore, 'read' | 'oldestKept'>;
  /** Job counts of the function queues for `GET /metrics`; absent: no `autoglm_queue_jobs` series. */
  queueStats?: QueueStats;
  /**
   * Feedback on outputs (`POST /v1/jobs/{id}/feedback`, the export, the figures in describe and
   * `/metrics`), and `AUTOGLM_RESULT_TTL`, which tells an expired job (410) from one that never was [none: no feedback routes].
   */
  feedback?: { store: Pick<FeedbackStore, 'record' | 'page' | 'totals' | 'totalsOf'>; resultTtlMs: number };
  /** BullMQ's board at `/console/queues/` and its sessions [none: no board]. */
  queueBoard?: Pick<QueueBoardDeps, 'boardQueues' | 'sessions' | 'sessionTtlMs' | 'secureCookie'>;
  /** The console's one-time sign-in codes and the bound on failed ones [none: no `/v1/console/*` routes]. */
  loginCodes?: { codes: LoginCodes; attempts: LoginAttempts };
  /** The identity provider the console signs in with (authorization code + PKCE) [none: token and link only]. */
  consoleOidc?: ConsoleOidc;
  /** Where the identity provider's tokens keep roles and namespaces (`AUTOGLM_ROLES_CLAIM`…), told to the console [none: no IdP]. */
  idpClaims?: { roles: string; namespaces: string };
  /** `AUTOGLM_METRICS_PUBLIC`: serve `GET /metrics` without a token. Default false. */
  metricsPublic?: boolean;
}

/** Hono environment: what middleware puts in `c.var`. */
export interface AppEnv {
  Variables: {
    principal: Principal;
    requestId: string;
    traceId: string;
    /** What a route adds to its audit record (the function it deployed, the token it made…). */
    auditDetail?: Partial<AuditNote>;
    /** The request's JSON body as received (set by `jsonBody`): inputs are sealed from these bytes. */
    bodyBytes?: Buffer;
    /** How many members the body's top-level object has (0 when it is not an object); set with `bodyBytes`. */
    bodyMembers?: number;
    /** Inputs an invocation accepted, for metrics: more than 1 for a bulk job, 0 for a replay. */
    inputCount?: number;
  };
}
