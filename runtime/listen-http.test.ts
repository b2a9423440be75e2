import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerType } from '@hono/node-server';
import { listenHttp, type ListenConfig } from './listen-http.ts';

// Small timeouts so a slow client is cut within the test; what is asserted is that the server
// closes the connection (the 'close' event), never how long that took.
const config: ListenConfig = { host: '127.0.0.1', port: 0, tls: undefined, httpTimeouts: { headersMs: 300, requestMs: 600, keepAliveMs: 5000 } };

let server: ServerType | undefined;
afterEach(async () => {
  server?.close();
  (server as unknown as { closeAllConnections(): void } | undefined)?.closeAllConnections();
  server = undefined;
});

async function start(fetch: (req: Request) => Response | Promise<Response>) {
  const s = await listenHttp(fetch, config);
  server = s.server;
  return s.port;
}

/** A raw connection, with everything it received and a promise of its close. */
async function open(port: number): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((r) => socket.once('connect', r));
  let data = '';
  socket.on('data', (d) => (data += d.toString('latin1')));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  return { socket, received: () => data, closed };
}

/** Writes one piece each time the server has not yet closed, until it does: a slow sender that never finishes. */
function dribble(socket: Socket, piece: string): void {
  const t = setInterval(() => (socket.destroyed ? clearInterval(t) : socket.write(piece)), 50);
  socket.once('close', () => clearInterval(t));
}

describe('listenHttp', () => {
  it('closes a connection whose headers come too slowly', async () => {
    const port = await start(() => new Response('ok'));
    const c = await open(port);
    c.socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
    dribble(c.socket, 'X-Slow: a\r\n');
    await c.closed;
    expect(c.received()).not.toContain('200 OK');
  });

  it('closes a connection that sends nothing at all', async () => {
    const port = await start(() => new Response('ok'));
    const c = await open(port);
    await c.closed;
    expect(c.received()).not.toContain('200 OK');
  });

  it('closes a connection whose body comes too slowly', async () => {
    let bodies = 0;
    const port = await start(async (req) => {
      await req.text();
      bodies++;
      return new Response('ok');
    });
    const c = await open(port);
    c.socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n');
    dribble(c.socket, 'a');
    await c.closed;
    expect(bodies).toBe(0);
    expect(c.received()).not.toContain('200 OK');
  });

  it('keeps an idle keep-alive connection past the headers timeout, for the next request', async () => {
    const port = await start(() => new Response('ok'));
    const c = await open(port);
    const answers = () => c.received().split('200 OK').length - 1;
    c.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise<void>((r) => c.socket.on('data', () => answers() === 1 && r()));
    // Idle past the headers timeout (well within keep-alive): a witness opened now, which sends
    // nothing, is cut by that timeout; once it is, the idle connection has outlived it too.
    const witness = await open(port);
    await witness.closed;
    expect(c.socket.destroyed).toBe(false);
    c.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise<void>((r) => c.socket.on('data', () => answers() === 2 && r()));
    c.socket.destroy();
  });

  it('does not limit the time to answer: a slow answer to a complete request still arrives', async () => {
    let answer!: () => void;
    const answered = new Promise<void>((r) => (answer = r));
    const port = await start(async () => {
      await answered;
      return new Response('late but fine');
    });
    const c = await open(port);
    c.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    let closedEarly = false;
    void c.closed.then(() => (closedEarly = true));
    // The server holds the request past the request timeout: a witness whose body dribbles,
    // started after it, is cut by that timeout; once it is, the held request has outlived it.
    const witness = await open(port);
    witness.socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n');
    dribble(witness.socket, 'a');
    await witness.closed;
    expect(closedEarly).toBe(false);
    answer();
    await new Promise<void>((r) => c.socket.on('data', () => c.received().includes('late but fine') && r()));
    expect(c.received()).toContain('200 OK');
    c.socket.destroy();
  });
});
