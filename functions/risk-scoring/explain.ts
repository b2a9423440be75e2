import { F, NUM_FEATURES, type NormStats, type RawSequence } from './features.ts';
import { CARD_NOT_PRESENT, HIGH_RISK_CATEGORIES } from './reference-data.ts';
import type { RiskRequest, Transaction } from './validate-input.ts';

/** A reason behind a score, in words an analyst uses. */
export interface RiskFactor {
  code: string;
  description: string;
  /**
   * This factor's share of the evidence, 0–1: the drop in the score's log-odds when the factor
   * is made ordinary (occlusion), divided by the sum of those drops over all factors. Log-odds,
   * not the score itself, so factors still count when several of them each push it near 1.
   */
  contribution: number;
  /** What in this history shows the factor. */
  evidence: string;
}

interface FactorDef {
  code: string;
  description: string;
  /** Returns a copy of `seq` with this factor made ordinary. */
  neutralise(seq: RawSequence, norm: NormStats): RawSequence;
  evidence(txs: readonly Transaction[], req: RiskRequest): string;
}

/** Factors with a smaller share than this are not worth an analyst's attention. */
export const MIN_CONTRIBUTION = 0.05;
/** Nor are log-odds drops below this (≈ a 10% change in the odds). */
const MIN_LOGIT_DROP = 0.1;
/** At most this many factors are reported, largest first. */
export const MAX_FACTORS = 3;

const money = (n: number, currency: string) => `${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} ${currency}`;
/** A count and its noun, plural unless the count is 1 (`1 payment`, `5 payments`). */
export const plural = (n: number, one: string, many = one + 's') => `${n} ${n === 1 ? one : many}`;
const label = (category: string) => category.replace(/_/g, ' ');

function setFeatures(seq: RawSequence, value: (step: number, f: number, old: number) => number, features: readonly number[]): RawSequence {
  const values = seq.values.slice();
  for (let i = 0; i < seq.steps; i++) for (const f of features) values[i * NUM_FEATURES + f] = value(i, f, values[i * NUM_FEATURES + f]!);
  return { steps: seq.steps, values };
}

function medianOf(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

/** Longest run of payments each under an hour after the previous one. */
function fastestRun(txs: readonly Transaction[]): { count: number; minutes: number } {
  let best = { count: 1, minutes: 0 };
  let start = 0;
  for (let i = 1; i <= txs.length; i++) {
    if (i < txs.length && txs[i]!.time - txs[i - 1]!.time < 3_600_000) continue;
    const count = i - start;
    if (count > best.count) best = { count, minutes: Math.round((txs[i - 1]!.time - txs[start]!.time) / 60_000) };
    start = i;
  }
  return best;
}

/**
 * The factors, each tied to the features it neutralises. Amounts are made ordinary for this
 * account (its own median), gaps ordinary for the population (training mean), flags switched off.
 */
export const FACTORS: readonly FactorDef[] = [
  {
    code: 'unusual_amounts',
    description: "Amounts far out of line with the account's usual spend",
    neutralise(seq) {
      const logs = Array.from({ length: seq.steps }, (_, i) => seq.values[i * NUM_FEATURES + F.log_amount_usd]!);
      const usual = medianOf(logs);
      return setFeatures(seq, (_i, f) => (f === F.log_amount_usd ? usual : 0), [F.log_amount_usd, F.amount_vs_usual]);
    },
    evidence(txs) {
      const usual = medianOf(txs.map((t) => t.amountUsd));
      const top = txs.reduce((a, b) => (b.amountUsd > a.amountUsd ? b : a));
      const idx = txs.indexOf(top);
      const tests = txs.slice(0, idx).filter((t) => t.amountUsd < 3 && top.time - t.time < 3 * 3_600_000).length;
      const ratio = top.amountUsd / Math.max(usual, 0.01);
      return (
        `largest payment ${money(top.amount, top.currency)} is ${ratio >= 10 ? Math.round(ratio) : ratio.toFixed(1)}× this account's median payment` +
        (tests > 0 ? `, after ${plural(tests, 'small test charge')} (under 3 USD) shortly before` : '')
      );
    },
  },
  {
    code: 'rapid_succession',
    description: 'Many payments in quick succession',
    neutralise: (seq, norm) => setFeatures(seq, (i, _f, old) => (i === 0 ? old : norm.mean[F.log_gap_hours]!), [F.log_gap_hours]),
    evidence(txs) {
      const run = fastestRun(txs);
      return `${plural(run.count, 'payment')} within ${plural(run.minutes, 'minute')}`;
    },
  },
  {
    code: 'night_activity',
    description: 'Activity in the middle of the night (00:00–05:59 local time)',
    neutralise: (seq) => setFeatures(seq, () => 0, [F.night]),
    evidence: (txs) => `${plural(txs.filter((t) => t.localHour < 6).length, 'payment')} between 00:00 and 05:59 local time`,
  },
  {
    code: 'card_not_present',
    description: 'Card-not-present payments (online, mail or phone order)',
    neutralise: (seq) => setFeatures(seq, () => 0, [F.card_not_present]),
    evidence: (txs) => `${txs.filter((t) => CARD_NOT_PRESENT.has(t.channel)).length} of ${txs.length} payments made without the card present`,
  },
  {
    code: 'new_country',
    description: 'Payments from a country this account has not used before',
    neutralise: (seq) => setFeatures(seq, () => 0, [F.foreign, F.new_country]),
    evidence(txs, req) {
      const foreign = [...new Set(txs.filter((t) => t.country !== req.homeCountry).map((t) => t.country))];
      return `payments in ${foreign.join(', ') || 'no other country'} (home country ${req.homeCountry})`;
    },
  },
  {
    code: 'new_merchant_type',
    description: 'Merchant types new to this account',
    neutralise: (seq) => setFeatures(seq, () => 0, [F.new_category]),
    evidence(txs) {
      const seen = new Set<string>();
      const fresh: string[] = [];
      txs.forEach((t, i) => {
        if (i > 0 && !seen.has(t.category) && txs.length - i <= 8) fresh.push(label(t.category));
        seen.add(t.category);
      });
      return fresh.length > 0 ? `first-time categories among recent payments: ${[...new Set(fresh)].join(', ')}` : 'categories changed across the history';
    },
  },
  {
    code: 'high_risk_merchants',
    description: 'Merchants whose goods resell easily or move money on (electronics, jewelry, gift cards, money transfer, crypto)',
    neutralise: (seq) => setFeatures(seq, () => 0, [F.high_risk_category]),
    evidence(txs) {
      const risky = txs.filter((t) => HIGH_RISK_CATEGORIES.has(t.category));
      return `${plural(risky.length, 'payment')} in ${[...new Set(risky.map((t) => label(t.category)))].join(', ') || 'high-risk categories'}`;
    },
  },
];

const logit = (p: number) => {
  const q = Math.min(Math.max(p, 1e-6), 1 - 1e-6);
  return Math.log(q / (1 - q));
};

/** Turns occlusion scores into the reported factors: largest share first, small ones dropped. */
export function rankFactors(base: number, occluded: ArrayLike<number>, req: RiskRequest): RiskFactor[] {
  const drops = FACTORS.map((_, k) => Math.max(0, logit(base) - logit(occluded[k]!)));
  const total = drops.reduce((a, b) => a + b, 0);
  if (total === 0) return [];
  return FACTORS.map((def, k) => ({ def, drop: drops[k]!, share: drops[k]! / total }))
    .filter((x) => x.drop >= MIN_LOGIT_DROP && x.share >= MIN_CONTRIBUTION)
    .sort((a, b) => b.share - a.share)
    .slice(0, MAX_FACTORS)
    .map(({ def, share }) => ({
      code: def.code,
      description: def.description,
      contribution: Math.round(share * 1000) / 1000,
      evidence: def.evidence(req.transactions, req),
    }));
}
