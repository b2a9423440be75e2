import { SentInput, type SentJson } from '../queue/jobs/index.ts';
import type { BatchRun } from './host-thread-protocol.ts';

/**
 * A run as it is written: an input the worker holds as sent text ({@link SentInput}) is left out
 * of `data` and named by `from`: [text] for a lone call's input, [text, item] for item `item` of
 * a group's array.
 */
type WrittenRun = Omit<BatchRun, 'data'> & { data: Omit<BatchRun['data'], 'input'> & { input?: unknown }; from?: [number] | [number, number] };

/**
 * Writes batches to cross to function code: `{"texts":[…],"batches":[…]}`, where `texts` are the
 * sent inputs' JSON texts spliced in as they are (each once, however many of its items run), so
 * the worker neither parses an input nor writes it out again. Other inputs are written inline.
 * @throws what `JSON.stringify` throws for an inline input (nested past the stack's depth)
 */
export function writeBatches(batches: readonly (readonly BatchRun[])[]): string {
  const texts = new Map<SentJson, number>();
  const written = batches.map((runs) =>
    runs.map((run): WrittenRun => {
      const input = run.data.input;
      if (!(input instanceof SentInput)) return run;
      let k = texts.get(input.json);
      if (k === undefined) texts.set(input.json, (k = texts.size));
      const { input: _sent, ...data } = run.data;
      return { ...run, data, from: input.index === undefined ? [k] : [k, input.index] };
    }),
  );
  let out = '{"texts":[';
  let first = true;
  for (const json of texts.keys()) {
    out += (first ? '' : ',') + json.text;
    first = false;
  }
  return `${out}],"batches":${JSON.stringify(written)}}`;
}

/** Reads what {@link writeBatches} wrote: the batches with every input in place, parsed. */
export function readBatches(json: string): BatchRun[][] {
  const { texts, batches } = JSON.parse(json) as { texts: unknown[]; batches: WrittenRun[][] };
  // Runs are rebuilt rather than `from` deleted: a deleted property turns V8's objects slow.
  return batches.map((runs) =>
    runs.map(({ from, ...run }): BatchRun => {
      if (from) run.data.input = from[1] === undefined ? texts[from[0]] : (texts[from[0]] as unknown[])[from[1]];
      return run as BatchRun;
    }),
  );
}
