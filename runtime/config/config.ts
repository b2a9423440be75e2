import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type LogLevel, EnvReader } from '../../functions/sdk/index.ts';
import { parseKeyring, type NamespaceLimits } from '../../queue/cluster/index.ts';
import { parseCallbackAllow, type CallbackAllow } from './callback-allow.ts';
import { childEnvOf } from './child-env.ts';
import { poolSection, type PoolSection } from './pool-section.ts';
import { redisSection, type RedisSection } from './redis-section.ts';
import { parseHmacKeys } from './hmac-keys.ts';
import { rolloutTimings, type RolloutTimings } from './rollout-timings.ts';
import { routerProcesses } from './router-processes.ts';

/** Which processes this node runs. */
export type Role = 'all' | 'router' | 'pool';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The platform's configuration, every role's: a pure function of the environment (and `--role`),
 * parsed once at the entry point, validated, frozen. Every field names its variable and default;
 * each variable is read here only, with one default. The pool's variables are in `pool`, which
 * the launcher hands to the pool process (see `PoolConfig`).
 */
export interface Config extends RedisSection {
  /** `AUTOGLM_ROLE` or `--role`: all (default), router, pool. */
  readonly role: Role;
  /** `AUTOGLM_REDIS_PREFIX`, default `autoglm`: key prefix, lets several platforms share a Redis. */
  readonly prefix: string;
  /**
   * `AUTOGLM_ROUTER_PROCESSES`, default 1; `auto` = one per core; at most 64: router processes
   * sharing this node's port (a node:cluster primary hands them connections). 1 runs the router
   * in the launcher's own process.
   */
  readonly routerProcesses: number;
  /** `AUTOGLM_HOST`, default 127.0.0.1. */
  readonly host: string;
  /** `AUTOGLM_PORT`, default 8080 (0 picks a free port). */
  readonly port: number;
  /** `AUTOGLM_JWT_SECRET` (≥ 32 chars). Unset: generated once and kept in the state directory. */
  readonly jwtSecret: string | undefined;
  /**
   * `AUTOGLM_WEBHOOK_KEYS`: `kid:secret[,kid:secret…]` (secrets ≥ 32 chars, first active), the
   * master keys each namespace's webhook key is derived from; routers only. Unset: one key generated
   * and kept in the state directory (`webhook-keys`). Replaces `AUTOGLM_WEBHOOK_SECRET`.
   */
  readonly webhookKeys: string | undefined;
  /**
   * `AUTOGLM_CALLBACK_ALLOW`: host names, `*.suffix`es, IPs and subnets webhooks may be posted to
   * (see `callback-allow.ts`). Unset: every address but loopback, link-local and unspecified ones.
   */
  readonly callbackAllow: CallbackAllow | undefined;
  /**
   * `AUTOGLM_ENCRYPTION_KEYS`: `kid:base64key[,kid:base64key…]` (32-byte AES keys, first active) that
   * seal job inputs and outputs in Redis. Unset: one key generated and kept in the state directory.
   */
  readonly encryptionKeys: string | undefined;
  /** `AUTOGLM_WORKERS`, default: number of cores. Worker processes in the pool. */
  readonly workers: number;
  /** `AUTOGLM_STATE_DIR`, default `./.autoglm`: Redis data, generated secrets. */
  readonly stateDir: string;
  /** `AUTOGLM_FUNCTIONS_DIR`, default the repo's `functions/`: built-in functions deployed at start. */
  readonly functionsDir: string;
  /**
   * `AUTOGLM_BUILTINS`, default `on`: deploy the built-in functions (`functionsDir`): at every
   * start with role `all`; once per Redis with role `router` (see `BuiltinInstaller`). `off`:
   * for operators who deploy only their own functions.
   */
  readonly builtins: boolean;
  /** `AUTOGLM_BODY_LIMIT`, default 1MiB: largest request body. */
  readonly bodyLimit: number;
  /**
   * `AUTOGLM_MAX_JSON_DEPTH`, default 64 (2–1000): deepest nesting of a request body, its own
   * object being level 1 (400 beyond). The deepest built-in input is 6 levels; V8's structured
   * clone, which hands inputs to the inference thread, overflows between 1,000 and 2,000.
   */
  readonly maxJsonDepth: number;
  /**
   * `AUTOGLM_BUNDLE_LIMIT`, default 256MiB: largest function bundle upload, and largest content it
   * may expand to (routers at deploy, workers at load).
   */
  readonly bundleLimit: number;
  /**
   * `AUTOGLM_KNOWLEDGE_LIMIT`, default 16MiB: largest knowledge collection, bytes of its files
   * (`PUT /v1/knowledge/{name}` reads a body of up to twice this, plus 1 MiB, for the JSON around them).
   */
  readonly knowledgeLimit: number;
  /**
   * `AUTOGLM_TRAINING_DATA_LIMIT`, default 512MiB: largest training dataset upload (JSON Lines,
   * streamed and sealed in Redis as it comes; 20,000 risk-scoring histories are about 60 MiB).
   */
  readonly trainingDataLimit: number;
  /** `AUTOGLM_BUNDLE_MAX_ENTRIES`, default 10,000: most members (files and directories) of a bundle. */
  readonly bundleMaxEntries: number;
  /** `AUTOGLM_LOAD_CHECK_TIMEOUT`, default 60s: how long a deploy waits for a worker to load the new version. */
  readonly loadCheckTimeoutMs: number;
  /** `AUTOGLM_MAX_QUEUE_DEPTH`, default 10000: waiting jobs per function before 503. */
  readonly maxQueueDepth: number;
  /** `AUTOGLM_GROUP_MAX`, default 32: most concurrent synchronous calls carried by one queue job (1: no grouping). */
  readonly groupMax: number;
  /** `AUTOGLM_GROUP_WAIT_MS`, default 1: longest a call waits for companions while others are in flight. */
  readonly groupWaitMs: number;
  /** `AUTOGLM_RESULT_TTL`, default 1d: how long finished results are kept (ms). */
  readonly resultTtlMs: number;
  /** `AUTOGLM_FAILED_TTL`, default 7d: how long failed jobs (dead letters) are kept (ms). */
  readonly failedTtlMs: number;
  /** `AUTOGLM_RESULT_CACHE`, default on: routers answer repeated calls of functions whose manifest declares `cache` from the results they kept; off: every call runs. */
  readonly resultCache: boolean;
  /** `AUTOGLM_FEEDBACK_TTL`, default 180d: how long feedback records (with the job's input and output) are kept (ms). */
  readonly feedbackTtlMs: number;
  /** `AUTOGLM_JOB_LOCK`, default 30s: a worker's claim on a running job; a dead worker's job is retaken after it. */
  readonly jobLockMs: number;
  /** `AUTOGLM_STALLED_INTERVAL`, default 30s: how often dead workers' jobs are looked for. */
  readonly stalledIntervalMs: number;
  /**
   * `AUTOGLM_WORKER_STALE`, default 10s (at least 1s): a worker whose heartbeat is older than this
   * counts as gone (`/readyz`, placement, `autoglm pool`); workers beat every fifth of it.
   */
  readonly workerStaleMs: number;
  /**
   * `AUTOGLM_TRACE_STORE`, default `on`: routers and workers keep recent traces in Redis, sealed,
   * for `GET /v1/jobs/{id}/trace` (no collector needed); `off`: only an OTLP collector gets spans.
   */
  readonly traceStore: boolean;
  /** `AUTOGLM_TRACE_KEEP`, default 10000: traces kept, the most recent (failed ones do not count). */
  readonly traceKeep: number;
  /** `AUTOGLM_TRACE_FAILED_TTL`, default 1d: how long a trace with a failed span is kept. */
  readonly traceFailedTtlMs: number;
  /** `AUTOGLM_SHUTDOWN_GRACE`, default 30s: how long shutdown waits for running work. */
  readonly shutdownGraceMs: number;
  /** `AUTOGLM_LOG_LEVEL`, default info. */
  readonly logLevel: LogLevel;
  /** `AUTOGLM_AUDIT_RETENTION`, default 180d: how long audit records are kept; 0 keeps them forever. */
  readonly auditRetentionMs: number;
  /** `AUTOGLM_AUDIT_VERIFY_INTERVAL`, default 24h: how often the router verifies the whole audit log by itself (`autoglm_audit_verify_ok`); 0: only when asked. */
  readonly auditVerifyIntervalMs: number;
  /** `AUTOGLM_AUDIT_CHAIN`: this router's audit chain id. Unset: the first free `<hostname>-<n>`. */
  readonly auditChainId: string | undefined;
  /**
   * `AUTOGLM_AUDIT_KEYS`: `kid:secret[,kid:secret…]` (secrets ≥ 32 chars, first active) that seal
   * audit records; routers only. Unset: one key generated and kept in the state directory (`audit-keys`).
   */
  readonly auditKeys: string | undefined;
  /**
   * `AUTOGLM_AUDIT_SINK`: an append-only sink each audit chain's head is copied to, besides
   * Redis: `syslog+udp://host:port`, `syslog+tcp://host:port` or `http(s)://…` (POST), with
   * `AUTOGLM_AUDIT_SINK_TOKEN` as a bearer token for HTTP. Unset: none.
   */
  readonly auditSink: { url: string; token?: string } | undefined;
  /** `AUTOGLM_ALERT_URL`: where drift alerts are POSTed, signed like job webhooks. Unset: alerts are logged and audited only. */
  readonly alertUrl: string | undefined;
  /** `AUTOGLM_DRIFT_CHECK_INTERVAL`, default 30s: how often each router checks the serving versions' drift verdicts. */
  readonly driftCheckIntervalMs: number;
  /** `AUTOGLM_ROLLOUT_TICK`, `_LEASE`, `_SETTLE`, `_MIN_INTERVAL`: how routers drive rollouts (see `rollout-timings.ts`). */
  readonly rollouts: RolloutTimings;
  /**
   * `AUTOGLM_NAMESPACE_LIMITS`: JSON `{"<namespace>|*": {"rate": inputs/s, "burst": inputs at once, "concurrency": inputs in flight}}`;
   * a bulk job's inputs each count; `burst` defaults to `rate`. `*` applies to namespaces not listed;
   * 0 or absent: unlimited. Default `{}` (no limits).
   */
  readonly namespaceLimits: Readonly<Record<string, NamespaceLimits>>;
  /** `AUTOGLM_BUILTIN_ISSUER`, default on: accept HS256 tokens signed with `AUTOGLM_JWT_SECRET`. */
  readonly builtinIssuer: boolean;
  /**
   * The company identity provider: `AUTOGLM_OIDC_ISSUER` (discovery) and/or `AUTOGLM_JWKS_URL`,
   * `AUTOGLM_JWT_AUDIENCE` (required with either), `AUTOGLM_ROLES_CLAIM` (default `roles`; dotted
   * paths like `realm_access.roles` work), `AUTOGLM_NAMESPACES_CLAIM` (default `namespaces`).
   */
  readonly idp: { issuer: string; jwksUrl?: string; audience: string; rolesClaim: string; namespacesClaim: string; jwksCooldownMs: number } | undefined;
  /**
   * The console's sign-in at the identity provider (authorization code + PKCE): `AUTOGLM_CONSOLE_CLIENT_ID`
   * (a public client registered at the IdP, redirect URI `<router URL>/console/`; needs
   * `AUTOGLM_OIDC_ISSUER`), `AUTOGLM_CONSOLE_SCOPE` (default `openid`). Unset: the console signs in
   * with a token or a one-time link only.
   */
  readonly consoleOidc: { clientId: string; scope: string } | undefined;
  /**
   * How long the router's HTTP server waits on a client, so slow senders cannot hold connections:
   * `AUTOGLM_HTTP_HEADERS_TIMEOUT` (default 10s) for a request's headers,
   * `AUTOGLM_HTTP_REQUEST_TIMEOUT` (default 30s) for the whole request, body included (raise it
   * for large bundle uploads over slow links; waiting for the answer is not counted),
   * `AUTOGLM_HTTP_KEEPALIVE_TIMEOUT` (default 65s) for an idle keep-alive connection (longer than
   * proxies keep theirs, 60 s, so a reused connection is never closed under a request).
   */
  readonly httpTimeouts: { headersMs: number; requestMs: number; keepAliveMs: number };
  /** `AUTOGLM_TLS_CERT` and `AUTOGLM_TLS_KEY` (PEM files): serve HTTPS, TLS 1.3 only. */
  readonly tls: { certFile: string; keyFile: string } | undefined;
  /** `AUTOGLM_REDIS_CA` (PEM file): CA to trust for a `rediss://` REDIS_URL. */
  readonly redisCaFile: string | undefined;
  /**
   * `AUTOGLM_CALLBACK_CA` (PEM file): CAs trusted for `https:` webhook receivers besides Node's
   * bundled ones (receivers inside a company carry certificates of its own CA).
   */
  readonly callbackCaFile: string | undefined;
  /**
   * `AUTOGLM_METRICS_PUBLIC`, default `0`: `1` serves `GET /metrics` without a token (for a scraper
   * inside the cluster; keep the path off the ingress). `0`: it needs a token allowed `metrics.read`.
   */
  readonly metricsPublic: boolean;
  /**
   * `AUTOGLM_CONSOLE_SESSION_TTL`, default 1h (at least 10s): how long a session of BullMQ's board
   * (`/console/queues/`) lasts, never past the expiry of the token that opened it.
   */
  readonly consoleSessionTtlMs: number;
  /** The pool's variables (and those it shares with the router, parsed once), for the pool process. */
  readonly pool: PoolSection;
  /** What child processes inherit from the environment that is not configuration (see `child-env.ts`). */
  readonly childEnv: Readonly<Record<string, string>>;
}

const ROLES = ['all', 'router', 'pool'] as const;

export type ConfigResult = { ok: true; config: Config } | { ok: false; errors: string[] };

/** Parses the environment and argv into a {@link Config}, reporting every bad value at once. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>, argv: readonly string[] = []): ConfigResult {
  const r = new EnvReader(env);
  // A --role flag wins over AUTOGLM_ROLE; both are checked the same way.
  const roleFlag = flagValue(argv, '--role');
  const roleReader = new EnvReader(roleFlag === undefined ? env : { '--role': roleFlag });
  const role = roleReader.oneOf(roleFlag === undefined ? 'AUTOGLM_ROLE' : '--role', ROLES, 'all');
  r.errors.push(...roleReader.errors);
  const stateDir = resolve(r.string('AUTOGLM_STATE_DIR') ?? '.autoglm');
  // The router binds it, and the pool's health endpoint.
  const host = r.string('AUTOGLM_HOST') ?? '127.0.0.1';
  // Read by router and pool alike: parsed once, here.
  const shared = {
    prefix: prefix(r),
    workers: r.int('AUTOGLM_WORKERS', availableParallelism(), 1, 256),
    redisCaFile: r.string('AUTOGLM_REDIS_CA'),
    callbackCaFile: r.string('AUTOGLM_CALLBACK_CA'),
    jobLockMs: r.duration('AUTOGLM_JOB_LOCK', 30_000, 500),
    stalledIntervalMs: r.duration('AUTOGLM_STALLED_INTERVAL', 30_000, 500),
    // Routers read the roster with it, workers beat by it: both must agree.
    workerStaleMs: r.duration('AUTOGLM_WORKER_STALE', 10_000, 1000),
    shutdownGraceMs: r.duration('AUTOGLM_SHUTDOWN_GRACE', 30_000),
    logLevel: r.oneOf('AUTOGLM_LOG_LEVEL', ['debug', 'info', 'warn', 'error'] as const, 'info'),
    // A router checks a bundle at deploy and a worker again when it loads it: both apply these.
    bundleLimit: r.bytes('AUTOGLM_BUNDLE_LIMIT', 256 * 1024 * 1024),
    bundleMaxEntries: r.int('AUTOGLM_BUNDLE_MAX_ENTRIES', 10_000, 1, 1_000_000),
    // Routers and workers both write traces: one store, one bound.
    traceStore: r.oneOf('AUTOGLM_TRACE_STORE', ['on', 'off'] as const, 'on') === 'on',
    traceKeep: r.int('AUTOGLM_TRACE_KEEP', 10_000, 1, 10_000_000),
    traceFailedTtlMs: r.duration('AUTOGLM_TRACE_FAILED_TTL', 86_400_000, 1000),
    // Routers end trainings they record, workers those that fail or are cancelled: one keep for both.
    resultTtlMs: r.duration('AUTOGLM_RESULT_TTL', 86_400_000, 1000),
  };
  const config: Config = {
    ...shared,
    role,
    ...redisSection(r),
    routerProcesses: routerProcesses(r),
    host,
    port: r.int('AUTOGLM_PORT', 8080, 0, 65535),
    jwtSecret: r.secret('AUTOGLM_JWT_SECRET', 32),
    webhookKeys: hmacKeys(r, 'AUTOGLM_WEBHOOK_KEYS'),
    callbackAllow: callbackAllow(r),
    encryptionKeys: keyring(r, role),
    stateDir,
    functionsDir: resolve(r.string('AUTOGLM_FUNCTIONS_DIR') ?? resolve(REPO_ROOT, 'functions')),
    builtins: r.oneOf('AUTOGLM_BUILTINS', ['on', 'off'] as const, 'on') === 'on',
    bodyLimit: r.bytes('AUTOGLM_BODY_LIMIT', 1024 * 1024),
    knowledgeLimit: r.bytes('AUTOGLM_KNOWLEDGE_LIMIT', 16 * 1024 * 1024),
    trainingDataLimit: r.bytes('AUTOGLM_TRAINING_DATA_LIMIT', 512 * 1024 * 1024),
    maxJsonDepth: r.int('AUTOGLM_MAX_JSON_DEPTH', 64, 2, 1000),
    loadCheckTimeoutMs: r.duration('AUTOGLM_LOAD_CHECK_TIMEOUT', 60_000, 100),
    maxQueueDepth: r.int('AUTOGLM_MAX_QUEUE_DEPTH', 10_000, 1, 10_000_000),
    groupMax: r.int('AUTOGLM_GROUP_MAX', 32, 1, 1024),
    groupWaitMs: r.int('AUTOGLM_GROUP_WAIT_MS', 1, 0, 1000),
    failedTtlMs: r.duration('AUTOGLM_FAILED_TTL', 7 * 86_400_000, 1000),
    resultCache: r.oneOf('AUTOGLM_RESULT_CACHE', ['on', 'off'] as const, 'on') === 'on',
    feedbackTtlMs: r.duration('AUTOGLM_FEEDBACK_TTL', 180 * 86_400_000, 60_000),
    auditRetentionMs: r.duration('AUTOGLM_AUDIT_RETENTION', 180 * 86_400_000),
    auditVerifyIntervalMs: r.duration('AUTOGLM_AUDIT_VERIFY_INTERVAL', 86_400_000),
    consoleSessionTtlMs: r.duration('AUTOGLM_CONSOLE_SESSION_TTL', 3_600_000, 10_000),
    auditChainId: auditChain(r),
    auditKeys: hmacKeys(r, 'AUTOGLM_AUDIT_KEYS'),
    auditSink: auditSink(r),
    alertUrl: httpUrl(r, 'AUTOGLM_ALERT_URL'),
    driftCheckIntervalMs: r.duration('AUTOGLM_DRIFT_CHECK_INTERVAL', 30_000, 1000),
    rollouts: Object.freeze(rolloutTimings(r)),
    namespaceLimits: namespaceLimits(r),
    builtinIssuer: r.oneOf('AUTOGLM_BUILTIN_ISSUER', ['on', 'off'] as const, 'on') === 'on',
    idp: identityProvider(r),
    consoleOidc: consoleOidc(r),
    tls: tls(r),
    httpTimeouts: {
      headersMs: r.duration('AUTOGLM_HTTP_HEADERS_TIMEOUT', 10_000, 100),
      requestMs: r.duration('AUTOGLM_HTTP_REQUEST_TIMEOUT', 30_000, 100),
      keepAliveMs: r.duration('AUTOGLM_HTTP_KEEPALIVE_TIMEOUT', 65_000, 100),
    },
    metricsPublic: r.oneOf('AUTOGLM_METRICS_PUBLIC', ['0', '1'] as const, '0') === '1',
    pool: Object.freeze(poolSection(r, shared, stateDir, { role, host })),
    childEnv: childEnvOf(env),
  };
  if (!config.builtinIssuer && !config.idp) r.errors.push('AUTOGLM_BUILTIN_ISSUER=off needs an identity provider (AUTOGLM_OIDC_ISSUER or AUTOGLM_JWKS_URL)');
  // Checked here, but read by the OpenTelemetry exporter itself (runtime/telemetry/tracing.ts, in
  // every process: `childEnv` passes OTEL_* on), which would drop spans silently.
  requireHttpUrls(r, ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']);
  if (r.errors.length > 0) return { ok: false, errors: r.errors };
  return { ok: true, config: Object.freeze(config) };
}

function callbackAllow(r: EnvReader): CallbackAllow | undefined {
  const spec = r.string('AUTOGLM_CALLBACK_ALLOW');
  if (spec === undefined) return undefined;
  const parsed = parseCallbackAllow(spec);
  if (!parsed.ok) r.errors.push(...parsed.errors.map((e) => `AUTOGLM_CALLBACK_ALLOW: ${e}`));
  return parsed.ok ? parsed.allow : undefined;
}

function namespaceLimits(r: EnvReader): Record<string, NamespaceLimits> {
  const raw = r.string('AUTOGLM_NAMESPACE_LIMITS');
  if (raw === undefined) return {};
  try {
    const j = JSON.parse(raw) as Record<string, { rate?: unknown; burst?: unknown; concurrency?: unknown }>;
    const out: Record<string, NamespaceLimits> = {};
    for (const [ns, l] of Object.entries(j)) {
      const [rate, burst, concurrency] = [l.rate ?? 0, l.burst ?? 0, l.concurrency ?? 0];
      if (![rate, burst, concurrency].every((v) => Number.isInteger(v) && (v as number) >= 0)) throw new Error(`${ns}: rate, burst and concurrency must be whole numbers ≥ 0`);
      out[ns] = { rate: rate as number, burst: burst as number, concurrency: concurrency as number };
    }
    return out;
  } catch (err) {
    r.errors.push(`AUTOGLM_NAMESPACE_LIMITS: ${(err as Error).message} (expected JSON like {"team-a":{"rate":100,"concurrency":20}})`);
    return {};
  }
}

/** Each of `names` that is set must be an http(s) URL. */
function requireHttpUrls(r: EnvReader, names: string[]): void {
  for (const k of names) {
    const v = r.string(k);
    if (v && !/^https?:\/\/[^\s/]+/.test(v)) r.errors.push(`${k}=${JSON.stringify(v)}: expected an http(s) URL`);
  }
}

function identityProvider(r: EnvReader): Config['idp'] {
  const issuer = r.string('AUTOGLM_OIDC_ISSUER');
  const jwksUrl = r.string('AUTOGLM_JWKS_URL');
  if (!issuer && !jwksUrl) return undefined;
  const audience = r.string('AUTOGLM_JWT_AUDIENCE');
  if (!audience) r.errors.push('AUTOGLM_JWT_AUDIENCE: required with an identity provider');
  if (!issuer) r.errors.push('AUTOGLM_OIDC_ISSUER: required with AUTOGLM_JWKS_URL (tokens must name their issuer)');
  requireHttpUrls(r, ['AUTOGLM_OIDC_ISSUER', 'AUTOGLM_JWKS_URL']);
  return {
    issuer: issuer ?? '',
    ...(jwksUrl ? { jwksUrl } : {}),
    audience: audience ?? '',
    rolesClaim: r.string('AUTOGLM_ROLES_CLAIM') ?? 'roles',
    namespacesClaim: r.string('AUTOGLM_NAMESPACES_CLAIM') ?? 'namespaces',
    // `AUTOGLM_JWKS_COOLDOWN`, default 30s: least time between key-set refetches on an unknown kid.
    jwksCooldownMs: r.duration('AUTOGLM_JWKS_COOLDOWN', 30_000),
  };
}

function consoleOidc(r: EnvReader): Config['consoleOidc'] {
  const clientId = r.string('AUTOGLM_CONSOLE_CLIENT_ID');
  const scope = r.string('AUTOGLM_CONSOLE_SCOPE') ?? 'openid';
  if (!clientId) return undefined;
  // The console finds the IdP's endpoints by discovery: a bare AUTOGLM_JWKS_URL names none.
  if (!r.string('AUTOGLM_OIDC_ISSUER')) r.errors.push('AUTOGLM_CONSOLE_CLIENT_ID: needs AUTOGLM_OIDC_ISSUER (the console reads its endpoints by discovery)');
  if (!/^[\x21-\x7e]+( [\x21-\x7e]+)*$/.test(scope)) r.errors.push(`AUTOGLM_CONSOLE_SCOPE=${JSON.stringify(scope)}: scopes separated by single spaces`);
  return { clientId, scope };
}

function tls(r: EnvReader): Config['tls'] {
  const certFile = r.string('AUTOGLM_TLS_CERT');
  const keyFile = r.string('AUTOGLM_TLS_KEY');
  if (!certFile && !keyFile) return undefined;
  if (!certFile || !keyFile) r.errors.push('AUTOGLM_TLS_CERT and AUTOGLM_TLS_KEY: set both, or neither');
  return { certFile: certFile ?? '', keyFile: keyFile ?? '' };
}

/** `AUTOGLM_ENCRYPTION_KEYS`: master keys; a pool node may instead hold only its namespaces' keys. */
function keyring(r: EnvReader, role: Role): string | undefined {
  const spec = r.string('AUTOGLM_ENCRYPTION_KEYS');
  if (spec === undefined) return undefined;
  const parsed = parseKeyring(spec);
  if (!parsed.ok) r.errors.push(`AUTOGLM_ENCRYPTION_KEYS: ${parsed.error}`);
  else if (role !== 'pool' && !parsed.ring.keys.has(parsed.ring.active)) {
    r.errors.push('AUTOGLM_ENCRYPTION_KEYS: a router needs the master keys (kid:base64key, the active first); namespace keys (kid/namespace:…) are for pool nodes');
  }
  return spec;
}

function prefix(r: EnvReader): string {
  const p = r.string('AUTOGLM_REDIS_PREFIX') ?? 'autoglm';
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(p)) r.errors.push(`AUTOGLM_REDIS_PREFIX=${JSON.stringify(p)}: letters, digits, _ and - only`);
  return p;
}

function auditChain(r: EnvReader): string | undefined {
  const id = r.string('AUTOGLM_AUDIT_CHAIN');
  if (id !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(id)) r.errors.push(`AUTOGLM_AUDIT_CHAIN=${JSON.stringify(id)}: letters, digits, . _ and - only, at most 64`);
  return id;
}

/** An http(s) URL variable, checked. */
function httpUrl(r: EnvReader, variable: string): string | undefined {
  const url = r.string(variable);
  if (url === undefined) return undefined;
  let u: URL | undefined;
  try {
    u = new URL(url);
  } catch {
    /* reported below */
  }
  if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:')) r.errors.push(`${variable}=${JSON.stringify(url)}: not an http(s) URL`);
  return url;
}

function auditSink(r: EnvReader): Config['auditSink'] {
  const url = r.string('AUTOGLM_AUDIT_SINK');
  const token = r.string('AUTOGLM_AUDIT_SINK_TOKEN');
  if (url === undefined) return undefined;
  let u: URL | undefined;
  try {
    u = new URL(url);
  } catch {
    r.errors.push(`AUTOGLM_AUDIT_SINK=${JSON.stringify(url)}: not a URL (syslog+udp://host:514, syslog+tcp://host:601, https://…)`);
    return undefined;
  }
  if (!['syslog+udp:', 'syslog+tcp:', 'http:', 'https:'].includes(u.protocol)) r.errors.push(`AUTOGLM_AUDIT_SINK: ${u.protocol} is not a sink scheme: syslog+udp, syslog+tcp, http or https`);
  else if (u.protocol.startsWith('syslog') && !u.port) r.errors.push('AUTOGLM_AUDIT_SINK: a syslog sink needs a port (syslog+udp://host:514)');
  if (u.username || u.password) r.errors.push('AUTOGLM_AUDIT_SINK: put credentials in AUTOGLM_AUDIT_SINK_TOKEN, not in the URL');
  return { url, ...(token ? { token } : {}) };
}

/** A `kid:secret[,…]` keyring variable, checked (the spec is kept: its users parse it). */
function hmacKeys(r: EnvReader, variable: 'AUTOGLM_AUDIT_KEYS' | 'AUTOGLM_WEBHOOK_KEYS'): string | undefined {
  if (variable === 'AUTOGLM_WEBHOOK_KEYS' && r.string('AUTOGLM_WEBHOOK_SECRET') !== undefined) {
    // Webhooks are signed per namespace now: a receiver's old secret would verify nothing.
    r.errors.push('AUTOGLM_WEBHOOK_SECRET: replaced by AUTOGLM_WEBHOOK_KEYS=kid:secret (each namespace gets its own key; see the README, Webhooks)');
  }
  const spec = r.string(variable);
  if (spec === undefined) return undefined;
  try {
    parseHmacKeys(spec);
  } catch (err) {
    r.errors.push(`${variable}: ${(err as Error).message}`);
  }
  return spec;
}

function flagValue(argv: readonly string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === name) return argv[i + 1] ?? '';
    if (a.startsWith(name + '=')) return a.slice(name.length + 1);
  }
  return undefined;
}
