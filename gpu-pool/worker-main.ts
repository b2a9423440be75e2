/**
 * Entry of a pool worker process (forked by the supervisor, one per device slot): reads its
 * configuration, runs a {@link PoolWorker}, and closes it on SIGTERM/SIGINT, when the supervisor
 * goes, or when its inference thread is lost.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { createLogger } from '../functions/sdk/index.ts';
import { POOL_CONFIG_VARIABLE } from '../queue/cluster/index.ts';
import { SECRET_VARIABLES, loadWorkerIdentity, readPoolConfig } from './config.ts';
import { whenParentGone } from './parent-link.ts';
import { PoolWorker } from './pool-worker.ts';
import { resolveIsolation } from './sandbox-launch.ts';
import { flushSpans } from './span-flush.ts';

const parsed = readPoolConfig(process.env[POOL_CONFIG_VARIABLE]);
const ident = parsed.ok ? loadWorkerIdentity(process.env, parsed.config.modelMemoryBytes) : undefined;
if (!parsed.ok || !ident?.ok) {
  const errors = [...(parsed.ok ? [] : parsed.errors), ...(ident && !ident.ok ? ident.errors : [])];
  process.stderr.write(`autoglm worker: bad configuration:\n  ${errors.join('\n  ')}\n`);
  process.exit(2);
}
const config = parsed.config;
// The tracing preload ran before this entry: the exporter has read its collector's address and headers already.
// Function code (in the inference thread, which copies this environment) must not see secrets.
for (const v of SECRET_VARIABLES) delete process.env[v];

const { slot: identitySlot, restarts } = ident.identity;
// The namespaces its pool serves travel with the slot: in heartbeats (placement), to the hosts (warm loads).
const slot = { ...identitySlot, ...(config.namespaces ? { namespaces: config.namespaces } : {}) };
const workerId = `${hostname()}-${process.pid}`;
const log = createLogger({ component: 'worker', workerId, device: slot.id }, config.logLevel);
const worker = new PoolWorker({
  ...config,
  // The pool resolved `auto` once for all its workers; a worker started on its own resolves it here.
  isolation: config.isolation === 'auto' ? (await resolveIsolation('auto')).level : config.isolation,
  encryptionKeys: parsed.keyring,
  slot,
  restarts,
  workerId,
  log,
  redisCa: config.redisCaFile ? readFileSync(config.redisCaFile) : undefined,
  onThreadLost: () => stop('inference thread lost', 1),
});

let exiting: Promise<void> | undefined;
/** Closes the worker once, then exits with the code of the first reason given. */
function stop(reason: string, code = 0): void {
  // A close that cannot finish (a start that never ends) must not leave an orphan behind.
  setTimeout(() => process.exit(code || 1), config.shutdownGraceMs + 15_000).unref();
  exiting ??= worker
    .close(reason)
    .catch((err: unknown) => {
      log.error('worker did not stop cleanly', { err });
      code ||= 1;
    })
    .then(() => flushSpans())
    .then(() => process.exit(code));
}

// Before start: a signal, or the supervisor dying, while the worker starts (seconds: modules, the
// backend, a sandbox) stops it too; close() waits for the start and undoes it.
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
whenParentGone(() => stop('supervisor gone'));
await worker.start().catch((err: unknown) => {
  if (exiting) return; // stopped while starting: close() reports and exits
  log.error('worker cannot start', { err });
  process.exit(3);
});
