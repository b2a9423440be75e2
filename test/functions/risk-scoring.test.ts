import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { createLogger, InvalidInputError, parseManifest, type InvocationContext } from '../../functions/sdk/index.ts';
import { problemStatus } from '../../queue/problem-codes.ts';
import { compareEvaluations, evaluateFolder, readCommittedEvaluation } from '../../functions/risk-scoring/evaluate.ts';
import { FACTORS, MAX_FACTORS, MIN_CONTRIBUTION } from '../../functions/risk-scoring/explain.ts';
import { generateSequences } from '../../functions/risk-scoring/generate-data.ts';
import riskScoring from '../../functions/risk-scoring/handler.ts';
import type { RiskModel } from '../../functions/risk-scoring/risk-model.ts';
import type { RiskOutput } from '../../functions/risk-scoring/risk-scorer.ts';
import { fraudInput, normalInput } from './risk-fixtures.ts';
import { schemaAjv } from '../../runtime/registry/manifest-schemas.ts';

const DIR = fileURLToPath(new URL('../../functions/risk-scoring/', import.meta.url));
const ctx: InvocationContext = { function: 'risk-scoring', version: 'test', device: 'cpu:0', deadline: Infinity, signal: new AbortController().signal, log: createLogger({}, 'error'), env: {}, secrets: {}, knowledge: {}, emit: () => undefined, wantsChunks: () => false };
let state: RiskModel;

const handle = async (inputs: unknown[]) => riskScoring.handle(inputs as never[], state, ctx);
const ok = (r: RiskOutput | Error): RiskOutput => {
  if (r instanceof Error) throw r;
  return r;
};

/**
 * What explain.ts documents of the factors: codes of its factor set, each once, with that factor's
 * own description; at most MAX_FACTORS, none under MIN_CONTRIBUTION; shares of one whole (rounded
 * to 0.001 each), largest first.
 */
function expectDocumentedFactors(r: RiskOutput): void {
  expect(r.factors.length).toBeLessThanOrEqual(MAX_FACTORS);
  expect(new Set(r.factors.map((f) => f.code)).size).toBe(r.factors.length);
  for (const f of r.factors) {
    expect(Object.keys(f).sort()).toEqual(['code', 'contribution', 'description', 'evidence']);
    const def = FACTORS.find((d) => d.code === f.code);
    expect(def, f.code).toBeDefined();
    expect(f.description).toBe(def!.description);
    expect(f.evidence.length).toBeGreaterThan(5);
    expect(f.contribution).toBeGreaterThanOrEqual(MIN_CONTRIBUTION);
    expect(f.contribution).toBeLessThanOrEqual(1);
  }
  expect(r.factors.reduce((a, f) => a + f.contribution, 0)).toBeLessThanOrEqual(1 + 0.0005 * r.factors.length);
  const shares = r.factors.map((f) => f.contribution);
  expect([...shares].sort((a, b) => b - a)).toEqual(shares);
}

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
  state = await riskScoring.load!({ dir: DIR, device: 'cpu:0', log: ctx.log, env: {}, secrets: {}, knowledge: {} });
});
afterAll(() => riskScoring.unload?.(state));

describe('risk-scoring: documented behaviour of the committed model', () => {
  it('rates a card-testing, night-time, new-country cash-out run as high risk and says why', async () => {
    const [out] = await handle([fraudInput()]);
    const r = ok(out!);
    expect(r.level).toBe('high');
    expect(r.score).toBeGreaterThanOrEqual(r.thresholds.high);
    expect(r.threshold).toBe(r.thresholds.high);
    expect(r.accountId).toBe('acct-fraud');
    expect(r.factors.length).toBeGreaterThan(0);
    expectDocumentedFactors(r);
    // Each factor's evidence is about this run (fraudInput: five online payments six minutes apart
    // in RO, home DE, in gift cards, electronics and jewelry, at 03:00 local time).
    const evidence: Record<string, RegExp> = {
      rapid_succession: /^5 payments within 24 minutes$/,
      new_country: /RO \(home country DE\)/,
      high_risk_merchants: /gift cards|electronics|jewelry/,
      night_activity: /\d/,
      card_not_present: /\d/,
      unusual_amounts: /EUR/,
      new_merchant_type: /gift cards|electronics|jewelry|digital goods/,
    };
    for (const f of r.factors) expect(f.evidence, f.code).toMatch(evidence[f.code]!);
    // The card-testing run is the strongest signal, as the README's example of this history shows.
    expect(r.factors[0]!.code).toBe('rapid_succession');
  });

  it('rates an ordinary month of groceries and cafés as low risk, with no factors unless asked', async () => {
    const [plain, explained] = await handle([normalInput(), { ...normalInput(), explain: true }]);
    expect(ok(plain!).level).toBe('low');
    expect(ok(plain!).score).toBeLessThan(ok(plain!).thresholds.medium);
    expect(ok(plain!).threshold).toBe(ok(plain!).thresholds.medium);
    expect(ok(plain!).factors).toEqual([]);
    expect(ok(explained!).score).toBe(ok(plain!).score);
    // Asked, it lists what stands out, if anything: never what this history lacks.
    expectDocumentedFactors(ok(explained!));
    const codes = ok(explained!).factors.map((f) => f.code);
    for (const absent of ['rapid_succession', 'new_country', 'high_risk_merchants', 'night_activity']) expect(codes).not.toContain(absent);
  });

  it('gives every item the score it gets alone, whatever the batch around it', async () => {
    const alone = ok((await handle([fraudInput()]))[0]!);
    const mixed = await handle([normalInput(), fraudInput(), { ...fraudInput(), explain: false }]);
    expect(ok(mixed[1]!).score).toBe(alone.score);
    expect(ok(mixed[1]!).factors).toEqual(alone.factors);
    expect(ok(mixed[2]!).score).toBe(alone.score);
    expect(ok(mixed[2]!).factors).toEqual([]);
  });

  it('leaves the tensor count where it was, explanations included', async () => {
    await handle([fraudInput()]); // warm up kernels that allocate once
    const before = tf.memory().numTensors;
    await handle([normalInput(), fraudInput(), { ...normalInput(), explain: true }]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('risk-scoring: input validation', () => {
  const tx = () => normalInput().transactions[0]!;
  const cases: [string, unknown, string][] = [
    ['not an object', 'hello', 'input'],
    ['no transactions', {}, 'transactions'],
    ['empty list', { transactions: [] }, 'transactions'],
    ['31 transactions', { transactions: Array.from({ length: 31 }, tx) }, 'transactions'],
    ['NaN amount', { transactions: [tx(), tx(), { ...tx(), amount: Number.NaN }] }, 'transactions[2].amount'],
    ['Infinity amount', { transactions: [{ ...tx(), amount: Infinity }] }, 'transactions[0].amount'],
    ['negative amount', { transactions: [{ ...tx(), amount: -5 }] }, 'transactions[0].amount'],
    ['amount as text', { transactions: [{ ...tx(), amount: '12.50' }] }, 'transactions[0].amount'],
    ['unknown currency', { transactions: [{ ...tx(), currency: 'XYZ' }] }, 'transactions[0].currency'],
    ['unknown category', { transactions: [tx(), { ...tx(), merchantCategory: 'casino' }] }, 'transactions[1].merchantCategory'],
    ['unknown channel', { transactions: [{ ...tx(), channel: 'telepathy' }] }, 'transactions[0].channel'],
    ['bad country', { transactions: [{ ...tx(), country: 'Germany' }] }, 'transactions[0].country'],
    ['timestamp without zone', { transactions: [{ ...tx(), timestamp: '2025-03-01T10:00:00' }] }, 'transactions[0].timestamp'],
    ['timestamp nonsense', { transactions: [{ ...tx(), timestamp: 'yesterday' }] }, 'transactions[0].timestamp'],
    ['timestamp NaN', { transactions: [{ ...tx(), timestamp: Number.NaN }] }, 'transactions[0].timestamp'],
    ['month 13', { transactions: [{ ...tx(), timestamp: '2025-13-01T09:00:00Z' }] }, 'transactions[0].timestamp'],
    ['hour 25', { transactions: [{ ...tx(), timestamp: '2025-03-01T25:00:00Z' }] }, 'transactions[0].timestamp'],
    ['30 February', { transactions: [{ ...tx(), timestamp: '2025-02-30T09:00:00Z' }] }, 'transactions[0].timestamp'],
    ['29 February of a common year', { transactions: [{ ...tx(), timestamp: '2025-02-29T09:00:00Z' }] }, 'transactions[0].timestamp'],
    ['31 April with an offset', { transactions: [{ ...tx(), timestamp: '2025-04-31T23:30:00+08:00' }] }, 'transactions[0].timestamp'],
    ['31 June with a negative offset', { transactions: [{ ...tx(), timestamp: '2025-06-31T01:00-0500' }] }, 'transactions[0].timestamp'],
    ['hour 24', { transactions: [{ ...tx(), timestamp: '2025-03-01T24:00:00Z' }] }, 'transactions[0].timestamp'],
    ['newest first', { transactions: normalInput().transactions.slice(0, 3).reverse() }, 'transactions[1].timestamp'],
    ['bad home country', { ...normalInput(), homeCountry: 'de' }, 'homeCountry'],
    ['bad offset', { ...normalInput(), utcOffsetMinutes: 1.5 }, 'utcOffsetMinutes'],
    ['bad explain', { ...normalInput(), explain: 'yes' }, 'explain'],
  ];
  it.each(cases)('%s → InvalidInputError naming %s', async (_name, input, field) => {
    const [r] = await handle([input]);
    expect(r).toBeInstanceOf(InvalidInputError);
    expect((r as InvalidInputError).field).toBe(field);
    expect(problemStatus((r as InvalidInputError).code)).toBe(400);
  });

  it('says a well-formed date that does not exist is that, not a format error', async () => {
    const [r] = await handle([{ transactions: [{ ...tx(), timestamp: '2025-02-30T09:00:00Z' }] }]);
    expect(r).toMatchObject({ field: 'transactions[0].timestamp', message: 'names a date or time that does not exist' });
  });

  it('accepts real dates that need the calendar or the zone to tell: leap days, offsets across midnight', async () => {
    const at = (timestamp: string) => ({ transactions: [{ ...tx(), timestamp }] });
    const out = await handle([at('2024-02-29T09:00:00Z'), at('2000-02-29T23:59:59.999+14:00'), at('2025-03-01T00:30:00+08:00'), at('2025-02-28T23:30-0800')]);
    for (const r of out) expect(ok(r).level).toMatch(/^(low|medium|high)$/);
  });

  it('fails only the bad item of a batch', async () => {
    const bad = { transactions: [{ ...normalInput().transactions[0]!, amount: Number.NaN }] };
    const out = await handle([fraudInput(), bad, normalInput()]);
    expect(out).toHaveLength(3);
    expect(ok(out[0]!).level).toBe('high');
    expect((out[1] as InvalidInputError).field).toBe('transactions[0].amount');
    expect(ok(out[2]!).level).toBe('low');
  });
});

describe('risk-scoring: manifest and data', () => {
  const manifest = parseManifest(parseYaml(readFileSync(`${DIR}/manifest.yaml`, 'utf8')));

  it('has a manifest the platform accepts, with batching and the shipped artifacts', () => {
    expect(manifest.ok).toBe(true);
    if (!manifest.ok) return;
    expect(manifest.manifest.batching.maxSize).toBeGreaterThan(1);
    expect(manifest.manifest.warm).toBe(true);
    for (const a of manifest.manifest.artifacts) expect(() => readFileSync(`${DIR}/${a}`)).not.toThrow();
  });

  it("input schema accepts what the generator writes and rejects what the handler rejects", () => {
    if (!manifest.ok) throw new Error('manifest');
    const validate = schemaAjv().compile(manifest.manifest.input);
    for (const s of generateSequences({ count: 300, seed: 9, fraudRate: 0.2 })) expect(validate(s.input), JSON.stringify(validate.errors)).toBe(true);
    expect(validate(fraudInput())).toBe(true);
    const tx = normalInput().transactions[0]!;
    expect(validate({ transactions: [{ ...tx, merchantCategory: 'casino' }] })).toBe(false);
    expect(validate({ transactions: [{ ...tx, timestamp: '2025-03-01T10:00:00' }] })).toBe(false);
    expect(validate({ transactions: [] })).toBe(false);
  });

  it('generates the same histories from the same seed', () => {
    const a = generateSequences({ count: 200, seed: 5 });
    const b = generateSequences({ count: 200, seed: 5 });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(JSON.stringify(generateSequences({ count: 200, seed: 6 }))).not.toBe(JSON.stringify(a));
  });
});

describe('risk-scoring: evaluation', () => {
  it('reproduces the committed held-out metrics from the committed artifacts', async () => {
    const [committed, now] = await Promise.all([readCommittedEvaluation(DIR), evaluateFolder(DIR)]);
    expect(compareEvaluations(committed, now)).toEqual([]);
    expect(now.heldOut).toEqual(committed.heldOut);
    expect(now.rocAuc).toBeGreaterThanOrEqual(0.95);
  });
});
