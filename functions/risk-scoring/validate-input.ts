import { InvalidInputError } from '../sdk/index.ts';
import { CHANNELS, MAX_AMOUNT_USD, MAX_TRANSACTIONS, MERCHANT_CATEGORIES, USD_PER_UNIT } from './reference-data.ts';

/** One transaction as a caller sends it. */
export interface TransactionInput {
  /** Amount in `currency`, greater than 0. */
  amount: number;
  /** ISO 4217 code from the supported list. */
  currency: string;
  /**
   * When it happened: ISO 8601 with `Z` or an offset (`2024-05-01T02:14:00+08:00`), or epoch ms.
   * A non-`Z` offset is taken as the local time of the transaction.
   */
  timestamp: string | number;
  merchantCategory: string;
  /** ISO 3166-1 alpha-2 country of the merchant or terminal. */
  country: string;
  channel: string;
}

/** One scoring request. */
export interface RiskInput {
  /** 1–30 transactions, oldest first, most recent last. */
  transactions: TransactionInput[];
  /** Echoed back; not used by the model. */
  accountId?: string;
  /** The cardholder's country. Default: the country of the oldest transaction. */
  homeCountry?: string;
  /** Cardholder's UTC offset, for timestamps given in UTC or epoch ms. Default 0. */
  utcOffsetMinutes?: number;
  /** `true`: always list factors; `false`: never; absent: only for medium and high scores. */
  explain?: boolean;
}

/** A validated transaction, with what the features need already worked out. */
export interface Transaction {
  amount: number;
  currency: string;
  amountUsd: number;
  /** Epoch ms. */
  time: number;
  /** Hour of day (0–23) at the transaction's local time. */
  localHour: number;
  category: string;
  country: string;
  channel: string;
}

/** A validated request. */
export interface RiskRequest {
  accountId?: string;
  homeCountry: string;
  explain?: boolean;
  transactions: Transaction[];
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
const COUNTRY = /^[A-Z]{2}$/;
const EARLIEST = Date.UTC(2000, 0, 1);
const LATEST = Date.UTC(2100, 0, 1);
const CATEGORY_SET: ReadonlySet<string> = new Set(MERCHANT_CATEGORIES);
const CHANNEL_SET: ReadonlySet<string> = new Set(CHANNELS);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Minutes east of UTC written in an ISO offset (`+08:00` → 480); undefined for `Z`. */
function offsetMinutes(zone: string): number | undefined {
  if (zone === 'Z') return undefined;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)));
}

/**
 * Whether the local date and time written in an ISO timestamp exist: V8's `Date.parse` refuses
 * month 13 and hour 25 but rolls `2025-02-30` over to 2 March and `T24:00` to the next day, so the
 * parsed instant, moved to the written zone, must read back as the same date, hour and minute.
 */
function writtenTimeExists(timestamp: string, time: number, zoneMinutes: number): boolean {
  return new Date(time + zoneMinutes * 60_000).toISOString().slice(0, 16) === timestamp.slice(0, 16);
}

/** Inputs parsed in this process, by object: the handler parses each, and `features` reads the same object after its batch. */
const parsedInputs = new WeakMap<object, RiskRequest | InvalidInputError>();

/** {@link parseRiskInput}, once per input object (the drift features reuse the handler's parse). */
export function parsedRiskInput(raw: unknown): RiskRequest | InvalidInputError {
  if (!isObject(raw)) return parseRiskInput(raw);
  let p = parsedInputs.get(raw);
  if (!p) parsedInputs.set(raw, (p = parseRiskInput(raw)));
  return p;
}

/**
 * Checks one input item the way the manifest schema does, plus what a schema cannot say
 * (NaN/Infinity from in-process callers, real calendar dates, time order, amount ceiling after
 * conversion). Returns the error for the first bad field rather than throwing, so one bad item
 * fails alone in a batch.
 */
export function parseRiskInput(raw: unknown): RiskRequest | InvalidInputError {
  if (!isObject(raw)) return new InvalidInputError('input', 'must be an object with a `transactions` list');
  const list = raw.transactions;
  if (!Array.isArray(list)) return new InvalidInputError('transactions', 'is required and must be a list of transactions');
  if (list.length === 0) return new InvalidInputError('transactions', 'must hold at least one transaction');
  if (list.length > MAX_TRANSACTIONS) {
    return new InvalidInputError('transactions', `holds ${list.length} transactions; send at most the ${MAX_TRANSACTIONS} most recent`);
  }
  if (raw.accountId !== undefined && (typeof raw.accountId !== 'string' || raw.accountId.length > 128)) {
    return new InvalidInputError('accountId', 'must be a string of at most 128 characters');
  }
  if (raw.homeCountry !== undefined && (typeof raw.homeCountry !== 'string' || !COUNTRY.test(raw.homeCountry))) {
    return new InvalidInputError('homeCountry', 'must be an ISO 3166-1 alpha-2 code such as "DE"');
  }
  const tz = raw.utcOffsetMinutes;
  if (tz !== undefined && (typeof tz !== 'number' || !Number.isInteger(tz) || tz < -840 || tz > 840)) {
    return new InvalidInputError('utcOffsetMinutes', 'must be a whole number of minutes from -840 to 840');
  }
  if (raw.explain !== undefined && typeof raw.explain !== 'boolean') return new InvalidInputError('explain', 'must be true or false');

  const transactions: Transaction[] = [];
  for (let i = 0; i < list.length; i++) {
    const t = parseTransaction(list[i], `transactions[${i}]`, (tz as number | undefined) ?? 0);
    if (t instanceof InvalidInputError) return t;
    const prev = transactions[i - 1];
    if (prev && t.time < prev.time) {
      return new InvalidInputError(`transactions[${i}].timestamp`, `is earlier than transactions[${i - 1}]; list transactions oldest first`);
    }
    transactions.push(t);
  }
  const req: RiskRequest = { homeCountry: (raw.homeCountry as string | undefined) ?? transactions[0]!.country, transactions };
  if (raw.accountId !== undefined) req.accountId = raw.accountId as string;
  if (raw.explain !== undefined) req.explain = raw.explain;
  return req;
}

function parseTransaction(raw: unknown, at: string, defaultOffset: number): Transaction | InvalidInputError {
  if (!isObject(raw)) return new InvalidInputError(at, 'must be an object');
  const { amount, currency, timestamp, merchantCategory, country, channel } = raw;
  if (typeof amount !== 'number' || !Number.isFinite(amount)) return new InvalidInputError(`${at}.amount`, 'must be a finite number');
  if (amount <= 0) return new InvalidInputError(`${at}.amount`, 'must be greater than 0 (send refunds and reversals separately)');
  if (typeof currency !== 'string' || USD_PER_UNIT[currency] === undefined) {
    return new InvalidInputError(`${at}.currency`, `must be one of ${Object.keys(USD_PER_UNIT).join(', ')}`);
  }
  const amountUsd = amount * USD_PER_UNIT[currency]!;
  if (amountUsd > MAX_AMOUNT_USD) return new InvalidInputError(`${at}.amount`, `is above the ${MAX_AMOUNT_USD.toLocaleString('en-US')} USD ceiling`);

  let time: number;
  let offset = defaultOffset;
  if (typeof timestamp === 'number') {
    if (!Number.isFinite(timestamp)) return new InvalidInputError(`${at}.timestamp`, 'must be a finite number of epoch milliseconds');
    time = timestamp;
  } else if (typeof timestamp === 'string') {
    const m = ISO_TIME.exec(timestamp);
    time = m ? Date.parse(timestamp) : Number.NaN;
    if (!m || Number.isNaN(time)) {
      return new InvalidInputError(`${at}.timestamp`, 'must be ISO 8601 with a zone, e.g. 2024-05-01T14:03:00Z or 2024-05-01T22:03:00+08:00');
    }
    if (!writtenTimeExists(timestamp, time, offsetMinutes(m[1]!) ?? 0)) return new InvalidInputError(`${at}.timestamp`, 'names a date or time that does not exist');
    offset = offsetMinutes(m[1]!) ?? defaultOffset;
  } else {
    return new InvalidInputError(`${at}.timestamp`, 'must be an ISO 8601 string or epoch milliseconds');
  }
  if (time < EARLIEST || time >= LATEST) return new InvalidInputError(`${at}.timestamp`, 'must fall between the years 2000 and 2099');

  if (typeof merchantCategory !== 'string' || !CATEGORY_SET.has(merchantCategory)) {
    return new InvalidInputError(`${at}.merchantCategory`, `must be one of ${MERCHANT_CATEGORIES.join(', ')} (use "other" for anything else)`);
  }
  if (typeof country !== 'string' || !COUNTRY.test(country)) {
    return new InvalidInputError(`${at}.country`, 'must be an ISO 3166-1 alpha-2 code such as "DE"');
  }
  if (typeof channel !== 'string' || !CHANNEL_SET.has(channel)) {
    return new InvalidInputError(`${at}.channel`, `must be one of ${CHANNELS.join(', ')}`);
  }
  const localHour = new Date(time + offset * 60_000).getUTCHours();
  return { amount, currency, amountUsd, time, localHour, category: merchantCategory, country, channel };
}
