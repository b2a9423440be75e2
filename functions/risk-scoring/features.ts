import { CARD_NOT_PRESENT, HIGH_RISK_CATEGORIES, MAX_TRANSACTIONS } from './reference-data.ts';
import type { RiskRequest } from './validate-input.ts';

/**
 * Per-transaction features, in model input order. Each is something a risk analyst would name;
 * the model learns which combinations over time mean fraud.
 *
 * | # | feature            | meaning                                                                   |
 * |---|--------------------|---------------------------------------------------------------------------|
 * | 0 | log_amount_usd     | ln(1 + amount in USD)                                                     |
 * | 1 | amount_vs_usual    | log_amount_usd minus the median of the earlier ones (0 for the first)     |
 * | 2 | log_gap_hours      | ln(1 + hours since the previous transaction); 24 h assumed for the first |
 * | 3 | night              | 1 if the local hour is 00–05                                              |
 * | 4 | card_not_present   | 1 for `online` and `moto`                                                 |
 * | 5 | foreign            | 1 if the country is not the home country                                  |
 * | 6 | new_country        | 1 if foreign and not seen earlier in the sequence                         |
 * | 7 | new_category       | 1 if the merchant category was not seen earlier (0 for the first)        |
 * | 8 | high_risk_category | 1 for electronics, jewelry, gift cards, money transfer, crypto            |
 * | 9 | present            | 1 for a real transaction, 0 for left padding                              |
 *
 * Features 0–2 are standardised with the training set's mean and standard deviation (saved with
 * the model); the flags are left as 0/1. Sequences are left-padded with zeros to 30 steps, always,
 * so a score never depends on which other requests shared its batch.
 */
export const FEATURES = [
  'log_amount_usd',
  'amount_vs_usual',
  'log_gap_hours',
  'night',
  'card_not_present',
  'foreign',
  'new_country',
  'new_category',
  'high_risk_category',
  'present',
] as const;
export const NUM_FEATURES = FEATURES.length;
export const F = Object.fromEntries(FEATURES.map((f, i) => [f, i])) as Record<(typeof FEATURES)[number], number>;
/** Indices of the standardised features. */
export const CONTINUOUS = [F.log_amount_usd, F.amount_vs_usual, F.log_gap_hours] as const;
export const FIRST_GAP_HOURS = 24;
/** Values per sequence in the model input. */
export const SEQUENCE_SIZE = MAX_TRANSACTIONS * NUM_FEATURES;

/** Standardisation statistics for every feature (identity for the flags). */
export interface NormStats {
  mean: number[];
  std: number[];
}

/** Raw (unstandardised) features of one request: `steps × NUM_FEATURES`, oldest first. */
export interface RawSequence {
  steps: number;
  values: Float32Array;
}

function median(sorted: number[]): number {
  const n = sorted.length;
  return n % 2 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
}

/** Works out the raw features of a validated request. */
export function rawFeatures(req: RiskRequest): RawSequence {
  const txs = req.transactions;
  const values = new Float32Array(txs.length * NUM_FEATURES);
  const seenCountries = new Set<string>();
  const seenCategories = new Set<string>();
  const earlier: number[] = [];
  for (let i = 0; i < txs.length; i++) {
    const t = txs[i]!;
    const row = values.subarray(i * NUM_FEATURES, (i + 1) * NUM_FEATURES);
    const logAmount = Math.log1p(t.amountUsd);
    const gapHours = i === 0 ? FIRST_GAP_HOURS : (t.time - txs[i - 1]!.time) / 3_600_000;
    const foreign = t.country !== req.homeCountry;
    row[F.log_amount_usd] = logAmount;
    row[F.amount_vs_usual] = earlier.length === 0 ? 0 : logAmount - median(earlier);
    row[F.log_gap_hours] = Math.log1p(gapHours);
    row[F.night] = t.localHour < 6 ? 1 : 0;
    row[F.card_not_present] = CARD_NOT_PRESENT.has(t.channel) ? 1 : 0;
    row[F.foreign] = foreign ? 1 : 0;
    row[F.new_country] = foreign && !seenCountries.has(t.country) ? 1 : 0;
    row[F.new_category] = i > 0 && !seenCategories.has(t.category) ? 1 : 0;
    row[F.high_risk_category] = HIGH_RISK_CATEGORIES.has(t.category) ? 1 : 0;
    row[F.present] = 1;
    seenCountries.add(t.country);
    seenCategories.add(t.category);
    // Keep `earlier` sorted so the median is a lookup.
    const at = earlier.findIndex((v) => v > logAmount);
    earlier.splice(at === -1 ? earlier.length : at, 0, logAmount);
  }
  return { steps: txs.length, values };
}

/** Mean and standard deviation of the continuous features over every real step. */
export function computeNormStats(seqs: readonly RawSequence[]): NormStats {
  const mean = new Array<number>(NUM_FEATURES).fill(0);
  const std = new Array<number>(NUM_FEATURES).fill(1);
  for (const f of CONTINUOUS) {
    let n = 0;
    let sum = 0;
    let sq = 0;
    for (const s of seqs) {
      for (let i = 0; i < s.steps; i++) {
        const v = s.values[i * NUM_FEATURES + f]!;
        n++;
        sum += v;
        sq += v * v;
      }
    }
    const m = sum / n;
    mean[f] = m;
    std[f] = Math.sqrt(Math.max(sq / n - m * m, 1e-12));
  }
  return { mean, std };
}

/**
 * Writes one sequence, standardised and left-padded to {@link MAX_TRANSACTIONS} steps, into
 * `out` at `offset` (a slot of {@link SEQUENCE_SIZE} values). Padding stays all-zero.
 */
export function writeModelInput(seq: RawSequence, stats: NormStats, out: Float32Array, offset: number): void {
  const pad = MAX_TRANSACTIONS - seq.steps;
  out.fill(0, offset, offset + pad * NUM_FEATURES);
  for (let i = 0; i < seq.steps; i++) {
    const src = i * NUM_FEATURES;
    const dst = offset + (pad + i) * NUM_FEATURES;
    for (let f = 0; f < NUM_FEATURES; f++) out[dst + f] = (seq.values[src + f]! - stats.mean[f]!) / stats.std[f]!;
  }
}
