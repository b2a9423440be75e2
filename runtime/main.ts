/**
 * `npm start`: runs the platform on this node. With no REDIS_URL, a private redis-server, the
 * router and the worker pool; `--role router|pool` (or AUTOGLM_ROLE) runs one part against a
 * shared Redis. Ctrl-C drains and stops everything.
 */
import { fileURLToPath } from 'node:url';
import { createLogger } from '../functions/sdk/index.ts';
import { loadConfig, persistentSecret } from './config/index.ts';
import { keysForPool } from './launcher/pool-environment.ts';
import { newKeyringSpec } from '../queue/cluster/index.ts';
import { LaunchAborted, LaunchError, launch, type Launched } from './launcher/launcher.ts';

const parsed = loadConfig(process.env, process.argv.slice(2));
if (!parsed.ok) {
  process.stderr.write(`autoglm: invalid configuration:\n  ${parsed.errors.join('\n  ')}\n`);
  process.exit(2);
}
const config = parsed.config;
const log = createLogger({}, config.logLevel);

// The keyring a pool node limited to AUTOGLM_POOL_NAMESPACES should be given (its namespaces'
// keys, not the master keys): printed for the operator to set as that node's AUTOGLM_ENCRYPTION_KEYS.
if (process.argv.includes('--print-pool-keys')) {
  process.stdout.write(keysForPool(config.encryptionKeys ?? persistentSecret(config.stateDir, 'encryption-keys', newKeyringSpec), config.pool.namespaces) + '\n');
  process.exit(0);
}

// Signals are handled from the first moment: a Ctrl-C while the node starts (building and
// deploying the built-ins takes seconds) stops what has started, which runs detached and would
// otherwise outlive this process.
const starting = new AbortController();
let node: Launched | undefined;
let firstSignalAt = 0;
const onSignal = (sig: string) => {
  if (firstSignalAt) {
    // npm and tsx relay the same signal a moment later; only a deliberate second one forces.
    if (Date.now() - firstSignalAt < 2000) return;
    process.stderr.write('autoglm: second signal, stopping without draining\n');
    node?.forceStop();
    process.exit(130);
  }
  firstSignalAt = Date.now();
  if (!node) {
    process.stdout.write(`\n${sig}: stopping what has started…\n`);
    starting.abort();
    return;
  }
  process.stdout.write(`\n${sig}: draining (up to ${config.shutdownGraceMs / 1000}s)…\n`);
  node.stop().then(
    () => process.exit(0),
    (err) => {
      log.error('shutdown failed', { err });
      process.exit(1);
    },
  );
};
process.on('SIGINT', () => onSignal('SIGINT'));
process.on('SIGTERM', () => onSignal('SIGTERM'));

try {
  // Router processes (AUTOGLM_ROUTER_PROCESSES > 1) run this folder's router-worker: built beside
  // this file by start.mjs (.js), or the source when this runs as TypeScript.
  const routerEntry = fileURLToPath(new URL(`./router-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url));
  node = await launch(config, log, starting.signal, routerEntry);
  if (node.router) {
    const url = node.router.url;
    const body = JSON.stringify({ input: { message: 'hello' } });
    process.stdout.write(
      [
        '',
        `Open-AutoGLM is running (role: ${config.role})`,
        `  API       ${url}    (OpenAPI: ${url}/openapi.json)${config.routerProcesses > 1 ? `, ${config.routerProcesses} router processes` : ''}`,
        `  Console   ${node.consoleLink}`,
        `            (signs you in as admin, once, within 10 minutes; after that paste the token below, or run \`npx autoglm console\`)`,
        `  Redis     ${config.redisSentinel ? `master '${config.redisSentinel.name}' of REDIS_SENTINELS` : config.redisUrl ? 'REDIS_URL' : `embedded, data in ${config.stateDir}/redis`}`,
        `  Workers   ${config.role === 'router' ? 'none here (router only)' : config.workers}`,
        `  Token     ${node.adminToken}`,
        `            (admin, 7 days; also in ${config.stateDir}/admin-token)`,
        '',
        'Try it:',
        `  curl -s -X POST ${url}/v1/functions/echo/invoke -H 'authorization: Bearer ${node.adminToken}' -H 'content-type: application/json' -d '${body}'`,
        '',
        'Ctrl-C stops everything.',
        '',
      ].join('\n'),
    );
  } else {
    process.stdout.write(`Open-AutoGLM worker pool running (${config.workers} workers). Ctrl-C stops it.\n`);
  }
} catch (err) {
  if (err instanceof LaunchAborted) process.exit(0);
  if (err instanceof LaunchError) {
    process.stderr.write(`autoglm: ${err.message}\n`);
    process.exit(1);
  }
  throw err;
}
