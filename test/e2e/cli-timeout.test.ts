/**
 * The real `autoglm` against a server that takes calls and answers none until the test says so: a
 * plain call gives up after AUTOGLM_CLI_TIMEOUT (exit 4, saying so) instead of hanging, while the
 * calls the server holds on purpose (`jobs wait`, a synchronous `invoke`, `invoke --stream`) wait
 * on and end as the answer says when it comes. No sleeps: each step waits on a request arriving
 * or a command ending.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../harness/cli-runner.ts';
import { eventually } from '../harness/eventually.ts';

const held: { req: IncomingMessage; res: ServerResponse }[] = [];
const server = createServer((req, res) => {
  req.resume();
  held.push({ req, res });
});
let url: string;
let scratch: string;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'autoglm-cli-timeout-'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(scratch, { recursive: true, force: true });
});

const cli = (args: string[], timeout: string) => runCli({ url, token: 'a-token' }, args, { env: { AUTOGLM_CLI_TIMEOUT: timeout } });
/** The held call `method path`, asking for a stream of events or not, once it has arrived. */
const arrived = (method: string, path: string, events = false) =>
  eventually(() => held.find((h) => h.req.method === method && h.req.url === path && (h.req.headers.accept === 'text/event-stream') === events)?.res, `${method} ${path} to arrive`);
const answer = { id: 'job-1', function: 'echo', version: 'a1b2c3d4e5f6', status: 'succeeded', output: { ok: true }, timings: { totalMs: 7 } };

describe('autoglm against a server that does not answer', () => {
  it('a plain call gives up after AUTOGLM_CLI_TIMEOUT with exit 4; long-polls and synchronous calls outlast it and print their answer', async () => {
    expect((await cli(['init', 'slow', '--dir', scratch], '1s')).code).toBe(0);
    // A deploy is answered once a worker has loaded the version: the server holds it too.
    const deploying = cli(['deploy', join(scratch, 'slow'), '--json', '--no-typecheck'], '1s');
    const waiting = cli(['jobs', 'wait', 'job-1', '--json'], '1s');
    const invoking = cli(['invoke', 'echo', '--data', '{}', '--json'], '1s');
    const streaming = cli(['invoke', 'echo', '--data', '{}', '--stream', '--json'], '1s');
    // Verifying the audit log reads every record before it answers: held too.
    const verifying = cli(['audit', 'verify', '--json'], '1s');
    const job = await arrived('GET', '/v1/jobs/job-1?wait=30000ms');
    const sync = await arrived('POST', '/v1/functions/echo/invoke');
    const stream = await arrived('POST', '/v1/functions/echo/invoke', true);
    const verify = await arrived('GET', '/v1/audit/verify');
    const deploy = await eventually(() => held.find((h) => h.req.url === '/v1/functions' && h.req.readableEnded)?.res, 'the whole bundle to arrive');

    // Sent after the three above, it times out first: by then they have waited longer than 1 s.
    const plain = await cli(['functions', 'ls'], '1s');
    expect([plain.code, plain.stderr]).toEqual([4, `autoglm: ${url} did not answer within 1 s\n`]);

    job.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    sync.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    stream.writeHead(200, { 'content-type': 'text/event-stream' }).end(`event: result\ndata: ${JSON.stringify(answer)}\n\n`);
    for (const run of await Promise.all([waiting, invoking, streaming])) {
      expect(run.code, run.stderr).toBe(0);
      expect(run.json).toMatchObject({ id: 'job-1', output: { ok: true } });
    }
    const report = { ok: true, records: 0, chains: [] };
    verify.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(report));
    const v = await verifying;
    expect([v.code, v.json], v.stderr).toEqual([0, report]);
    const deployed = { name: 'slow', version: 'a1b2c3d4e5f6', created: true, traffic: { routes: [{ version: 'a1b2c3d4e5f6', weight: 100 }], shadow: null } };
    deploy.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(deployed));
    const d = await deploying;
    expect([d.code, d.json], d.stderr).toEqual([0, deployed]);
  });

  it('refuses an AUTOGLM_CLI_TIMEOUT that is not a duration', async () => {
    const bad = await cli(['functions', 'ls'], 'soon');
    expect([bad.code, bad.stderr]).toEqual([2, 'autoglm: AUTOGLM_CLI_TIMEOUT: not a duration: soon (e.g. 30s, 500ms, 5m)\n']);
  });
});
