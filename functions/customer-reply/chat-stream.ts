/**
 * The text deltas of an OpenAI-compatible streamed chat completion (`stream: true`): Server-Sent
 * Events whose data is a chunk object (`choices[0].delta.content`) until `data: [DONE]`. Each
 * delta is handed to `onText` as it arrives; resolves with the model the chunks name.
 */
export async function readChatStream(body: ReadableStream<Uint8Array>, onText: (text: string) => void): Promise<{ model: string | undefined }> {
  const decoder = new TextDecoder();
  let buffered = '';
  let model: string | undefined;
  for await (const part of body as unknown as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(part, { stream: true });
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl).replace(/\r$/, '');
      buffered = buffered.slice(nl + 1);
      // One JSON object per `data:` line is what these servers send; comments and blank lines carry nothing.
      if (!line.startsWith('data:')) continue;
      const data = line.slice(5).trim();
      if (data === '[DONE]') return { model };
      const chunk = JSON.parse(data) as { model?: unknown; choices?: { delta?: { content?: unknown } }[] };
      if (typeof chunk.model === 'string') model = chunk.model;
      const text = chunk.choices?.[0]?.delta?.content;
      if (typeof text === 'string' && text !== '') onText(text);
    }
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
