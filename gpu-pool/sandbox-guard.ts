/**
 * Refuses, in a sandbox process, what function code has no business doing: network (connect,
 * listen, UDP, DNS, fetch), new processes and worker threads, the inspector. Imported first by
 * `sandbox-entry.ts`, before any function code. At the `sandbox` level the kernel already denies
 * the network (an empty network namespace) and Node's permission model child processes; at the
 * `process` level this is what stands between function code and the network: a guard in
 * JavaScript, not a kernel boundary (see the README's threat model).
 */
import childProcess from 'node:child_process';
import dgram from 'node:dgram';
import dns from 'node:dns';
import inspector from 'node:inspector';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';
import workerThreads from 'node:worker_threads';

/** The error every refused call throws; `code` as Node's permission model uses. */
function refused(what: string): Error {
  return Object.assign(new Error(`${what} is not allowed in a function sandbox`), { code: 'ERR_ACCESS_DENIED' });
}

const refuse = (what: string) =>
  function refusedCall(): never {
    throw refused(what);
  };

function refuseAll(target: Record<string, unknown>, names: readonly string[], what: string): void {
  for (const name of names) if (typeof target[name] === 'function') target[name] = refuse(what);
}

/** Installs the refusals. Idempotent in effect. */
export function installSandboxGuard(): void {
  const mutable = (o: object) => o as Record<string, unknown>;
  refuseAll(mutable(net.Socket.prototype), ['connect'], 'network access');
  refuseAll(mutable(net.Server.prototype), ['listen'], 'listening on a port');
  refuseAll(mutable(net), ['connect', 'createConnection', 'createServer'], 'network access');
  refuseAll(mutable(dgram), ['createSocket'], 'network access');
  refuseAll(mutable(dgram.Socket.prototype), ['bind', 'send', 'connect'], 'network access');
  const lookups = ['lookup', 'lookupService', 'resolve', 'resolve4', 'resolve6', 'resolveAny', 'resolveCaa', 'resolveCname', 'resolveMx', 'resolveNaptr', 'resolveNs', 'resolvePtr', 'resolveSoa', 'resolveSrv', 'resolveTxt', 'reverse'];
  refuseAll(mutable(dns), lookups, 'DNS');
  refuseAll(mutable(dns.promises), lookups, 'DNS');
  for (const R of [dns.Resolver, dns.promises.Resolver]) refuseAll(mutable(R.prototype), lookups, 'DNS');
  refuseAll(mutable(childProcess), ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'], 'starting a process');
  mutable(workerThreads).Worker = class RefusedWorker {
    constructor() {
      throw refused('starting a thread');
    }
  };
  refuseAll(mutable(inspector), ['open', 'url'], 'the inspector');
  for (const g of ['fetch', 'WebSocket', 'EventSource']) if (g in globalThis) mutable(globalThis)[g] = refuse('network access');
  // `import { connect } from 'node:net'` reads the module's live bindings: update them too.
  syncBuiltinESMExports();
}
