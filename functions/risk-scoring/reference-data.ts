/**
 * The fixed vocabularies the risk model was trained with. Changing any of them changes what the
 * features mean, so it needs a retrain (and the manifest's input schema must follow).
 */

/**
 * Reference rates (USD per unit, 2024 averages) used only to put amounts on one scale. They are
 * deliberately static: a score must not move because an exchange rate did.
 */
export const USD_PER_UNIT: Readonly<Record<string, number>> = {
  USD: 1,
  EUR: 1.08,
  GBP: 1.27,
  CHF: 1.13,
  CNY: 0.139,
  HKD: 0.128,
  JPY: 0.0066,
  KRW: 0.00074,
  SGD: 0.74,
  THB: 0.028,
  INR: 0.012,
  AED: 0.272,
  AUD: 0.66,
  CAD: 0.73,
  BRL: 0.19,
  MXN: 0.055,
};

export const CURRENCIES = Object.keys(USD_PER_UNIT);

/** Merchant categories (a coarse grouping of card-scheme MCCs). Anything else is sent as `other`. */
export const MERCHANT_CATEGORIES = [
  'grocery',
  'restaurant',
  'fuel',
  'transport',
  'travel',
  'lodging',
  'apparel',
  'electronics',
  'jewelry',
  'gift_cards',
  'digital_goods',
  'gaming',
  'money_transfer',
  'crypto',
  'utilities',
  'pharmacy',
  'entertainment',
  'cash',
  'other',
] as const;
export type MerchantCategory = (typeof MERCHANT_CATEGORIES)[number];

/**
 * Categories where stolen credentials are cashed out most easily: goods that resell well or
 * value that moves on at once.
 */
export const HIGH_RISK_CATEGORIES: ReadonlySet<string> = new Set(['electronics', 'jewelry', 'gift_cards', 'money_transfer', 'crypto']);

/** How the card was used. `online` and `moto` (mail/telephone order) are card-not-present. */
export const CHANNELS = ['pos', 'contactless', 'online', 'moto', 'atm'] as const;
export type Channel = (typeof CHANNELS)[number];
export const CARD_NOT_PRESENT: ReadonlySet<string> = new Set(['online', 'moto']);

/** Longest history the model reads; older transactions should be left out by the caller. */
export const MAX_TRANSACTIONS = 30;

/** Largest single amount accepted, in USD after conversion. Above this, the input is an error, not a score. */
export const MAX_AMOUNT_USD = 10_000_000;
