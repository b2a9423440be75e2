/**
 * Runs the real platform as an operator would: what `npm start` runs, `node runtime/start.mjs`
 * (router in that process, pool forked by it, one worker forked by the pool) against the bench's
 * Redis. Started with node itself, so the pid held here IS the router (`npm start` would put
 * npm in between). Stopping sends SIGTERM, which drains in order; anything
 * of the tree still alive after the grace period is killed by pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../runtime/launcher/embedded-redis.ts';
import { descendants, isAlive, parentOf, startTicks } from './proc-stats.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** A running platform node. */
export interface BenchPlatform {
  url: string;
  /** Admin token read from `<stateDir>/admin-token`. */
  token: string;
  /** The router (launcher) process. */
  routerPid: number;
  /** The pool supervisor and its worker(s), found from the process tree once ready. */
  poolPids: number[];
  workerPids: number[];
  /** Graceful stop, then SIGKILL for whatever is left; removes the state directory. Idempotent. */
  stop(): Promise<void>;
}

/** Options of {@link startPlatform}. */
export interface PlatformOptions {
  /** The checkout to run (default: this one): another worktree's code, for side-by-side runs. */
  root?: string;
  /** Added to the platform's environment (a key prefix, so two platforms can share one Redis). */
  env?: Record<string, string>;
}

/** Starts the platform with one worker on `redisUrl` and waits (≤ 60 s) until /readyz says 200. */
export async function startPlatform(redisUrl: string, opts: PlatformOptions = {}): Promise<BenchPlatform> {
  const stateDir = mkdtempSync(join(tmpdir(), 'autoglm-bench-state-'));
  const port = await freePort();
  // BENCH_CPU_PROF=<dir>: every process of the platform writes a V8 CPU profile when it stops, in
  // a folder named by its key prefix, so the two platforms of a side-by-side run stay apart.
  const profileDir = process.env.BENCH_CPU_PROF && join(process.env.BENCH_CPU_PROF, opts.env?.AUTOGLM_REDIS_PREFIX ?? 'platform');
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const proc = spawn(process.execPath, [...profile, join(opts.root ?? REPO, 'runtime/start.mjs')], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      REDIS_URL: redisUrl,
      AUTOGLM_PORT: String(port),
      AUTOGLM_WORKERS: '1',
      AUTOGLM_STATE_DIR: stateDir,
      AUTOGLM_LOG_LEVEL: 'warn',
      AUTOGLM_SHUTDOWN_GRACE: '5s',
      // Benches repeat one body: with risk-scoring's result cache they would measure the cache,
      // not the model. The cache's own bench turns it on.
      AUTOGLM_RESULT_CACHE: 'off',
      ...opts.env,
    },
    // stdout carries the banner (with the token); stderr is kept to explain a failed start.
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  let started = false;
  proc.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
    if (started) process.stderr.write(d);
  });
  const tree = new Map<number, number | undefined>();
  const remember = () => {
    for (const pid of descendants(proc.pid!)) if (!tree.has(pid)) tree.set(pid, startTicks(pid));
  };
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= stopTree(proc, remember, tree, stateDir));

  const url = `http://127.0.0.1:${port}`;
  try {
    await waitReady(url, proc, () => stderr);
  } catch (err) {
    await stop();
    throw err;
  }
  started = true;
  remember();
  const below = [...tree.keys()];
  return {
    url,
    token: readFileSync(join(stateDir, 'admin-token'), 'utf8').trim(),
    routerPid: proc.pid!,
    poolPids: below.filter((p) => parentOf(p) === proc.pid),
    workerPids: below.filter((p) => parentOf(p) !== proc.pid),
    stop,
  };
}

async function waitReady(url: string, proc: ChildProcess, stderr: () => string): Promise<void> {
  const end = Date.now() + 60_000;
  while (Date.now() < end) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`platform exited during start (${proc.exitCode ?? proc.signalCode}):\n${stderr()}`);
    const status = await fetch(`${url}/readyz`).then((r) => (void r.body?.cancel(), r.status), () => 0);
    if (status === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`platform not ready within 60 s:\n${stderr()}`);
}

async function stopTree(proc: ChildProcess, remember: () => void, tree: Map<number, number | undefined>, stateDir: string): Promise<void> {
  // The pool runs in its own process group (a terminal's Ctrl-C reaches only the launcher), so
  // its tree is tracked by pid; re-scanned now in case a worker was restarted since start.
  if (proc.exitCode === null && proc.signalCode === null) remember();
  await new Promise<void>((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    const timer = setTimeout(() => (proc.kill('SIGKILL'), resolve()), 15_000);
    proc.once('exit', () => (clearTimeout(timer), resolve()));
    proc.kill('SIGTERM');
  });
  // Only processes this platform started (same pid AND start time); a survivor is killed.
  for (const [pid, started] of tree) if (isAlive(pid) && startTicks(pid) === started) process.kill(pid, 'SIGKILL');
  rmSync(stateDir, { recursive: true, force: true });
}
