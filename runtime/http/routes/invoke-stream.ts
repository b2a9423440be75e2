import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { Logger } from '../../../functions/sdk/index.ts';
import type { ChunkReader } from '../../../queue/jobs/index.ts';
import type { AppEnv } from '../app-deps.ts';
import { requestProblem } from '../problem.ts';

/**
 * Bytes of chunks (as JSON) a streamed call holds for a client that reads slower than its
 * function writes. Past it, chunks are dropped and the final event says how many (`dropped`):
 * the worker never waits for a client, and a router never holds more than this per call.
 */
export const STREAM_BUFFER_BYTES = 1024 * 1024;

/** Whether the client asked for Server-Sent Events (`Accept: text/event-stream`). */
export const wantsEvents = (accept: string | undefined): boolean => accept !== undefined && /(^|,)\s*text\/event-stream\s*(;|,|$)/i.test(accept);

/** A call being answered as events. */
export interface StreamedCall {
  /** Where its chunks come from [none: an answer that has none, the final event alone]. */
  reader?: Pick<ChunkReader, 'follow'>;
  /** The call's id (a job, or an item of a group). */
  id: string;
  /** The JSON body a non-streaming call gets, or the error it would answer. */
  answer: Promise<object>;
  /** Called once if the client goes away before the end: the call is no longer wanted. */
  abandon: () => void;
  /** Buffered bytes before chunks are dropped. Default {@link STREAM_BUFFER_BYTES}. */
  bufferBytes?: number;
  log?: Logger;
}

/**
 * Answers a queued synchronous call as Server-Sent Events: `event: chunk` for each chunk its
 * function emits (data: the chunk as JSON), then one `event: result` whose data is the JSON body
 * the call would answer without streaming (with `dropped: n` when a slow client missed chunks),
 * or `event: error` with its problem+json body. A function that emits nothing gets the final
 * event only. Headers set before (`X-Job-Id`, `X-Function-Version`, `traceparent`) go with it.
 */
export function streamAnswer(c: Context<AppEnv>, call: StreamedCall): Response {
  const limit = call.bufferBytes ?? STREAM_BUFFER_BYTES;
  return streamSSE(c, async (sse) => {
    const queue: string[] = [];
    let held = 0;
    let dropped = 0;
    let wake: (() => void) | undefined;
    const followed = call.reader?.follow(call.id, (chunk) => {
      const data = JSON.stringify(chunk);
      // One chunk always fits, however large: the client gets something of every burst.
      if (queue.length > 0 && held + data.length > limit) {
        dropped++;
        return;
      }
      queue.push(data);
      held += data.length;
      wake?.();
    });
    let gone = false;
    sse.onAbort(() => {
      gone = true;
      followed?.stop(true);
      call.abandon();
      wake?.();
    });
    let settled = false;
    const outcome = call.answer.then(
      (body) => ({ ok: true as const, body }),
      (err: unknown) => ({ ok: false as const, err }),
    );
    void outcome.then(() => ((settled = true), wake?.()));
    const writeQueued = async () => {
      while (queue.length > 0 && !gone) {
        const data = queue.shift()!;
        held -= data.length;
        await sse.writeSSE({ event: 'chunk', data });
      }
    };
    while (!gone && !settled) {
      await writeQueued();
      if (gone || settled) break;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
    const end = await outcome;
    // Every chunk is in the stream once the call's end is announced: the last read finds the rest.
    if (!gone) await followed?.end().catch(() => undefined);
    await writeQueued();
    if (gone) return;
    if (end.ok) await sse.writeSSE({ event: 'result', data: JSON.stringify(dropped ? { ...end.body, dropped } : end.body) });
    else await sse.writeSSE({ event: 'error', data: JSON.stringify({ ...requestProblem(c, end.err, call.log).problem, ...(dropped ? { dropped } : {}) }) });
  });
}
