/**
 * A platform process as an operator runs one (`runtime/start.mjs`, what `npm start` runs), in
 * the role its environment names, with what it printed: e2e tests of split installs start routers
 * and pools this way, each its own process on a shared Redis.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { newKeyringSpec } from '../../queue/cluster/index.ts';
import { JWT_SECRET, WEBHOOK_KEYS, eventually } from './platform.ts';
import { startTestRedis, type TestRedis } from './redis.ts';

const START = fileURLToPath(new URL('../../runtime/start.mjs', import.meta.url));

/** A started platform process and what it printed (stdout and stderr). */
export interface PlatformNode {
  proc: ChildProcess;
  out: () => string;
  exited: Promise<unknown>;
}

/** Starts `runtime/start.mjs` with `env` (and PATH only: nothing of the test's environment leaks in). */
export function launchNode(env: Record<string, string>): PlatformNode {
  let out = '';
  const proc = spawn(process.execPath, [START], { env: { PATH: process.env.PATH!, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  return { proc, out: () => out, exited: new Promise((r) => proc.once('exit', r)) };
}

/**
 * The first group of `pattern` in what `node` printed, once it has printed it. On a timeout the
 * error carries the node's exit state and the end of its output: a node that never got to its line
 * on a busy CI machine says why (a crash, a wait on Redis) instead of only that it timed out.
 */
export async function printed(node: Pick<PlatformNode, 'proc' | 'out'>, pattern: RegExp, what: string, timeoutMs = 90_000): Promise<string> {
  try {
    return await eventually(() => pattern.exec(node.out())?.[1], what, timeoutMs);
  } catch (e) {
    const state = node.proc.exitCode ?? node.proc.signalCode ?? 'still running';
    throw new Error(`${(e as Error).message} (process ${state}); it printed:\n${node.out().slice(-4000)}`);
  }
}

/** Processes of one platform on one test Redis: see {@link useSplitInstall}. */
export interface SplitInstall {
  /** What every node of the install shares: Redis, prefix, secrets, one state directory. */
  shared(): Record<string, string>;
  /** Starts a node with the shared environment and `env`; it is killed after the file's tests. */
  launch(env: Record<string, string>): PlatformNode;
}

/**
 * Registers a test Redis and a state directory for the file's tests, and kills every node they
 * launched after them. The state directory is shared: routers keep bundles where pools find them.
 */
export function useSplitInstall(name: string): SplitInstall {
  let redis: TestRedis | undefined;
  const nodes: PlatformNode[] = [];
  const state = mkdtempSync(join(tmpdir(), `autoglm-${name}-`));
  beforeAll(async () => {
    redis = await startTestRedis();
  });
  afterAll(async () => {
    for (const n of nodes) n.proc.kill('SIGKILL');
    await Promise.all(nodes.map((n) => n.exited));
    await redis?.stop();
    rmSync(state, { recursive: true, force: true });
  });
  return {
    shared: () => ({
      REDIS_URL: redis!.url,
      AUTOGLM_REDIS_PREFIX: name,
      AUTOGLM_JWT_SECRET: JWT_SECRET,
      AUTOGLM_ENCRYPTION_KEYS: newKeyringSpec(name),
      AUTOGLM_WEBHOOK_KEYS: WEBHOOK_KEYS,
      AUTOGLM_STATE_DIR: state,
      AUTOGLM_LOG_LEVEL: 'info',
    }),
    launch: (env) => {
      const n = launchNode(env);
      nodes.push(n);
      return n;
    },
  };
}
