import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { Config } from './config/index.ts';

/** What {@link listenHttp} needs of the configuration. */
export type ListenConfig = Pick<Config, 'host' | 'port' | 'tls' | 'httpTimeouts'>;

/**
 * Serves `fetch` on the configured address; resolves once listening, with the URL clients use.
 * A client must send its headers within `headersMs` and its whole request within `requestMs`, or
 * the server closes the connection: a slow sender (slowloris) holds a socket for seconds, not for
 * Node's defaults of a minute (headers) and five (request). Waiting for the answer (a sync call
 * of up to the function's timeout) is not limited by either.
 */
export async function listenHttp(fetch: (req: Request) => Response | Promise<Response>, config: ListenConfig): Promise<{ server: ServerType; url: string; port: number }> {
  const { headersMs, requestMs, keepAliveMs } = config.httpTimeouts;
  const timeouts = {
    headersTimeout: Math.min(headersMs, requestMs), // Node refuses a headers timeout above the request's
    requestTimeout: requestMs,
    keepAliveTimeout: keepAliveMs,
    // Node checks those two timeouts on this interval (default 30 s, which would let a slow
    // sender stay up to 30 s past them); a pass over the connections is cheap.
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(Math.min(headersMs, requestMs) / 4))),
  };
  // HTTPS when a certificate is configured: TLS 1.3 only, as the security baseline requires.
  const tls = config.tls ? { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile), minVersion: 'TLSv1.3' as const } : undefined;
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch, hostname: config.host, port: config.port, ...(tls ? { createServer: createHttpsServer } : {}), serverOptions: { ...timeouts, ...tls } }, () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  return { server, url: `${config.tls ? 'https' : 'http'}://${host}:${port}`, port };
}
