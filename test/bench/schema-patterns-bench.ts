/**
 * Input validation with schema patterns on three engines, in one process and one run:
 * `npx tsx test/bench/schema-patterns-bench.ts`. Ajv's default, JavaScript's backtracking
 * RegExp; RE2 (re2js) for every pattern, as the router ran them from issue 20 on; and the
 * router's now (`schemaAjv`): patterns with few ways to backtrack on RegExp, the rest on RE2. It
 * validates normal `risk-scoring` inputs (generated histories: 1 + 2 patterns per transaction)
 * and `customer-reply` inputs (2–5 patterns each) with each function's own input schema, the
 * engines taking turns within every round; the table gives each one's median round. A second
 * table shows why RE2 stays for the others: `^(a+)+$` on n "a"s and a "!". Prints Markdown
 * tables; no pass/fail.
 *
 * Env: PATTERN_ROUNDS [15], PATTERN_CALLS validations per round and side [20000].
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { parseManifest } from '../../functions/sdk/index.ts';
import { generateSequences } from '../../functions/risk-scoring/generate-data.ts';
import { re2Pattern, schemaAjv } from '../../runtime/registry/manifest-schemas.ts';
import { markdownTable, num } from './table.ts';

const ROUNDS = Number(process.env.PATTERN_ROUNDS ?? 15);
const CALLS = Number(process.env.PATTERN_CALLS ?? 20_000);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function inputSchema(fn: string): Record<string, unknown> {
  const m = parseManifest(parseYaml(readFileSync(new URL(`../../functions/${fn}/manifest.yaml`, import.meta.url), 'utf8')));
  if (!m.ok) throw new Error(`${fn}: ${JSON.stringify(m.issues)}`);
  return m.manifest.input;
}

const ORDER = { id: 'A-1001', status: 'shipped', orderedAt: '2026-11-28', shippedAt: '2026-11-30T09:15:00+08:00', estimatedDelivery: '2026-12-04', items: ['耳机', { name: 'USB-C cable', quantity: 2 }] };
const workloads: { name: string; schema: Record<string, unknown>; inputs: unknown[] }[] = [
  { name: 'risk-scoring', schema: inputSchema('risk-scoring'), inputs: generateSequences({ count: 200, seed: 9, fraudRate: 0.2 }).map((s) => s.input) },
  {
    name: 'customer-reply',
    schema: inputSchema('customer-reply'),
    inputs: [
      { message: '我的快递三天了还没到，怎么回事？', context: { order: ORDER, customer: { name: '王芳', tier: 'gold' } }, locale: 'zh-CN' },
      { message: 'Where is my parcel? It was due on Thursday.', context: { order: ORDER } },
      { message: 'I want a refund for order A-1001, the item arrived broken.', temperature: 0.7, seed: 3, locale: 'en-GB' },
      { message: '怎么修改收货地址' },
    ],
  },
];

// RE2 for every pattern (the router until the nineteenth session), and the router's now: bounded
// patterns on V8's RegExp, the rest on RE2 (`re2RegExp`).
const re2Only = Object.assign((source: string) => re2Pattern(source), { code: 'RE2JS.compile' });
const engines = { RegExp: () => new Ajv({ allErrors: true, strict: false }), RE2: () => new Ajv({ allErrors: true, strict: false, code: { regExp: re2Only } }), router: schemaAjv };
type Engine = keyof typeof engines;

/** ns per validation of `inputs`, cycling through them `CALLS` times. */
function perCall(validate: ValidateFunction, inputs: unknown[]): number {
  let ok = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) if (validate(inputs[i % inputs.length])) ok++;
  const ns = Number(process.hrtime.bigint() - t0) / CALLS;
  if (ok !== CALLS) throw new Error(`${CALLS - ok} valid inputs were refused: ${JSON.stringify(validate.errors)}`);
  return ns;
}

const rows: string[][] = [];
for (const w of workloads) {
  const compileMs = {} as Record<Engine, number>;
  const validators = {} as Record<Engine, ValidateFunction>;
  for (const e of Object.keys(engines) as Engine[]) {
    const t0 = performance.now();
    validators[e] = engines[e]().compile(w.schema);
    compileMs[e] = performance.now() - t0;
    perCall(validators[e], w.inputs); // warm-up: JIT, RE2's lazily built DFA
  }
  const times: Record<Engine, number[]> = { RegExp: [], RE2: [], router: [] };
  for (let round = 0; round < ROUNDS; round++) {
    const order = Object.keys(engines) as Engine[];
    for (let k = 0; k < order.length; k++) {
      const e = order[(k + round) % order.length]!;
      times[e].push(perCall(validators[e], w.inputs));
    }
  }
  const [js, re2, router] = [median(times.RegExp), median(times.RE2), median(times.router)];
  rows.push([w.name, num(js / 1000, 2), num(re2 / 1000, 2), num(router / 1000, 2), `${num(re2 / js, 2)}×`, `${num(router / js, 2)}×`, num(compileMs.RegExp, 1), num(compileMs.RE2, 1), num(compileMs.router, 1)]);
}

// The hole: backtracking doubles per character; RE2 stays linear.
const redos: string[][] = [];
const evil = { RegExp: engines.RegExp().compile({ type: 'string', pattern: '^(a+)+$' }), router: engines.router().compile({ type: 'string', pattern: '^(a+)+$' }) };
for (const v of Object.values(evil)) v('aa!'); // each engine's own first-call compile is not the hole
for (const n of [16, 18, 20, 22, 24, 10_000]) {
  const s = `${'a'.repeat(n)}!`;
  const time = (v: ValidateFunction) => {
    const t0 = performance.now();
    v(s);
    return performance.now() - t0;
  };
  redos.push([String(n), n > 24 ? 'not run' : num(time(evil.RegExp), 2), num(time(evil.router), 3)]);
}

console.log(`# Schema patterns: RegExp, RE2 (re2js), and the router's mix\n\n${cpus()[0]?.model ?? '?'}, ${availableParallelism()} cores, Node ${process.version}; ${ROUNDS} rounds × ${CALLS} validations per side, median round.\n`);
console.log(markdownTable(['input schema', 'RegExp µs/call', 'RE2 µs/call', 'router µs/call', 'RE2 / RegExp', 'router / RegExp', 'RegExp compile ms', 'RE2 compile ms', 'router compile ms'], rows));
console.log(`\n\`^(a+)+$\` on n "a"s and a "!" (one call, ms):\n`);
console.log(markdownTable(['n', 'RegExp ms', 'router ms (RE2 for this one)'], redos));
