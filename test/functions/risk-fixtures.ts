/**
 * Hand-written transaction histories for the risk-scoring tests and benchmark. They follow the
 * documented patterns, not the generator's code, so a test on them checks the model learned
 * what the README promises.
 */
import type { RiskInput, TransactionInput } from '../../functions/risk-scoring/validate-input.ts';

const DAY = 86_400_000;
const MINUTE = 60_000;

/** A Berlin cardholder's ordinary month: groceries, cafés, fuel, a pharmacy, card present, daytime. */
export function ordinaryHistory(count = 20, start = Date.UTC(2025, 2, 1, 9, 0)): TransactionInput[] {
  const pattern: [string, number, string][] = [
    ['grocery', 62.4, 'contactless'],
    ['restaurant', 18.9, 'contactless'],
    ['fuel', 55.0, 'pos'],
    ['grocery', 41.15, 'pos'],
    ['pharmacy', 12.3, 'contactless'],
    ['restaurant', 27.5, 'contactless'],
    ['transport', 9.8, 'online'],
    ['grocery', 73.0, 'contactless'],
  ];
  return Array.from({ length: count }, (_, i) => {
    const [merchantCategory, amount, channel] = pattern[i % pattern.length]!;
    // One payment every ~1.5 days, between 09:00 and 19:00 UTC (10:00–20:00 in Berlin).
    const t = start + i * 1.5 * DAY + ((i * 97) % 600) * MINUTE;
    return { amount, currency: 'EUR', timestamp: new Date(t).toISOString(), merchantCategory, country: 'DE', channel };
  });
}

/** An ordinary history for `DE`. */
export function normalInput(): RiskInput {
  return { accountId: 'acct-normal', homeCountry: 'DE', utcOffsetMinutes: 60, transactions: ordinaryHistory(20) };
}

/**
 * The same cardholder, then a card-testing and cash-out run: two charges under 2 EUR online a few
 * minutes apart, then a burst of large online electronics and gift-card purchases at 03:00 local
 * time in a country the card never used.
 */
export function fraudInput(): RiskInput {
  const history = ordinaryHistory(18);
  let t = Date.parse(history[history.length - 1]!.timestamp as string) + 2 * DAY;
  t = t - (t % DAY) + 2 * 3_600_000; // 02:00 UTC = 03:00 in Berlin
  const tail: TransactionInput[] = [
    { amount: 1.2, currency: 'EUR', merchantCategory: 'digital_goods', country: 'RO', channel: 'online', timestamp: '' },
    { amount: 0.99, currency: 'EUR', merchantCategory: 'gift_cards', country: 'RO', channel: 'online', timestamp: '' },
    { amount: 1299, currency: 'EUR', merchantCategory: 'electronics', country: 'RO', channel: 'online', timestamp: '' },
    { amount: 950, currency: 'EUR', merchantCategory: 'gift_cards', country: 'RO', channel: 'online', timestamp: '' },
    { amount: 1840, currency: 'EUR', merchantCategory: 'jewelry', country: 'RO', channel: 'online', timestamp: '' },
  ].map((tx, i) => ({ ...tx, timestamp: new Date(t + i * 6 * MINUTE).toISOString() }));
  return { accountId: 'acct-fraud', homeCountry: 'DE', utcOffsetMinutes: 60, transactions: [...history, ...tail] };
}
