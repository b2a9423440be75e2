/**
 * What the router's JSON shape check (depth and finite numbers, `runtime/http/json-shape.ts`)
 * costs on a risk-scoring body of 30 transactions (4 KB): the walk of the parse it runs now
 * against the byte scan it ran until the nineteenth session (kept below, as it was), in one
 * process, rounds alternating. Standalone: `npx tsx test/bench/json-shape-bench.ts`.
 */
import { generateSequences } from '../../functions/risk-scoring/generate-data.ts';
import { endOfString } from '../../runtime/http/json-member.ts';
import { checkJsonShape } from '../../runtime/http/json-shape.ts';

const history = generateSequences({ count: 200, seed: 5 }).find((d) => d.input.transactions.length === 30)!;
const text = JSON.stringify({ input: history.input });
const bytes = Buffer.from(text);
const parsed: unknown = JSON.parse(text);

/** The byte scan, as `exceeds` was: whether `b` nests deeper than `maxDepth` or holds a number that overflows. */
function scanBytes(b: Uint8Array, maxDepth: number): boolean {
  const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
  const inNumber = (c: number) => isDigit(c) || c === 0x2d || c === 0x2b || c === 0x2e || c === 0x65 || c === 0x45;
  let depth = 0;
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c === 0x22) i = endOfString(b, i) - 1;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
    else if (isDigit(c) || c === 0x2d) {
      let j = i;
      let exponent = false;
      for (; j < b.length && inNumber(b[j]!); j++) if (b[j] === 0x65 || b[j] === 0x45) exponent = true;
      if ((exponent || j - i > 300) && !Number.isFinite(Number(Buffer.from(b.buffer, b.byteOffset + i, j - i).toString('latin1')))) return true;
      i = j - 1;
    }
  }
  return false;
}

const sides = { 'walk of the parse (now)': () => checkJsonShape(parsed, 64), 'byte scan (before)': () => scanBytes(bytes, 64) };
const N = 50_000;
const times: Record<string, number[]> = Object.fromEntries(Object.keys(sides).map((k) => [k, []]));
for (let round = 0; round < 7; round++) {
  for (const [name, run] of Object.entries(sides)) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < N; i++) run();
    if (round > 0) times[name]!.push(Number(process.hrtime.bigint() - t) / N / 1000); // round 0 warms up
  }
}
for (const [name, ts] of Object.entries(times)) process.stdout.write(`${name}: ${ts.sort((a, b) => a - b)[Math.floor(ts.length / 2)]!.toFixed(2)} µs per ${bytes.length}-byte body (median of ${ts.length} rounds)\n`);
