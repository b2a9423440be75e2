import { sseEvents } from '../sdk/index.ts';

/**
 * The text deltas of an OpenAI-compatible streamed chat completion (`stream: true`): Server-Sent
 * Events whose data is a chunk object (`choices[0].delta.content`) until `data: [DONE]`. Each
 * delta is handed to `onText` as it arrives; resolves with the model the chunks name.
 */
export async function readChatStream(body: ReadableStream<Uint8Array>, onText: (text: string) => void): Promise<{ model: string | undefined }> {
  let model: string | undefined;
  for await (const { data } of sseEvents(body)) {
    if (data.trim() === '[DONE]') return { model };
    const chunk = JSON.parse(data) as { model?: unknown; choices?: { delta?: { content?: unknown } }[] };
    if (typeof chunk.model === 'string') model = chunk.model;
    const text = chunk.choices?.[0]?.delta?.content;
    if (typeof text === 'string' && text !== '') onText(text);
  }
  return { model };
}

/**
 * `text` in sentences, each with the spaces after it, so that they join back into `text`
 * exactly: one ends at `.`, `!` or `?` not followed by a letter or digit (`3.5 days` is one),
 * at their full-width forms, and at line breaks.
 */
export function sentences(text: string): string[] {
  return text.match(/(?:[^.!?。！？\n]|[.!?](?=[^\s.!?]))*(?:[.!?。！？]+|\n+|$)\s*/gu)?.filter((s) => s !== '') ?? [];
}
