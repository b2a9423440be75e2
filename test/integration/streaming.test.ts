import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleMaker } from '../harness/bundles.ts';
import { CLI_BIN } from '../harness/cli-runner.ts';
import { eventually, startPlatform, type TestPlatform } from '../harness/platform.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';

const STREAMER = fileURLToPath(new URL('../fixtures/functions/streamer/', import.meta.url));

let redis: TestRedis;
let p: TestPlatform;
let gates: string;
let gateSeq = 0;

beforeAll(async () => {
  redis = await startTestRedis();
  gates = mkdtempSync(join(tmpdir(), 'autoglm-stream-gates-'));
  // Thread isolation: the fixture's gate is a file of the test's, which a sandbox cannot see.
  p = await startPlatform(redis.url, { env: { AUTOGLM_ISOLATION: 'thread' } });
  const make = await bundleMaker(STREAMER);
  for (const b of [make('streamer'), make('streamer-inline', undefined, { isolation: 'inline' })]) expect((await p.api.deploy(b.archive, b.hash)).status).toBe(201);
}, 60_000);
afterAll(async () => {
  await p?.stop();
  await redis?.destroy();
  if (gates) rmSync(gates, { recursive: true, force: true });
});

interface Event {
  event: string;
  data: any;
}

/** Server-Sent Events parsed from the text received so far (whole events only). */
function parseEvents(text: string): Event[] {
  return text
    .split('\n\n')
    .slice(0, -1)
    .map((block) => {
      const lines = block.split('\n');
      const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? 'message';
      const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
      return { event, data: JSON.parse(data) };
    });
}

/** A gate the fixture waits on after its first chunk. */
function newGate(): { release: string; open: () => void } {
  const release = join(gates, `gate-${process.pid}-${++gateSeq}`);
  return { release, open: () => writeFileSync(release, '') };
}

/** Streams a call with fetch; `onEvent` sees each event as it arrives. */
async function streamWithFetch(fn: string, input: unknown, onEvent: (e: Event) => void = () => undefined): Promise<{ status: number; headers: Headers; events: Event[] }> {
  const res = await fetch(`${p.url}/v1/functions/${fn}/invoke`, {
    method: 'POST',
    headers: { authorization: `Bearer ${p.adminToken}`, 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ input }),
  });
  const decoder = new TextDecoder();
  let text = '';
  let seen = 0;
  for await (const part of res.body!) {
    text += decoder.decode(part as Uint8Array, { stream: true });
    const events = parseEvents(text);
    for (const e of events.slice(seen)) onEvent(e);
    seen = events.length;
  }
  return { status: res.status, headers: res.headers, events: parseEvents(text) };
}

describe('streamed synchronous calls (Accept: text/event-stream)', () => {
  it('sends each chunk as it is emitted, then the JSON answer as the final event; the job keeps the final output only', async () => {
    const gate = newGate();
    const input = { parts: ['Hello', { word: 'streamed' }, 'world.'], release: gate.release };
    // The function waits after its first chunk until the test has received it: chunks arrive while it runs.
    const { status, headers, events } = await streamWithFetch('streamer', input, (e) => e.event === 'chunk' && gate.open());
    expect(status).toBe(200);
    expect(headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(events.map((e) => e.event)).toEqual(['chunk', 'chunk', 'chunk', 'result']);
    expect(events.slice(0, 3).map((e) => e.data)).toEqual(input.parts);
    const final = events[3]!.data;
    expect(final.output).toEqual({ parts: 3 });
    expect(headers.get('x-job-id')).toBe(final.id);
    expect(headers.get('x-function-version')).toBe(final.version);
    // The final event is the body a JSON call answers: the same members, the same output.
    const plain = await p.call('POST', '/v1/functions/streamer/invoke', { input: { parts: input.parts } });
    expect(plain.status).toBe(200);
    expect(Object.keys(final).sort()).toEqual(Object.keys(plain.json).sort());
    expect(final.output).toEqual(plain.json.output);
    const job = await p.call('GET', `/v1/jobs/${final.id}`);
    expect(job.json.status).toBe('succeeded');
    expect(job.json.output).toEqual({ parts: 3 });
    // The chunks are gone from Redis once delivered.
    expect(await p.redis.exists(`${p.prefix}:chunks:${final.id}`)).toBe(0);
  });

  it('answers a function that emits nothing with one final event', async () => {
    const { status, events } = await streamWithFetch('streamer', { parts: [] });
    expect(status).toBe(200);
    expect(events.map((e) => e.event)).toEqual(['result']);
    expect(events[0]!.data.output).toEqual({ parts: 0 });
  });

  it('streams from a function run inline on the worker thread, and each grouped call gets only its own chunks', async () => {
    const calls = Array.from({ length: 4 }, (_, i) => streamWithFetch('streamer-inline', { parts: [`a${i}`, `b${i}`] }));
    const answers = await Promise.all(calls);
    answers.forEach(({ events }, i) => {
      expect(events.map((e) => e.event)).toEqual(['chunk', 'chunk', 'result']);
      expect(events.slice(0, 2).map((e) => e.data)).toEqual([`a${i}`, `b${i}`]);
    });
  });

  it('refuses a bad input with a plain problem, before any stream begins', async () => {
    const res = await fetch(`${p.url}/v1/functions/streamer/invoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${p.adminToken}`, 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ input: { parts: 'not an array' } }),
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('streams to a real `curl -N`, chunk before the end', async () => {
    const gate = newGate();
    const body = JSON.stringify({ input: { parts: ['one', 'two'], release: gate.release } });
    const curl = spawn('curl', ['-sN', '-X', 'POST', '-H', `Authorization: Bearer ${p.adminToken}`, '-H', 'Content-Type: application/json', '-H', 'Accept: text/event-stream', '-d', body, `${p.url}/v1/functions/streamer/invoke`]);
    let out = '';
    curl.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      // curl printed the first chunk while the function still waits on its gate.
      if (parseEvents(out).some((e) => e.event === 'chunk')) gate.open();
    });
    const code = await new Promise<number | null>((resolve) => curl.on('close', resolve));
    expect(code).toBe(0);
    const events = parseEvents(out);
    expect(events.map((e) => e.event)).toEqual(['chunk', 'chunk', 'result']);
    expect(events.slice(0, 2).map((e) => e.data)).toEqual(['one', 'two']);
    expect(events[2]!.data.output).toEqual({ parts: 2 });
  });

  it('`autoglm invoke --stream` prints each chunk as it comes, then the output', async () => {
    const gate = newGate();
    const data = JSON.stringify({ parts: ['Hello, ', 'world.'], release: gate.release });
    const env = { PATH: process.env.PATH!, AUTOGLM_URL: p.url, AUTOGLM_TOKEN: p.adminToken, AUTOGLM_CONFIG: '/nonexistent/autoglm.json' };
    const cli = spawn(process.execPath, [CLI_BIN, 'invoke', 'streamer', '--stream', '--data', data], { env });
    let out = '';
    let err = '';
    cli.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    cli.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      // Printed while the function still waits on its gate.
      if (out.startsWith('Hello, ')) gate.open();
    });
    const code = await new Promise<number | null>((resolve) => cli.on('close', resolve));
    expect(code).toBe(0);
    // The output on stdout; which version and job answered, on stderr (stdout pipes to jq).
    expect(out).toMatch(/^Hello, world\.\n\{\n {2}"parts": 2\n\}\n$/);
    expect(err).toMatch(/^\(streamer@[0-9a-f]{12}, job streamer\.[a-z0-9]+, \d+ ms\)\n$/);
  });

  it('a client that leaves cancels its call: the router stops reading, the worker stops the call at its next chunk', async () => {
    const gate = newGate();
    const ac = new AbortController();
    const res = await fetch(`${p.url}/v1/functions/streamer/invoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${p.adminToken}`, 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ input: { parts: ['first', 'second', 'third'], release: gate.release } }),
      signal: ac.signal,
    });
    const id = res.headers.get('x-job-id')!;
    const reader = res.body!.getReader();
    await reader.read();
    ac.abort();
    // The router stops reading and deletes what the call wrote (it held 'first').
    await eventually(async () => (await p.redis.exists(`${p.prefix}:chunks:${id}`)) === 0, "the router dropped the call's chunks");
    // The call still runs, held after its first chunk; let it emit the next.
    gate.open();
    const job = await eventually(async () => {
      const j = await p.call('GET', `/v1/jobs/${id}`);
      return j.json.status === 'failed' && j.json;
    }, 'the call ended cancelled');
    expect(job.error.code).toBe('JOB_CANCELLED');
    expect(job.error.message).toMatch(/client went away/);
    expect(job.output).toBeUndefined();
    expect(job.attempts).toBe(1);
  });
});
