import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LogLevel } from '../../functions/sdk/index.ts';
import { EnvReader } from '../../functions/sdk/index.ts';
import { parseKeyring } from '../../queue/index.ts';

/** Which processes this node runs. */
export type Role = 'all' | 'router' | 'pool';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The platform's configuration: a pure function of the environment (and `--role`), parsed once
 * at the entry point, validated, frozen. Every field names its variable and default.
 */
export interface Config {
  /** `AUTOGLM_ROLE` or `--role`: all (default), router, pool. */
  readonly role: Role;
  /** `REDIS_URL`. Unset: the launcher runs a private redis-server. */
  readonly redisUrl: string | undefined;
  /** `AUTOGLM_REDIS_PREFIX`, default `autoglm`: key prefix, lets several platforms share a Redis. */
  readonly prefix: string;
  /** `AUTOGLM_HOST`, default 127.0.0.1. */
  readonly host: string;
  /** `AUTOGLM_PORT`, default 8080 (0 picks a free port). */
  readonly port: number;
  /** `AUTOGLM_JWT_SECRET` (≥ 32 chars). Unset: generated once and kept in the state directory. */
  readonly jwtSecret: string | undefined;
  /** `AUTOGLM_WEBHOOK_SECRET` (≥ 32 chars). Unset: generated once and kept in the state directory. */
  readonly webhookSecret: string | undefined;
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
  /** `AUTOGLM_BODY_LIMIT`, default 1MiB: largest request body. */
  readonly bodyLimit: number;
  /** `AUTOGLM_BUNDLE_LIMIT`, default 256MiB: largest function bundle upload. */
  readonly bundleLimit: number;
  /** `AUTOGLM_LOAD_CHECK_TIMEOUT`, default 60s: how long a deploy waits for a worker to load the new version. */
  readonly loadCheckTimeoutMs: number;
  /** `AUTOGLM_MAX_QUEUE_DEPTH`, default 10000: waiting jobs per function before 503. */
  readonly maxQueueDepth: number;
  /** `AUTOGLM_RESULT_TTL`, default 1d: how long finished results are kept (ms). */
  readonly resultTtlMs: number;
  /** `AUTOGLM_FAILED_TTL`, default 7d: how long failed jobs (dead letters) are kept (ms). */
  readonly failedTtlMs: number;
  /** `AUTOGLM_JOB_LOCK`, default 30s: a worker's claim on a running job; a dead worker's job is retaken after it. */
  readonly jobLockMs: number;
  /** `AUTOGLM_STALLED_INTERVAL`, default 30s: how often dead workers' jobs are looked for. */
  readonly stalledIntervalMs: number;
  /** `AUTOGLM_SHUTDOWN_GRACE`, default 30s: how long shutdown waits for running work. */
  readonly shutdownGraceMs: number;
  /** `AUTOGLM_LOG_LEVEL`, default info. */
  readonly logLevel: LogLevel;
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
  const config: Config = {
    role,
    redisUrl: r.redisUrl('REDIS_URL'),
    prefix: prefix(r),
    host: r.string('AUTOGLM_HOST') ?? '127.0.0.1',
    port: r.int('AUTOGLM_PORT', 8080, 0, 65535),
    jwtSecret: r.secret('AUTOGLM_JWT_SECRET', 32),
    webhookSecret: r.secret('AUTOGLM_WEBHOOK_SECRET', 32),
    encryptionKeys: keyring(r),
    workers: r.int('AUTOGLM_WORKERS', availableParallelism(), 1, 256),
    stateDir,
    functionsDir: resolve(r.string('AUTOGLM_FUNCTIONS_DIR') ?? resolve(REPO_ROOT, 'functions')),
    bodyLimit: r.bytes('AUTOGLM_BODY_LIMIT', 1024 * 1024),
    bundleLimit: r.bytes('AUTOGLM_BUNDLE_LIMIT', 256 * 1024 * 1024),
    loadCheckTimeoutMs: r.duration('AUTOGLM_LOAD_CHECK_TIMEOUT', 60_000, 100),
    maxQueueDepth: r.int('AUTOGLM_MAX_QUEUE_DEPTH', 10_000, 1, 10_000_000),
    resultTtlMs: r.duration('AUTOGLM_RESULT_TTL', 86_400_000, 1000),
    failedTtlMs: r.duration('AUTOGLM_FAILED_TTL', 7 * 86_400_000, 1000),
    jobLockMs: r.duration('AUTOGLM_JOB_LOCK', 30_000, 500),
    stalledIntervalMs: r.duration('AUTOGLM_STALLED_INTERVAL', 30_000, 500),
    shutdownGraceMs: r.duration('AUTOGLM_SHUTDOWN_GRACE', 30_000),
    logLevel: r.oneOf('AUTOGLM_LOG_LEVEL', ['debug', 'info', 'warn', 'error'] as const, 'info'),
  };
  if (r.errors.length > 0) return { ok: false, errors: r.errors };
  return { ok: true, config: Object.freeze(config) };
}

function keyring(r: EnvReader): string | undefined {
  const spec = r.string('AUTOGLM_ENCRYPTION_KEYS');
  if (spec === undefined) return undefined;
  const parsed = parseKeyring(spec);
  if (!parsed.ok) r.errors.push(`AUTOGLM_ENCRYPTION_KEYS: ${parsed.error}`);
  return spec;
}

function prefix(r: EnvReader): string {
  const p = r.string('AUTOGLM_REDIS_PREFIX') ?? 'autoglm';
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(p)) r.errors.push(`AUTOGLM_REDIS_PREFIX=${JSON.stringify(p)}: letters, digits, _ and - only`);
  return p;
}

function flagValue(argv: readonly string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === name) return argv[i + 1] ?? '';
    if (a.startsWith(name + '=')) return a.slice(name.length + 1);
  }
  return undefined;
}
