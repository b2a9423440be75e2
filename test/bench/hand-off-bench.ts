/**
 * What handing a batch of risk-scoring inputs to function code costs per input, from a job's
 * opened plaintext (the group's inputs as the JSON text the router sealed) to the batch parsed
 * where function code runs (`gpu-pool/host-thread.ts` to `host-serve.ts`). Now: the text is
 * spliced into the batch unparsed (`gpu-pool/batch-text.ts`). Before: the worker parsed the
 * inputs, and wrote them out again as JSON text (until the twentieth session), through V8's
 * serializer (a sandbox's IPC channel) or as a structured clone (an inference thread's
 * `postMessage`; until the nineteenth). One process, rounds alternating; a group of 18 calls
 * with 30-transaction histories making one batch, as the platform forms them at 64 connections.
 * Standalone: `npx tsx test/bench/hand-off-bench.ts`.
 */
import { deserialize, serialize } from 'node:v8';
import { generateSequences } from '../../functions/risk-scoring/generate-data.ts';
import { readBatches, writeBatches } from '../../gpu-pool/batch-text.ts';
import { SentJson } from '../../queue/jobs/index.ts';
import { markdownTable, num } from './table.ts';

const BATCH = 18;
const inputs = generateSequences({ count: 200, seed: 5 })
  .filter((d) => d.input.transactions.length === 30)
  .slice(0, BATCH)
  .map((d) => d.input);
/** The job's plaintext as the worker opens it. */
const opened = Buffer.from(JSON.stringify(inputs));
const runs = (input: (i: number) => unknown) => [inputs.map((_, i) => ({ id: i, data: { fn: 'risk-scoring', version: '8198540f2f47', input: input(i), deadline: Date.now() + 30_000, enqueuedAt: Date.now(), id: `risk-scoring.x.${i}` }, picked: Date.now() }))];
const parsedRuns = () => {
  const parsed = JSON.parse(opened.toString('utf8')) as unknown[];
  return runs((i) => parsed[i]);
};

/** Each way: the worker's side (the message made from the opened plaintext), then the other side's (the batch read). */
const ways: Record<string, { worker: () => unknown; other: (m: unknown) => unknown }> = {
  'sent text spliced in (now)': {
    worker: () => {
      const json = new SentJson(opened.toString('utf8'));
      return writeBatches(runs((i) => json.input(i)));
    },
    other: (m) => readBatches(m as string),
  },
  'parsed, written as JSON text (before)': { worker: () => JSON.stringify(parsedRuns()), other: (m) => JSON.parse(m as string) },
  'parsed, V8 serializer (sandbox, earlier)': { worker: () => serialize(parsedRuns()), other: (m) => deserialize(m as Buffer) },
  // postMessage writes the clone in the sender and reads it in the receiver: both halves are timed as one, in the worker's column.
  'parsed, structured clone (thread, earlier; both halves)': { worker: () => structuredClone(parsedRuns()), other: () => undefined },
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const times = Object.fromEntries(Object.keys(ways).map((k) => [k, { worker: [] as number[], other: [] as number[] }]));
const N = 300;
for (let round = 0; round < 8; round++) {
  for (const [name, way] of Object.entries(ways)) {
    let t = process.hrtime.bigint();
    let m: unknown;
    for (let i = 0; i < N; i++) m = way.worker();
    const worker = Number(process.hrtime.bigint() - t) / N / BATCH / 1000;
    t = process.hrtime.bigint();
    for (let i = 0; i < N; i++) way.other(m);
    const other = Number(process.hrtime.bigint() - t) / N / BATCH / 1000;
    if (round > 0) (times[name]!.worker.push(worker), times[name]!.other.push(other)); // round 0 warms up
  }
}
const rows = Object.entries(times).map(([name, t]) => [name, num(median(t.worker), 1), num(median(t.other), 1), num(median(t.worker) + median(t.other), 1)]);
process.stdout.write(`${markdownTable(['hand-off', 'worker µs per input', 'function side µs per input', 'both'], rows)}\n\nMedians of 7 rounds of ${N} batches of ${BATCH}.\n`);
