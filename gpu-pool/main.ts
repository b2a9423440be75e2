/**
 * The pool's entry point: one per node. Supervises one worker process per device slot.
 * Run by the launcher (`npm start`) or alone: `REDIS_URL=… tsx gpu-pool/main.ts`.
 */
import { fileURLToPath } from 'node:url';
import { createLogger } from '../functions/sdk/index.ts';
import { loadPoolConfig } from './config.ts';
import { Supervisor } from './supervisor.ts';

const parsed = loadPoolConfig(process.env);
if (!parsed.ok) {
  process.stderr.write(`autoglm pool: bad configuration:\n  ${parsed.errors.join('\n  ')}\n`);
  process.exit(2);
}
const config = parsed.config;
const log = createLogger({ component: 'pool' }, config.logLevel);
const supervisor = new Supervisor({
  count: config.workers,
  script: fileURLToPath(new URL('./worker-main.ts', import.meta.url)),
  env: process.env,
  graceMs: config.shutdownGraceMs,
  log,
});
supervisor.start();
log.info('pool started', { workers: config.workers });

let stopping = false;
const stop = (reason: string) => {
  if (stopping) return;
  stopping = true;
  log.info('pool draining', { reason });
  supervisor.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
process.on('disconnect', () => stop('launcher gone'));
