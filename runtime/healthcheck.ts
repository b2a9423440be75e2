/**
 * `node runtime/.build/healthcheck.js`: the image's HEALTHCHECK, one command for both roles (one
 * image runs router and pool containers). A health check runs with the container's environment
 * but not its command, so the role comes from PID 1's command line (tini's, which ends with the
 * platform's arguments: `--role pool`), else `AUTOGLM_ROLE`. It asks the router's `/healthz`,
 * or the pool's (`AUTOGLM_POOL_HEALTH_PORT`), and prints the answer (`docker inspect` shows it):
 * exit 0 when it is 200, 1 otherwise. Built beside main.js by `runtime/start.mjs`.
 */
import { readFileSync } from 'node:fs';
import { loadConfig } from './config/index.ts';
import { healthTarget } from './launcher/health-target.ts';

/** The platform's arguments in PID 1's command line: those after its entry (`…/main.js`). */
function containerArgs(): string[] {
  let argv: string[];
  try {
    argv = readFileSync('/proc/1/cmdline', 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
  const entry = argv.findIndex((a) => /(^|\/)main\.js$/.test(a));
  return entry < 0 ? [] : argv.slice(entry + 1);
}

const parsed = loadConfig(process.env, containerArgs());
if (!parsed.ok) {
  process.stdout.write(`invalid configuration: ${parsed.errors.join('; ')}\n`);
  process.exit(1);
}
const target = healthTarget(parsed.config);
if ('none' in target) {
  process.stdout.write(`${target.none}: nothing to check\n`);
  process.exit(0);
}
try {
  const res = await fetch(target.url, { signal: AbortSignal.timeout(2500) });
  process.stdout.write(`${parsed.config.role} ${target.url}: ${res.status} ${await res.text()}\n`);
  process.exit(res.status === 200 ? 0 : 1);
} catch (err) {
  process.stdout.write(`${parsed.config.role} ${target.url}: ${(err as Error).message}\n`);
  process.exit(1);
}
