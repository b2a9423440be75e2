import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { JobFailedError } from '../../../queue/jobs/index.ts';
import type { AppEnv } from '../app-deps.ts';
import { streamAnswer, wantsEvents } from './invoke-stream.ts';

/** A chunk reader the test drives: `push` delivers a chunk, `end` resolves once `ended` is called. */
function drivenReader() {
  let onChunk: (v: unknown) => void = () => undefined;
  const state = { stopped: false, ended: false };
  return {
    state,
    push: (v: unknown) => onChunk(v),
    reader: {
      follow: (_id: string, f: (v: unknown) => void) => {
        onChunk = f;
        return { end: async () => void (state.ended = true), stop: () => void (state.stopped = true) };
      },
    },
  };
}

/** Events of a whole SSE body. */
const events = (text: string) =>
  text
    .split('\n\n')
    .filter((b) => b !== '')
    .map((b) => ({ event: /^event: (.*)$/m.exec(b)![1], data: JSON.parse(/^data: (.*)$/m.exec(b)![1]!) }));

function appWith(call: (c: Parameters<typeof streamAnswer>[0]) => Response) {
  const app = new Hono<AppEnv>();
  app.post('/call', (c) => call(c));
  return app;
}

describe('streamAnswer', () => {
  it('drops what a client that does not read leaves past the buffer, and says how many in the final event', async () => {
    const r = drivenReader();
    let settle!: (body: object) => void;
    const answer = new Promise<object>((resolve) => (settle = resolve));
    const app = appWith((c) => streamAnswer(c, { reader: r.reader, id: 'f.x', answer, abandon: () => undefined, bufferBytes: 250 }));
    const res = await app.request('/call', { method: 'POST' });
    // Nobody reads the body yet: 20 chunks of ~100 bytes arrive for a 250-byte buffer.
    const sent = Array.from({ length: 20 }, (_, i) => `${String(i).padStart(2, '0')}${'x'.repeat(98)}`);
    for (const chunk of sent) r.push(chunk);
    settle({ output: 'done' });
    const got = events(await res.text());
    const final = got.at(-1)!;
    expect(final.event).toBe('result');
    const chunks = got.slice(0, -1).map((e) => e.data as string);
    expect(final.data.dropped).toBeGreaterThan(0);
    expect(chunks.length + final.data.dropped).toBe(20);
    // What got through is the first chunks, in order: a bounded prefix, never more than the buffer and the one being written.
    expect(chunks).toEqual(sent.slice(0, chunks.length));
    expect(chunks.length).toBeLessThanOrEqual(4);
    expect(final.data.output).toBe('done');
    expect(r.state.ended).toBe(true);
  });

  it('sends the error event with the problem body when the call fails', async () => {
    const r = drivenReader();
    const app = appWith((c) => streamAnswer(c, { reader: r.reader, id: 'f.x', answer: Promise.reject(new JobFailedError('it broke')), abandon: () => undefined }));
    const got = events(await (await app.request('/call', { method: 'POST' })).text());
    expect(got).toHaveLength(1);
    expect(got[0]!.event).toBe('error');
    expect(got[0]!.data).toMatchObject({ status: 500, code: 'JOB_FAILED', detail: 'it broke' });
  });

  it('abandons the call and stops following when the client goes away', async () => {
    const r = drivenReader();
    let abandoned = 0;
    const app = appWith((c) => streamAnswer(c, { reader: r.reader, id: 'f.x', answer: new Promise(() => undefined), abandon: () => void abandoned++ }));
    const res = await app.request('/call', { method: 'POST' });
    r.push('first');
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel();
    expect(abandoned).toBe(1);
    expect(r.state.stopped).toBe(true);
  });

  it('knows an Accept that asks for events', () => {
    expect(wantsEvents('text/event-stream')).toBe(true);
    expect(wantsEvents('application/json, text/event-stream;q=0.9')).toBe(true);
    expect(wantsEvents('application/json')).toBe(false);
    expect(wantsEvents('text/event-streams')).toBe(false);
    expect(wantsEvents(undefined)).toBe(false);
  });
});
