import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

/** A request a {@link HttpReceiver} got. */
export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A real HTTP server recording every request it gets (webhook receivers, redirect targets). */
export interface HttpReceiver {
  /** `http://<host>:<port>` (`https:` with `tls`). */
  readonly origin: string;
  readonly port: number;
  readonly received: Received[];
  close(): Promise<void>;
}

/**
 * Starts a receiver on `host` (a free port) that answers each request with `answer` (default 204);
 * over HTTPS with `tls` (PEM certificate and key).
 */
export async function startReceiver(host: string, answer: (res: ServerResponse, req: Received) => void = (res) => res.writeHead(204).end(), tls?: { cert: string; key: string }): Promise<HttpReceiver> {
  const received: Received[] = [];
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const r = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body };
      received.push(r);
      answer(res, r);
    });
  };
  const server: Server = tls ? createTlsServer(tls, handle) : createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
