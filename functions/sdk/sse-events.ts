/** One Server-Sent Event: its name (`message` when unnamed) and its data lines joined. */
export interface SseEvent {
  event: string;
  data: string;
}

/**
 * The events of a `text/event-stream` body, each as soon as its blank line has arrived: the
 * platform's streamed answers (the CLI) and an LLM's streamed completion (a function). Only
 * `event:` and `data:` lines are read; comments and `id:` are skipped.
 */
export async function* sseEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffered = '';
  let event = 'message';
  let data: string[] = [];
  for await (const part of body as unknown as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(part, { stream: true });
    let nl: number;
    while ((nl = buffered.search(/\r\n|\r|\n/)) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + (buffered.startsWith('\r\n', nl) ? 2 : 1));
      if (line === '') {
        if (data.length) yield { event, data: data.join('\n') };
        event = 'message';
        data = [];
      } else if (line.startsWith('event:')) event = line.slice(6).trimStart();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
  }
}
