/**
 * One router process of several on a node's port (`AUTOGLM_ROUTER_PROCESSES` above 1), forked by
 * the launcher's node:cluster primary (`launcher/router-cluster.ts`). It reads no environment and
 * no state file: the launcher sends the parsed configuration and the node's keys over IPC, so
 * every process of the node uses the same. Its own router id, its own Redis connections.
 *
 * Stops on SIGTERM from the launcher, draining as a single router does. A terminal's Ctrl-C
 * reaches the whole process group: it is the launcher's to act on, which then sends SIGTERM.
 * When the launcher dies, the IPC channel closes and Node's cluster code ends this process.
 */
import { createLogger } from '../functions/sdk/index.ts';
import { parseKeyring } from '../queue/cluster/index.ts';
import type { FromRouter, RouterSettings, ToRouter } from './launcher/router-cluster.ts';
import { startRouter, type RouterHandle } from './router-process.ts';
import { flushTracing, installTracing } from './telemetry/index.ts';

process.on('SIGINT', () => undefined);

let router: RouterHandle | undefined;
let stopping = false;
let startedEarly = false;
const settings = await new Promise<RouterSettings>((resolve) => {
  process.on('message', (m: ToRouter) => {
    if (m.type === 'settings') resolve(m.settings);
    else if (m.type === 'started') router ? router.started() : (startedEarly = true);
  });
  process.send?.({ type: 'hello' } satisfies FromRouter);
});
const config = Object.freeze(settings.config);
const log = createLogger({ component: 'router', pid: process.pid }, config.logLevel);

process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  void (async () => {
    await router?.close();
    await flushTracing();
    process.exit(0);
  })().catch((err: unknown) => {
    log.error('router process did not stop cleanly', { err });
    process.exit(1);
  });
});

try {
  await installTracing({ service: 'autoglm-router' });
  const ring = parseKeyring(settings.encryptionKeys);
  if (!ring.ok) throw new Error(`encryption keys: ${ring.error}`);
  router = await startRouter({
    config,
    redisUrl: settings.redisUrl,
    jwtSecret: settings.jwtSecret,
    encryptionKeys: ring.ring,
    log,
    ...(settings.starting && !startedEarly ? { starting: settings.starting } : {}),
  });
  if (stopping) await router.close();
  else process.send?.({ type: 'listening', url: router.url, routerId: router.routerId } satisfies FromRouter);
} catch (err) {
  log.error('router process could not start', { err });
  process.exit(1);
}
