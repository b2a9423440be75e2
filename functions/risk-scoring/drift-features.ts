import { CARD_NOT_PRESENT, HIGH_RISK_CATEGORIES } from './reference-data.ts';
import { parsedRiskInput, type RiskInput } from './validate-input.ts';

/** The baseline file the manifest's `drift.baseline` names (written by `train`, from its validation records, and by `drift-baseline.ts`). */
export const DRIFT_BASELINE_FILE = 'artifacts/drift-baseline.json';

/**
 * What the platform watches of live requests for drift, one number per request, each something a
 * risk analyst tracks: the scored (latest) transaction's amount in USD, hours since the one
 * before it and whether it is abroad (outside the home country), and the shares of
 * card-not-present, high-risk-merchant and night transactions in the history.
 * @throws InvalidInputError for an input the model would refuse (it is not counted)
 */
export function driftFeatures(input: RiskInput): Record<string, number> {
  const req = parsedRiskInput(input);
  if (req instanceof Error) throw req;
  const txs = req.transactions;
  const last = txs.at(-1)!;
  const share = (f: (t: (typeof txs)[number]) => boolean) => txs.filter(f).length / txs.length;
  return {
    amount_usd: last.amountUsd,
    hours_since_previous: txs.length > 1 ? (last.time - txs.at(-2)!.time) / 3_600_000 : 24,
    foreign_country: last.country !== req.homeCountry ? 1 : 0,
    card_not_present_share: share((t) => CARD_NOT_PRESENT.has(t.channel)),
    high_risk_merchant_share: share((t) => HIGH_RISK_CATEGORIES.has(t.category)),
    night_share: share((t) => t.localHour < 6),
  };
}
