import { availableParallelism } from 'node:os';
import { EnvReader, type LogLevel } from '../functions/sdk/index.ts';

/** The pool's configuration, parsed once from the environment at its entry point. */
export interface PoolConfig {
  /** `REDIS_URL` (required: the launcher sets it for an embedded Redis). */
  readonly redisUrl: string;
  /** `AUTOGLM_REDIS_PREFIX`, default `autoglm`. */
  readonly prefix: string;
  /** `AUTOGLM_WORKERS`, default: number of cores. */
  readonly workers: number;
  /** `AUTOGLM_JOB_LOCK`, default 30s. */
  readonly jobLockMs: number;
  /** `AUTOGLM_STALLED_INTERVAL`, default 30s. */
  readonly stalledIntervalMs: number;
  /** `AUTOGLM_SHUTDOWN_GRACE`, default 30s: how long a worker may take to finish its jobs. */
  readonly shutdownGraceMs: number;
  /** `AUTOGLM_LOG_LEVEL`, default info. */
  readonly logLevel: LogLevel;
}

/** Parses the pool's variables; every bad one is reported. */
export function loadPoolConfig(env: Readonly<Record<string, string | undefined>>): { ok: true; config: PoolConfig } | { ok: false; errors: string[] } {
  const r = new EnvReader(env);
  const redisUrl = r.redisUrl('REDIS_URL');
  if (redisUrl === undefined && r.string('REDIS_URL') === undefined) r.errors.push('REDIS_URL: required for the pool (redis://host:port)');
  const config: PoolConfig = {
    redisUrl: redisUrl ?? '',
    prefix: r.string('AUTOGLM_REDIS_PREFIX') ?? 'autoglm',
    workers: r.int('AUTOGLM_WORKERS', availableParallelism(), 1, 256),
    jobLockMs: r.duration('AUTOGLM_JOB_LOCK', 30_000, 500),
    stalledIntervalMs: r.duration('AUTOGLM_STALLED_INTERVAL', 30_000, 500),
    shutdownGraceMs: r.duration('AUTOGLM_SHUTDOWN_GRACE', 30_000),
    logLevel: r.oneOf('AUTOGLM_LOG_LEVEL', ['debug', 'info', 'warn', 'error'] as const, 'info'),
  };
  return r.errors.length ? { ok: false, errors: r.errors } : { ok: true, config: Object.freeze(config) };
}
