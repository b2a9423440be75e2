/**
 * Forks the bench's own helper processes (bare server, bare worker, JSON server) and stops them.
 * Each helper is a TypeScript module run by node with tsx's loader, so its pid is the process
 * doing the work (no npx/tsx wrapper in between), and it reports readiness over IPC. Helpers
 * exit when the IPC channel closes, so even a bench killed with SIGKILL leaves none behind.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TS_EXEC_ARGV } from '../../gpu-pool/supervisor.ts';
import type { ReadyMessage } from './ready.ts';

/** A running helper. */
export interface BenchChild {
  proc: ChildProcess;
  pid: number;
  ready: ReadyMessage;
  /** SIGTERM, then SIGKILL after `graceMs`. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

/** Forks `test/bench/<module>` with `env` added to ours, and waits (≤ 30 s) for its ready message. */
export async function startChild(module: string, env: Record<string, string>): Promise<BenchChild> {
  const script = fileURLToPath(new URL(module, import.meta.url));
  const proc = fork(script, [], { execArgv: TS_EXEC_ARGV, env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let stopping: Promise<void> | undefined;
  const stop = (graceMs = 5000) => (stopping ??= stopChild(proc, graceMs));
  try {
    const ready = await new Promise<ReadyMessage>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${module} not ready within 30 s`)), 30_000);
      proc.once('message', (m) => (clearTimeout(timer), resolve(m as ReadyMessage)));
      proc.once('exit', (code, sig) => (clearTimeout(timer), reject(new Error(`${module} exited during start (${code ?? sig})`))));
    });
    return { proc, pid: proc.pid!, ready, stop };
  } catch (err) {
    await stop(1000);
    throw err;
  }
}

/** Asks `proc` to exit (SIGTERM) and kills it if it has not after `graceMs`. */
export function stopChild(proc: ChildProcess, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    proc.once('exit', () => (clearTimeout(timer), resolve()));
    proc.kill('SIGTERM');
  });
}
