import { spawn, type ChildProcess } from 'node:child_process';
import type { FromThread, HostEndpoint, ThreadData } from './host-thread-protocol.ts';
import { deviceEnv, sandboxCommand, type SandboxDirs, type SandboxLaunch } from './sandbox-launch.ts';

/**
 * Starts a sandbox process (`sandbox-entry.ts`, under bubblewrap at the `sandbox` level) and
 * gives its IPC channel as a {@link HostEndpoint}. The channel is V8-serialized, so messages
 * cross as structured clones, as to an inference thread.
 */
export function startSandbox(launch: SandboxLaunch, dirs: SandboxDirs, data: ThreadData): HostEndpoint & { pid: number | undefined } {
  const { file, args, options } = sandboxCommand(launch, dirs, JSON.stringify(data), deviceEnv(data.slot));
  const child: ChildProcess = spawn(file, args, options);
  let on: Parameters<HostEndpoint['listen']>[0] = { message: () => undefined, lost: () => undefined };
  child.on('message', (m) => on.message(m as FromThread));
  const exited = new Promise<void>((resolve) => {
    child.on('error', (err) => {
      on.lost(err);
      // Never started (no such command): there will be no exit.
      if (child.pid === undefined) resolve();
    });
    child.on('exit', (code, signal) => {
      on.lost(new Error(`sandbox process exited with ${signal ?? `code ${code}`}`));
      resolve();
    });
  });
  return {
    pid: child.pid,
    send: (m) => {
      if (child.connected) child.send(m);
    },
    listen: (next) => void (on = next),
    terminate: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
