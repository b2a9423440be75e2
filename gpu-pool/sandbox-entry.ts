/**
 * Entry of a sandbox process (started by `SandboxHost`, at the `sandbox` or `process` isolation
 * level): refuses network, processes and threads to what runs next, then serves the worker's
 * messages over its IPC channel (see `serveHost`). Its one argument is its {@link ThreadData}
 * (JSON): no secret; secrets and bundles arrive as messages.
 */
import { installSandboxGuard } from './sandbox-guard.ts';
import { serveHost } from './host-serve.ts';
import type { FromThread, ThreadData, ToThread } from './host-thread-protocol.ts';

installSandboxGuard();
const data = JSON.parse(process.argv[2] ?? '') as ThreadData;
// The worker closing the channel means it is gone: so is this process's reason to run.
process.on('disconnect', () => process.exit(0));
await serveHost(
  {
    post: (m: FromThread) => {
      if (process.connected) process.send!(m);
    },
    onMessage: (fn: (m: ToThread) => void) => process.on('message', fn as (m: unknown) => void),
  },
  data,
);
