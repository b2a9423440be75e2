import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PROBLEM_CODES } from '../queue/problem-codes.ts';
import type { PoolHealth } from './supervisor.ts';

/** Options of {@link servePoolHealth}. */
export interface PoolHealthOptions {
  host: string;
  /** 0: any free port (the URL says which). */
  port: number;
  /** The supervisor's view, read on every request. */
  health: () => PoolHealth;
}

/** A listening health endpoint. */
export interface PoolHealthServer {
  url: string;
  /** Stops listening and ends open connections. Idempotent. */
  close(): Promise<void>;
}

/**
 * The pool's `GET /healthz`, for a container runtime's probes: a pool has no API of its own, and
 * its heartbeat is in Redis, where a probe cannot read it without credentials. 200 while at
 * least one worker runs and heartbeats to the supervisor; 503 otherwise, with `reasons` (the
 * slots' states: a crash loop, a start, a silence), as the router's `/readyz` gives its own.
 * No token: it names no function, host or pid beyond the slots' states and pids.
 */
export async function servePoolHealth(o: PoolHealthOptions): Promise<PoolHealthServer> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://pool').pathname;
    if (req.method !== 'GET' || path !== '/healthz') {
      const code = 'ROUTE_NOT_FOUND';
      const entry = PROBLEM_CODES[code];
      res.writeHead(entry.status, { 'content-type': 'application/problem+json' });
      res.end(JSON.stringify({ type: `urn:autoglm:problem:route-not-found`, title: entry.title, status: entry.status, detail: `no route for ${req.method} ${path}: the pool answers GET /healthz only`, code }));
      return;
    }
    const h = o.health();
    const body = {
      status: h.live > 0 ? 'ok' : 'unavailable',
      live: h.live,
      reasons: h.reasons,
      slots: h.slots.map((s) => ({ slot: s.slot, device: s.device.id, state: s.state, ...(s.pid !== undefined && s.state !== 'backoff' && s.state !== 'stopped' ? { pid: s.pid } : {}), restarts: s.restarts, ...(s.lastRestart ? { lastRestart: s.lastRestart } : {}) })),
    };
    res.writeHead(h.live > 0 ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}
