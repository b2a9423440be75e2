import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CliError, EXIT } from './cli-error.ts';
import { durationMs } from './duration.ts';

/** Where the CLI talks to and as whom. */
export interface Target {
  url: string;
  token: string | undefined;
  /** How long the server may take to answer a call (see {@link answerTimeoutMs}). */
  timeoutMs?: number;
  /** The URL is the built-in default: neither AUTOGLM_URL nor a saved login names one. */
  defaultUrl?: boolean;
}

/** How long the server may take to answer a call when `AUTOGLM_CLI_TIMEOUT` does not say. */
export const DEFAULT_TIMEOUT_MS = 30_000;

/** The CLI's environment, read once at its entry point. */
export interface CliEnv {
  /** `AUTOGLM_URL`: overrides the saved URL. */
  url?: string;
  /** `AUTOGLM_TOKEN`: overrides the saved token. */
  token?: string;
  /** `AUTOGLM_CLI_TIMEOUT`: how long the server may take to answer (`30s`, `500ms`, `2m`; `0`: no limit) [30s]. */
  timeout?: string;
  /** `AUTOGLM_CONFIG`: config file path; default `$XDG_CONFIG_HOME/autoglm/config.json` or `~/.config/autoglm/config.json`. */
  configPath: string;
  /** The whole environment: `secret set --from-env NAME` reads a variable the user names (a CI pipeline's secret). */
  variables?: Readonly<Record<string, string | undefined>>;
}

/**
 * Reads the CLI's variables; its entry point passes `process.env`. Kept beside the CLI rather than
 * in `runtime/config/`: that module imports the queue, which the CLI must not load (it runs on
 * laptops and in CI, and talks to the platform only over HTTP).
 */
export function readCliEnv(env: Readonly<Record<string, string | undefined>>): CliEnv {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return {
    variables: env,
    ...(env.AUTOGLM_URL ? { url: env.AUTOGLM_URL } : {}),
    ...(env.AUTOGLM_TOKEN ? { token: env.AUTOGLM_TOKEN } : {}),
    ...(env.AUTOGLM_CLI_TIMEOUT ? { timeout: env.AUTOGLM_CLI_TIMEOUT } : {}),
    configPath: env.AUTOGLM_CONFIG || join(base, 'autoglm', 'config.json'),
  };
}

/** The saved login, if any. */
export function readSaved(path: string): Partial<Target> {
  try {
    const j = JSON.parse(readFileSync(path, 'utf8')) as Partial<Target>;
    return { ...(typeof j.url === 'string' ? { url: j.url } : {}), ...(typeof j.token === 'string' ? { token: j.token } : {}) };
  } catch {
    return {};
  }
}

/** Saves the login readable only by the user (0600 in a 0700 folder): the token is a credential. */
export function saveLogin(path: string, t: Target): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, JSON.stringify({ url: t.url, token: t.token }, null, 2) + '\n', { mode: 0o600 });
  chmodSync(path, 0o600);
}

/** Environment first, then the saved login, then the local default. */
export function resolveTarget(env: CliEnv): Target {
  const saved = readSaved(env.configPath);
  const url = env.url ?? saved.url ?? 'http://127.0.0.1:8080';
  try {
    new URL(url);
  } catch {
    throw new CliError(`not a URL: ${url} (from ${env.url ? 'AUTOGLM_URL' : env.configPath})`, EXIT.usage);
  }
  const timeoutMs = answerTimeoutMs(env);
  return { url, token: env.token ?? saved.token, ...(timeoutMs !== undefined ? { timeoutMs } : {}), ...(env.url ?? saved.url ? {} : { defaultUrl: true }) };
}

/**
 * How long the server may take to answer a call, in milliseconds; undefined: no limit. Calls the
 * server holds on purpose (long-polls, synchronous calls) get their own wait on top.
 * @throws CliError (usage) when `AUTOGLM_CLI_TIMEOUT` is not a duration
 */
export function answerTimeoutMs(env: CliEnv): number | undefined {
  if (env.timeout === undefined) return DEFAULT_TIMEOUT_MS;
  const ms = durationMs(env.timeout, 'AUTOGLM_CLI_TIMEOUT');
  return ms === 0 ? undefined : ms;
}
