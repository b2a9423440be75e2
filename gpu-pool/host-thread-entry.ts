/**
 * The inference thread of a worker process (started by {@link HostThread}): serves the main
 * thread's messages (see `serveHost`).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { serveHost } from './host-serve.ts';
import type { FromThread, ThreadData, ToThread } from './host-thread-protocol.ts';

const port = parentPort!;
await serveHost({ post: (m: FromThread) => port.postMessage(m), onMessage: (fn: (m: ToThread) => void) => port.on('message', fn) }, workerData as ThreadData);
