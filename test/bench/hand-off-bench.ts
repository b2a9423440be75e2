/**
 * What handing a batch of risk-scoring inputs to function code costs per input, both sides
 * (`gpu-pool/host-thread.ts` to `host-serve.ts`): as JSON text (now) against V8's serializer
 * (a sandbox's IPC channel, `serialization: 'advanced'`) and a structured clone (an inference
 * thread's `postMessage`), as the batches crossed until the nineteenth session. One process,
 * rounds alternating; a batch of 18 runs of 30-transaction histories, as the platform forms them
 * at 64 connections. Standalone: `npx tsx test/bench/hand-off-bench.ts`.
 */
import { deserialize, serialize } from 'node:v8';
import { generateSequences } from '../../functions/risk-scoring/generate-data.ts';

const BATCH = 18;
const runs = generateSequences({ count: 200, seed: 5 })
  .filter((d) => d.input.transactions.length === 30)
  .slice(0, BATCH)
  .map((d, i) => ({ id: i, data: { fn: 'risk-scoring', version: '8198540f2f47', input: d.input, deadline: Date.now() + 30_000, enqueuedAt: Date.now(), id: `risk-scoring.x.${i}` }, picked: Date.now() }));
const batches = [runs];

const sides: Record<string, () => unknown> = {
  'JSON text (now)': () => JSON.parse(JSON.stringify(batches)),
  'V8 serializer (sandbox IPC, before)': () => deserialize(serialize(batches)),
  'structured clone (thread, before)': () => structuredClone(batches),
};
const times: Record<string, number[]> = Object.fromEntries(Object.keys(sides).map((k) => [k, []]));
const N = 500;
for (let round = 0; round < 8; round++) {
  for (const [name, run] of Object.entries(sides)) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < N; i++) run();
    if (round > 0) times[name]!.push(Number(process.hrtime.bigint() - t) / N / BATCH / 1000); // round 0 warms up
  }
}
for (const [name, ts] of Object.entries(times)) process.stdout.write(`${name}: ${ts.sort((a, b) => a - b)[Math.floor(ts.length / 2)]!.toFixed(1)} µs per input, both sides (median of ${ts.length} rounds)\n`);
