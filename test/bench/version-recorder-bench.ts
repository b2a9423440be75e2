/**
 * What rollouts add to every answered invocation, in one process and one run:
 * `npx tsx test/bench/version-recorder-bench.ts`. The router tells each answered call to the
 * per-minute rollups (`CallRecorder`, there before rollouts) and now also to the per-version
 * figures (`VersionRecorder`), which count only functions rolling out. Three sides, alternating
 * within every round (the order rotates): A the rollups alone; B both, no function rolling out
 * (the usual case: one catalogue lookup); C both, every function rolling out. Writes to Redis are
 * left out (their interval never comes): this is the per-call cost on the request path.
 *
 * Env: RECORDER_ROUNDS [15], RECORDER_CALLS per round and side [300000]. Prints a Markdown table.
 */
import { availableParallelism, cpus } from 'node:os';
import { CallRecorder, type AnsweredCall } from '../../runtime/metrics/index.ts';
import { VersionRecorder } from '../../runtime/rollouts/index.ts';
import { markdownTable, num } from './table.ts';

const ROUNDS = Number(process.env.RECORDER_ROUNDS ?? 15);
const CALLS = Number(process.env.RECORDER_CALLS ?? 300_000);
const HOUR = 3_600_000;

/** Answered calls of 8 functions with 2 versions each, mostly synchronous, some failed. */
const calls: AnsweredCall[] = Array.from({ length: 4096 }, (_, i) => ({
  function: `fn${i % 8}`,
  version: `v${i % 2}aaaaaaaaaaa`.slice(0, 12),
  mode: i % 4 === 3 ? 'async' : 'sync',
  status: i % 50 === 0 ? 500 : 200,
  seconds: ((i * 7919) % 1000) / 20_000,
  inputs: 1,
}));

const nothing = { add: async () => undefined };
const rollups = new CallRecorder(nothing, HOUR);
const rolling = new VersionRecorder(nothing, () => true, HOUR);
// The router's check: a lookup in its catalogue copy.
const catalog = new Map(Array.from({ length: 200 }, (_, i) => [`fn${i}`, { rollout: { state: 'promoted' } }]));
const idleLookup = new VersionRecorder(nothing, (fn) => catalog.get(fn)?.rollout?.state === 'progressing', HOUR);

const sides = {
  'A rollups only': (c: AnsweredCall, t: number) => rollups.record(c, t),
  'B + versions, none rolling out': (c: AnsweredCall, t: number) => (rollups.record(c, t), idleLookup.record(c, t)),
  'C + versions, all rolling out': (c: AnsweredCall, t: number) => (rollups.record(c, t), rolling.record(c, t)),
} as const;
type Side = keyof typeof sides;

/** ns per call over `CALLS` calls, the clock moving a second every 100,000 calls (new buckets, as a busy router makes). */
function time(side: Side): number {
  const record = sides[side];
  const base = Date.now();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) record(calls[i % calls.length]!, base + Math.floor(i / 100));
  return Number(process.hrtime.bigint() - t0) / CALLS;
}

const names = Object.keys(sides) as Side[];
for (const s of names) time(s); // warm up
const got = Object.fromEntries(names.map((s) => [s, [] as number[]])) as Record<Side, number[]>;
for (let round = 0; round < ROUNDS; round++) {
  for (let k = 0; k < names.length; k++) {
    const s = names[(round + k) % names.length]!;
    got[s].push(time(s));
    // Drop what was counted, as the writes would: memory stays flat over the rounds.
    await Promise.all([rollups.flush(), idleLookup.flush(), rolling.flush()]);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const a = median(got['A rollups only']);
console.log(`## Per answered call: what rollouts add (${ROUNDS} rounds × ${CALLS.toLocaleString('en')} calls per side, ${cpus()[0]?.model ?? '?'}, ${availableParallelism()} cores, Node ${process.version})\n`);
console.log(markdownTable(['side', 'median ns per call', 'against A'], names.map((s) => [s, num(median(got[s]), 1), `${(median(got[s]) / a).toFixed(2)}×`])));
await Promise.all([rollups.close(), idleLookup.close(), rolling.close()]);
