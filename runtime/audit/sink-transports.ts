import { createSocket } from 'node:dgram';
import { hostname } from 'node:os';
import { connect, type Socket } from 'node:net';

/** Sends one line to an append-only sink; rejects when it was not accepted. */
export interface SinkTransport {
  send(line: string): Promise<void>;
  close(): void;
  /** Where it sends, without credentials: for logs. */
  readonly where: string;
}

/** RFC 5424 facility 13, "log audit", severity 6, informational. */
const PRI = 13 * 8 + 6;

/** An RFC 5424 syslog message carrying `json` as its text. */
export function syslogMessage(json: string, now = new Date()): string {
  return `<${PRI}>1 ${now.toISOString()} ${hostname() || '-'} autoglm ${process.pid} audit-head - ${json}`;
}

/**
 * The transport `url` names: `syslog+udp://host:port` (one datagram per message, RFC 5426),
 * `syslog+tcp://host:port` (octet-counted frames, RFC 6587), or `http(s)://…` (one POST of
 * `application/json` per message, `Authorization: Bearer <token>` when a token is given; any 2xx
 * is accepted).
 * @throws Error for another scheme, or a syslog URL without a port
 */
export function openTransport(url: string, token?: string): SinkTransport {
  const u = new URL(url);
  if (u.protocol === 'http:' || u.protocol === 'https:') return httpTransport(u, token);
  if (u.protocol !== 'syslog+udp:' && u.protocol !== 'syslog+tcp:') throw new Error(`${u.protocol} is not a sink scheme: syslog+udp, syslog+tcp, http or https`);
  const port = Number(u.port);
  if (!port) throw new Error('a syslog sink needs a port (syslog+udp://host:514)');
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  return u.protocol === 'syslog+udp:' ? udpTransport(host, port) : tcpTransport(host, port);
}

function httpTransport(u: URL, token: string | undefined): SinkTransport {
  const where = `${u.origin}${u.pathname}`;
  return {
    where,
    async send(line) {
      const res = await fetch(u, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: line,
        redirect: 'error',
        signal: AbortSignal.timeout(10_000),
      });
      await res.body?.cancel();
      if (!res.ok) throw new Error(`${where} answered ${res.status}`);
    },
    close() {},
  };
}

function udpTransport(host: string, port: number): SinkTransport {
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  socket.unref();
  socket.on('error', () => undefined);
  return {
    where: `syslog+udp://${host}:${port}`,
    send: (line) => new Promise((resolve, reject) => socket.send(syslogMessage(line), port, host, (err) => (err ? reject(err) : resolve()))),
    close: () => socket.close(),
  };
}

/** One connection, opened on first use and again after it breaks. */
function tcpTransport(host: string, port: number): SinkTransport {
  let socket: Socket | undefined;
  const open = (): Promise<Socket> =>
    new Promise((resolve, reject) => {
      const s = connect({ host, port });
      s.setNoDelay(true);
      s.once('connect', () => {
        s.removeListener('error', reject);
        s.on('error', () => s.destroy());
        s.once('close', () => socket === s && (socket = undefined));
        s.unref();
        resolve(s);
      });
      s.once('error', reject);
    });
  return {
    where: `syslog+tcp://${host}:${port}`,
    async send(line) {
      socket ??= await open();
      const msg = Buffer.from(syslogMessage(line));
      const s = socket;
      await new Promise<void>((resolve, reject) => s.write(Buffer.concat([Buffer.from(`${msg.length} `), msg]), (err) => (err ? reject(err) : resolve())));
    },
    close: () => socket?.end(),
  };
}
