import { createSocket } from 'node:dgram';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';

/** A receiver an audit sink sends to, keeping every message it got, as a syslog server or SIEM intake would. */
export interface SinkReceiver {
  /** `AUTOGLM_AUDIT_SINK` for it. */
  url: string;
  /** The messages received so far, in order. */
  lines: string[];
  /** HTTP only: answer 503 while set (a sink that is down). */
  down: boolean;
  close(): Promise<void>;
}

/** A syslog receiver over UDP (a datagram per message) or TCP (octet-counted frames, RFC 6587), or an HTTP intake. */
export async function startSinkReceiver(kind: 'udp' | 'tcp' | 'http'): Promise<SinkReceiver> {
  const lines: string[] = [];
  if (kind === 'udp') {
    const socket = createSocket('udp4');
    socket.on('message', (m) => lines.push(m.toString('utf8')));
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
    const { port } = socket.address();
    return { url: `syslog+udp://127.0.0.1:${port}`, lines, down: false, close: () => new Promise((r) => socket.close(() => r())) };
  }
  if (kind === 'tcp') {
    const server = createTcpServer((conn) => {
      let buf = Buffer.alloc(0);
      conn.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        for (;;) {
          const sp = buf.indexOf(0x20);
          if (sp < 0) return;
          const len = Number(buf.subarray(0, sp).toString());
          if (buf.length < sp + 1 + len) return;
          lines.push(buf.subarray(sp + 1, sp + 1 + len).toString('utf8'));
          buf = buf.subarray(sp + 1 + len);
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    return { url: `syslog+tcp://127.0.0.1:${port}`, lines, down: false, close: () => new Promise<void>((r) => server.close(() => r())) };
  }
  const rx: SinkReceiver = { url: '', lines, down: false, close: async () => undefined };
  const server = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      if (rx.down) {
        res.writeHead(503).end();
        return;
      }
      lines.push(`${req.headers.authorization ?? ''} ${body}`);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  rx.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/intake`;
  rx.close = () => new Promise<void>((r) => server.close(() => r())).then(() => server.closeAllConnections());
  return rx;
}
