/**
 * Built-in AI functions, in process: each handler is loaded from its folder on the TF.js wasm
 * backend and called directly, no queue, so the figures are the model's share of an invocation.
 *
 *   latency   batch of 1, one call after another: per-call p50/p99 and calls per second
 *   batched   batch of 32: items per second, and p50 per batch
 *
 * `risk-scoring` runs on seeded synthetic histories at the natural 2% fraud rate (factors are
 * computed only for medium/high items), and again with `explain: true` on every item, the worst
 * case. `customer-reply` runs with no generator configured (templates only).
 *
 * Standalone: `npx tsx test/bench/functions-bench.ts` prints a Markdown table.
 * Env: BENCH_FN_DURATION seconds per measurement [3]. Timings are information, never pass/fail.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { createLogger, type FunctionDefinition, type InvocationContext } from '../../functions/sdk/index.ts';

/** One measured configuration. */
export interface FunctionBenchRow {
  function: string;
  variant: string;
  batch: number;
  /** Items (not calls) per second. */
  itemsPerSecond: number;
  /** Per `handle` call. */
  p50Ms: number;
  p99Ms: number;
  calls: number;
}

export interface FunctionBenchOptions {
  /** How long each measurement runs. Default 3000 ms. */
  durationMs?: number;
  /** Calls made before measuring, to compile kernels and fill caches. Default 20. */
  warmupCalls?: number;
}

interface Case {
  function: string;
  variant: string;
  dir: string;
  load: () => Promise<FunctionDefinition>;
  inputs: () => Promise<unknown[]>;
}

const fnDir = (name: string) => fileURLToPath(new URL(`../../functions/${name}/`, import.meta.url));

const CUSTOMER_MESSAGES = [
  '我的快递怎么还没到？已经一个星期了',
  'I was charged twice for order 8812, please fix it.',
  '收到的杯子碎了一个，怎么处理？',
  'Can I still cancel my order? It has not shipped yet.',
  '我要找你们经理，问题拖了半个月了',
  'Does this jacket come in XL?',
  '忘记密码了，重置邮件收不到',
  'You sent me the blue one, I ordered black.',
];

const CASES: Case[] = [
  {
    function: 'risk-scoring',
    variant: '2% fraud, auto factors',
    dir: fnDir('risk-scoring'),
    load: async () => (await import('../../functions/risk-scoring/handler.ts')).default as FunctionDefinition,
    inputs: async () => (await import('../../functions/risk-scoring/generate-data.ts')).generateSequences({ count: 256, seed: 77 }).map((s) => s.input),
  },
  {
    function: 'risk-scoring',
    variant: 'explain every item',
    dir: fnDir('risk-scoring'),
    load: async () => (await import('../../functions/risk-scoring/handler.ts')).default as FunctionDefinition,
    inputs: async () => (await import('../../functions/risk-scoring/generate-data.ts')).generateSequences({ count: 256, seed: 77 }).map((s) => ({ ...s.input, explain: true })),
  },
  {
    function: 'customer-reply',
    variant: 'templates (no generator)',
    dir: fnDir('customer-reply'),
    load: async () => (await import('../../functions/customer-reply/handler.ts')).default as FunctionDefinition,
    inputs: async () =>
      CUSTOMER_MESSAGES.map((message, i) => ({
        message,
        context: { order: { id: `A${1000 + i}`, status: 'shipped', shippedAt: '2025-03-03', estimatedDelivery: '2025-03-07', items: ['Travel mug'] }, customer: { name: 'Li Wei', tier: 'gold' } },
      })),
  },
];

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;

async function measure(def: FunctionDefinition, state: unknown, inputs: unknown[], batch: number, durationMs: number, warmup: number): Promise<Omit<FunctionBenchRow, 'function' | 'variant'>> {
  const ctx: InvocationContext = { function: 'bench', version: 'bench', device: 'cpu:0', deadline: Infinity, signal: new AbortController().signal, log: createLogger({}, 'error'), env: {}, secrets: {}, knowledge: {}, emit: () => undefined, wantsChunks: () => false };
  let next = 0;
  const take = () => Array.from({ length: batch }, () => inputs[next++ % inputs.length]);
  for (let i = 0; i < warmup; i++) await def.handle(take(), state, ctx);
  const times: number[] = [];
  const start = performance.now();
  while (performance.now() - start < durationMs) {
    const t = performance.now();
    const out = await def.handle(take(), state, ctx);
    times.push(performance.now() - t);
    const failed = out.find((r) => r instanceof Error);
    if (failed) throw failed;
  }
  const elapsed = (performance.now() - start) / 1000;
  times.sort((a, b) => a - b);
  return { batch, itemsPerSecond: (times.length * batch) / elapsed, p50Ms: percentile(times, 0.5), p99Ms: percentile(times, 0.99), calls: times.length };
}

/** Measures every built-in function at batch 1 and 32 on the wasm backend. */
export async function benchFunctions(opts: FunctionBenchOptions = {}): Promise<FunctionBenchRow[]> {
  const durationMs = opts.durationMs ?? 3000;
  const warmup = opts.warmupCalls ?? 20;
  await import('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
  await tf.ready();
  const rows: FunctionBenchRow[] = [];
  for (const c of CASES) {
    const def = await c.load();
    const state = await def.load?.({ dir: c.dir, device: 'cpu:0', log: createLogger({}, 'error'), env: {}, secrets: {}, knowledge: {} });
    const inputs = await c.inputs();
    try {
      for (const batch of [1, 32]) rows.push({ function: c.function, variant: c.variant, ...(await measure(def, state, inputs, batch, durationMs, warmup)) });
    } finally {
      await def.unload?.(state);
    }
  }
  return rows;
}

/** The rows as a Markdown table. */
export function functionBenchTable(rows: readonly FunctionBenchRow[]): string {
  const header = ['function', 'variant', 'batch', 'items/s', 'p50 ms/call', 'p99 ms/call'];
  const body = rows.map((r) => [r.function, r.variant, String(r.batch), Math.round(r.itemsPerSecond).toLocaleString('en-US'), r.p50Ms.toFixed(2), r.p99Ms.toFixed(2)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i >= 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i >= 2 ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2))).join('|')}|`;
  return [line(header), rule, ...body.map(line)].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const seconds = Number(process.env.BENCH_FN_DURATION || 3);
  if (!(seconds > 0)) throw new Error(`BENCH_FN_DURATION=${process.env.BENCH_FN_DURATION}: a positive number of seconds`);
  const rows = await benchFunctions({ durationMs: seconds * 1000 });
  console.log(`\nBuilt-in functions, in process, TF.js ${tf.getBackend()} backend\n`);
  console.log(functionBenchTable(rows));
}
