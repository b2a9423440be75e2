/**
 * Seeded synthetic transaction histories with documented fraud patterns. The same seed always
 * gives the same histories, so the training set, the validation set (threshold choice) and the
 * held-out set (evaluation) can be rebuilt anywhere from their seeds.
 *
 * Genuine behaviour varies by account: home country and currency (17, weighted), usual spend
 * (12–150 USD, log-uniform) and spread, activity (0.4–4 payments a day), online share (5–70%),
 * night activity (15% of accounts are night owls), 4–7 favourite merchant categories, shopping
 * sessions with payments minutes apart. Some genuine histories carry the look of fraud on
 * purpose, often in their most recent transactions, so the model has to learn combinations:
 * trips abroad (15%: new country, cash, some electronics or jewellery), sale-day sprees (5%:
 * 2–5 online orders at 1.5–6× the usual amount within the hour), night owls' runs of game and
 * app purchases after midnight, one-off big purchases (7%), and $1 card checks before a ride or
 * hotel charge (3%).
 *
 * Fraud (2% of histories by default, a typical share in a labelled review queue) is written over
 * the most recent 2–8 transactions, in one of these patterns:
 * - `amount_burst` (24%): 2–6 payments minutes apart at 4–25× the usual amount (a third of cases
 *   only 1.5–4×), in resellable goods, mostly online.
 * - `new_country_new_merchant` (24%): 2–5 payments in a country the account never used, in
 *   categories it never used, 1–10× the usual amount; a third shop like tourists.
 * - `night_cnp_run` (24%): 2–8 card-not-present payments starting between 00:00 and 04:00 local
 *   time, minutes apart, in digital goods, games, gift cards or crypto.
 * - `test_then_large` (24%): 1–3 charges under $3 minutes apart, then one charge 3–40× the usual.
 * - `friendly_fraud` (4%): the cardholder disputes ordinary-looking purchases. Nothing in the
 *   stream shows it; it is there because real labels contain it, and it caps recall.
 *
 * Run it to write a labelled dataset in the format `train` reads (`{"input": …, "label": 0|1}`
 * a line), e.g. for `autoglm train risk-scoring --data @data.jsonl`:
 *
 *   npx tsx functions/risk-scoring/generate-data.ts --out data.jsonl --count 20000 --seed 7 [--fraud-rate 0.02]
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Rng } from '../sdk/index.ts';
import { MAX_TRANSACTIONS, USD_PER_UNIT, type MerchantCategory } from './reference-data.ts';
import type { RiskInput, TransactionInput } from './validate-input.ts';

export const FRAUD_PATTERNS = ['amount_burst', 'new_country_new_merchant', 'night_cnp_run', 'test_then_large', 'friendly_fraud'] as const;
/** How often each pattern occurs among fraudulent histories. */
const PATTERN_MIX: readonly (readonly [FraudPattern, number])[] = [
  ['amount_burst', 0.24],
  ['new_country_new_merchant', 0.24],
  ['night_cnp_run', 0.24],
  ['test_then_large', 0.24],
  ['friendly_fraud', 0.04],
];
export type FraudPattern = (typeof FRAUD_PATTERNS)[number];

/** One generated history and its label. */
export interface LabelledSequence {
  input: RiskInput;
  /** 1 when the most recent transactions are fraud. */
  label: 0 | 1;
  pattern: FraudPattern | null;
}

export interface GenerateOptions {
  count: number;
  seed: number;
  /** Share of fraudulent histories. Default 0.02. */
  fraudRate?: number;
}

interface Place {
  country: string;
  currency: string;
  /** Minutes east of UTC. */
  offset: number;
}

const HOMES: readonly (readonly [Place, number])[] = [
  [{ country: 'US', currency: 'USD', offset: -300 }, 14],
  [{ country: 'CN', currency: 'CNY', offset: 480 }, 14],
  [{ country: 'GB', currency: 'GBP', offset: 0 }, 7],
  [{ country: 'DE', currency: 'EUR', offset: 60 }, 7],
  [{ country: 'FR', currency: 'EUR', offset: 60 }, 5],
  [{ country: 'JP', currency: 'JPY', offset: 540 }, 6],
  [{ country: 'KR', currency: 'KRW', offset: 540 }, 4],
  [{ country: 'SG', currency: 'SGD', offset: 480 }, 3],
  [{ country: 'HK', currency: 'HKD', offset: 480 }, 3],
  [{ country: 'IN', currency: 'INR', offset: 330 }, 6],
  [{ country: 'BR', currency: 'BRL', offset: -180 }, 4],
  [{ country: 'MX', currency: 'MXN', offset: -360 }, 3],
  [{ country: 'CA', currency: 'CAD', offset: -300 }, 4],
  [{ country: 'AU', currency: 'AUD', offset: 600 }, 3],
  [{ country: 'CH', currency: 'CHF', offset: 60 }, 2],
  [{ country: 'AE', currency: 'AED', offset: 240 }, 2],
  [{ country: 'TH', currency: 'THB', offset: 420 }, 2],
];
/** Places genuine travellers go. */
const DESTINATIONS: readonly Place[] = HOMES.map(([p]) => p).concat([
  { country: 'IT', currency: 'EUR', offset: 60 },
  { country: 'ES', currency: 'EUR', offset: 60 },
  { country: 'NL', currency: 'EUR', offset: 60 },
]);
/** Places where stolen cards are used; includes the travel destinations and a few more. */
const FRAUD_PLACES: readonly Place[] = DESTINATIONS.concat([
  { country: 'NG', currency: 'USD', offset: 60 },
  { country: 'RU', currency: 'USD', offset: 180 },
  { country: 'RO', currency: 'EUR', offset: 120 },
  { country: 'VN', currency: 'USD', offset: 420 },
  { country: 'ID', currency: 'USD', offset: 420 },
  { country: 'TR', currency: 'USD', offset: 180 },
]);

/** Typical amount of a category relative to the account's usual spend. */
const AMOUNT_SCALE: Readonly<Record<MerchantCategory, number>> = {
  grocery: 1,
  restaurant: 0.7,
  fuel: 0.9,
  transport: 0.4,
  travel: 5,
  lodging: 4,
  apparel: 1.5,
  electronics: 3,
  jewelry: 4,
  gift_cards: 1,
  digital_goods: 0.3,
  gaming: 0.4,
  money_transfer: 3,
  crypto: 3,
  utilities: 1.5,
  pharmacy: 0.6,
  entertainment: 0.8,
  cash: 1.5,
  other: 1,
};
/** How common each category is in genuine spending. */
const GENUINE_MIX: readonly (readonly [MerchantCategory, number])[] = [
  ['grocery', 10],
  ['restaurant', 8],
  ['fuel', 5],
  ['transport', 5],
  ['apparel', 4],
  ['utilities', 3],
  ['pharmacy', 3],
  ['entertainment', 4],
  ['digital_goods', 4],
  ['electronics', 1.5],
  ['travel', 1],
  ['lodging', 0.8],
  ['gaming', 1.5],
  ['cash', 2],
  ['other', 3],
  ['gift_cards', 0.5],
  ['money_transfer', 0.7],
  ['jewelry', 0.3],
  ['crypto', 0.3],
];
const ONLINE_ONLY: ReadonlySet<MerchantCategory> = new Set(['digital_goods', 'gaming', 'crypto']);

interface Account {
  home: Place;
  /** Usual spend in USD and its log-spread. */
  usual: number;
  spread: number;
  perDay: number;
  onlineShare: number;
  nightShare: number;
  favourites: (readonly [MerchantCategory, number])[];
}

/** A transaction before it is written in the API's shape. */
interface Tx {
  time: number;
  usd: number;
  category: MerchantCategory;
  place: Place;
  channel: TransactionInput['channel'];
}

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const START = Date.UTC(2024, 0, 1);
const SPAN = Date.UTC(2025, 5, 1) - START;

function makeAccount(rng: Rng): Account {
  const favourites: (readonly [MerchantCategory, number])[] = [];
  const pool = [...GENUINE_MIX];
  const n = rng.int(4, 7);
  while (favourites.length < n) {
    const c = rng.weighted(pool.map((e) => [e, e[1]] as const));
    favourites.push([c[0], rng.uniform(0.5, 3) * c[1]]);
    pool.splice(pool.indexOf(c), 1);
  }
  return {
    home: rng.weighted(HOMES),
    usual: rng.logUniform(12, 150),
    spread: rng.uniform(0.35, 0.9),
    perDay: rng.logUniform(0.4, 4),
    onlineShare: rng.uniform(0.05, 0.7),
    nightShare: rng.chance(0.15) ? rng.uniform(0.1, 0.3) : rng.uniform(0.005, 0.04),
    favourites,
  };
}

/** Moves `time` to `hour` (local) on the same local day, or the next day if that is not after `after`. */
function atLocalHour(time: number, place: Place, hour: number, after: number): number {
  const dayStart = time - (((time + place.offset * MINUTE) % DAY) + DAY) % DAY;
  let t = dayStart + hour * HOUR;
  while (t <= after) t += DAY;
  return t;
}

function genuineChannel(rng: Rng, acct: Account, category: MerchantCategory): Tx['channel'] {
  if (category === 'cash') return 'atm';
  if (ONLINE_ONLY.has(category)) return 'online';
  if (rng.chance(acct.onlineShare)) return rng.chance(0.97) ? 'online' : 'moto';
  return rng.chance(0.5) ? 'pos' : 'contactless';
}

function genuineTx(rng: Rng, acct: Account, prev: number, place: Place, category?: MerchantCategory): Tx {
  const cat = category ?? (rng.chance(0.88) ? rng.weighted(acct.favourites) : rng.weighted(GENUINE_MIX));
  let time: number;
  if (rng.chance(0.12)) {
    // A shopping session: a few payments minutes apart.
    time = prev + rng.uniform(2, 40) * MINUTE;
  } else {
    time = prev + rng.exponential(DAY / acct.perDay) + MINUTE;
    const hour = rng.chance(acct.nightShare) ? rng.uniform(0, 6) : Math.min(23.9, 7 + Math.abs(rng.normal()) * 5.5 + rng.uniform(0, 4));
    time = atLocalHour(time, place, hour, prev);
  }
  const usd = Math.max(0.5, acct.usual * AMOUNT_SCALE[cat] * Math.exp(acct.spread * rng.normal()));
  return { time, usd, category: cat, place, channel: genuineChannel(rng, acct, cat) };
}

type Episode = { kind: 'trip' | 'spree' | 'night_run'; from: number; to: number; place: Place };

/** Picks at most one look-alike episode for a genuine history of `n` transactions. */
function pickEpisode(rng: Rng, acct: Account, n: number): Episode | undefined {
  if (n < 6) return undefined;
  const r = rng.next();
  const nightOwl = acct.nightShare >= 0.1;
  const kind = r < 0.15 ? 'trip' : r < 0.2 ? 'spree' : nightOwl && r < 0.5 ? 'night_run' : undefined;
  if (!kind) return undefined;
  const len = kind === 'trip' ? rng.int(3, Math.min(8, n - 2)) : rng.int(2, Math.min(5, n - 2));
  // Often at the end: these are the histories a naive rule would flag right now.
  const from = rng.chance(0.4) ? n - len : rng.int(1, n - len);
  const place = kind === 'trip' ? rng.pick(DESTINATIONS.filter((p) => p.country !== acct.home.country)) : acct.home;
  return { kind, from, to: from + len, place };
}

function episodeTx(rng: Rng, acct: Account, ep: Episode, i: number, prev: number): Tx {
  switch (ep.kind) {
    case 'trip': {
      const cat = rng.weighted<MerchantCategory>([['lodging', 2], ['restaurant', 4], ['transport', 3], ['travel', 1], ['cash', 1.5], ['other', 2], ['apparel', 1], ['electronics', 0.6], ['jewelry', 0.4]]);
      const tx = genuineTx(rng, acct, prev, ep.place, cat);
      tx.channel = cat === 'cash' ? 'atm' : rng.chance(0.15) ? 'online' : rng.chance(0.5) ? 'pos' : 'contactless';
      if (i > ep.from && !rng.chance(0.2)) tx.time = prev + rng.uniform(1, 12) * HOUR;
      return tx;
    }
    case 'spree': {
      // Sale day: several bigger online orders within the hour.
      const cat = rng.pick<MerchantCategory>(['electronics', 'apparel', 'apparel', 'gift_cards', 'other']);
      const tx = genuineTx(rng, acct, prev, acct.home, cat);
      tx.usd = acct.usual * rng.uniform(1.5, 6);
      tx.channel = rng.chance(0.8) ? 'online' : 'pos';
      if (i > ep.from) tx.time = prev + rng.uniform(3, 60) * MINUTE;
      return tx;
    }
    case 'night_run': {
      // A night owl buying games and in-app items after midnight.
      const cat = rng.pick<MerchantCategory>(['gaming', 'digital_goods', 'digital_goods', 'entertainment']);
      const tx = genuineTx(rng, acct, prev, acct.home, cat);
      tx.channel = 'online';
      tx.usd = acct.usual * rng.uniform(0.1, 1.5);
      tx.time = i > ep.from ? prev + rng.uniform(3, 40) * MINUTE : atLocalHour(tx.time, acct.home, rng.uniform(0, 3), prev);
      return tx;
    }
  }
}

/** `n` genuine transactions starting after `start`, with the account's occasional look-alike episodes. */
function genuineHistory(rng: Rng, acct: Account, n: number, start: number): Tx[] {
  const txs: Tx[] = [];
  const ep = pickEpisode(rng, acct, n);
  const bigAt = rng.chance(0.07) ? (rng.chance(0.3) ? n - 1 : rng.int(0, n - 1)) : -1;
  const verifyAt = n >= 3 && rng.chance(0.03) ? rng.int(0, n - 2) : -1;
  let prev = start;
  for (let i = 0; i < n; i++) {
    let tx: Tx;
    if (ep && i >= ep.from && i < ep.to) {
      tx = episodeTx(rng, acct, ep, i, prev);
    } else if (i === bigAt) {
      const cat = rng.pick<MerchantCategory>(['electronics', 'travel', 'jewelry', 'apparel']);
      tx = genuineTx(rng, acct, prev, acct.home, cat);
      tx.usd = acct.usual * rng.uniform(4, 15);
      tx.time = atLocalHour(tx.time, acct.home, rng.uniform(9, 21), prev);
    } else if (i === verifyAt) {
      // A $1 card check by a ride or hotel app, then the real charge soon after.
      tx = { time: atLocalHour(prev + rng.exponential(DAY / acct.perDay), acct.home, rng.uniform(8, 22), prev), usd: 1, category: 'transport', place: acct.home, channel: 'online' };
      txs.push(tx);
      prev = tx.time;
      i++;
      if (i >= n) break;
      const cat = rng.pick<MerchantCategory>(['transport', 'lodging']);
      tx = { ...genuineTx(rng, acct, prev, acct.home, cat), time: prev + rng.uniform(2, 30) * MINUTE, channel: 'online' };
    } else {
      tx = genuineTx(rng, acct, prev, acct.home);
    }
    txs.push(tx);
    prev = tx.time;
  }
  return txs;
}

function fraudTail(rng: Rng, acct: Account, history: Tx[], pattern: FraudPattern): Tx[] {
  const seenCats = new Set(history.map((t) => t.category));
  const seenCountries = new Set(history.map((t) => t.place.country));
  let t = history[history.length - 1]!.time + rng.exponential(DAY / acct.perDay) + MINUTE;
  const out: Tx[] = [];
  const jitter = () => Math.exp(0.3 * rng.normal());
  switch (pattern) {
    case 'amount_burst': {
      const k = rng.int(2, 6);
      const subtle = rng.chance(1 / 3);
      for (let i = 0; i < k; i++) {
        const mult = subtle ? rng.uniform(1.5, 4) : rng.uniform(4, 25);
        const category = rng.pick<MerchantCategory>(['electronics', 'electronics', 'jewelry', 'gift_cards', 'apparel']);
        out.push({ time: t, usd: acct.usual * mult * jitter(), category, place: acct.home, channel: rng.chance(0.7) ? 'online' : 'pos' });
        t += rng.uniform(1, 30) * MINUTE;
      }
      break;
    }
    case 'new_country_new_merchant': {
      const k = rng.int(2, 5);
      const place = rng.pick(FRAUD_PLACES.filter((p) => !seenCountries.has(p.country)));
      // A third of fraudsters shop like tourists; the rest go for goods and cash.
      const touristy = rng.chance(1 / 3);
      const wanted: readonly MerchantCategory[] = touristy ? ['restaurant', 'lodging', 'apparel', 'electronics', 'cash'] : ['electronics', 'jewelry', 'money_transfer', 'crypto', 'gift_cards', 'cash', 'apparel'];
      const fresh = wanted.filter((c) => !seenCats.has(c));
      const cats: readonly MerchantCategory[] = fresh.length > 0 ? fresh : wanted;
      for (let i = 0; i < k; i++) {
        const category = rng.pick(cats);
        const channel = category === 'cash' ? 'atm' : rng.chance(0.5) ? 'pos' : 'online';
        out.push({ time: t, usd: acct.usual * rng.logUniform(1, 10) * jitter(), category, place, channel });
        t += rng.uniform(5, 240) * MINUTE;
      }
      break;
    }
    case 'night_cnp_run': {
      const k = rng.int(2, 8);
      const place = rng.chance(0.8) ? acct.home : rng.pick(FRAUD_PLACES.filter((p) => p.country !== acct.home.country));
      t = atLocalHour(t, acct.home, rng.uniform(0, 4), t - MINUTE);
      for (let i = 0; i < k; i++) {
        const category = rng.pick<MerchantCategory>(['digital_goods', 'gaming', 'gift_cards', 'crypto']);
        out.push({ time: t, usd: acct.usual * rng.uniform(0.3, 4) * jitter(), category, place, channel: rng.chance(0.85) ? 'online' : 'moto' });
        t += rng.uniform(2, 30) * MINUTE;
      }
      break;
    }
    case 'test_then_large': {
      const tests = rng.int(1, 3);
      for (let i = 0; i < tests; i++) {
        const category = rng.pick<MerchantCategory>(['digital_goods', 'other', 'gift_cards', 'transport']);
        out.push({ time: t, usd: rng.uniform(0.5, 3), category, place: acct.home, channel: 'online' });
        t += rng.uniform(1, 15) * MINUTE;
      }
      t += rng.uniform(4, 90) * MINUTE;
      const category = rng.pick<MerchantCategory>(['electronics', 'jewelry', 'money_transfer', 'gift_cards', 'lodging']);
      out.push({ time: t, usd: acct.usual * rng.logUniform(3, 40) * jitter(), category, place: acct.home, channel: 'online' });
      break;
    }
    case 'friendly_fraud': {
      // The cardholder disputes their own, ordinary-looking purchases: nothing in the stream shows it.
      let prev = history[history.length - 1]!.time;
      for (let i = rng.int(1, 3); i > 0; i--) {
        const tx = genuineTx(rng, acct, prev, acct.home);
        out.push(tx);
        prev = tx.time;
      }
      break;
    }
  }
  return out;
}

const pad = (n: number, w = 2) => String(Math.trunc(n)).padStart(w, '0');

/** ISO 8601 at the place's local time, with its offset: `2024-05-01T22:03:00+08:00`. */
function isoLocal(time: number, offset: number): string {
  const d = new Date(Math.round(time / 1000) * 1000 + offset * MINUTE);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${d.toISOString().slice(0, 19)}${sign}${pad(abs / 60)}:${pad(abs % 60)}`;
}

/** Writes transactions in the API's shape, varying the timestamp style as real feeds do. */
function toInput(rng: Rng, acct: Account, txs: Tx[], id: number): RiskInput {
  const style = rng.weighted([['local', 7], ['utc', 2], ['epoch', 1]] as const);
  const transactions = txs.map((t): TransactionInput => {
    const currency = t.place.currency;
    const zeroDecimals = currency === 'JPY' || currency === 'KRW';
    const raw = t.usd / USD_PER_UNIT[currency]!;
    const amount = zeroDecimals ? Math.max(1, Math.round(raw)) : Math.max(0.01, Math.round(raw * 100) / 100);
    const second = Math.round(t.time / 1000) * 1000;
    const timestamp = style === 'local' ? isoLocal(second, t.place.offset) : style === 'utc' ? new Date(second).toISOString() : second;
    return { amount, currency, timestamp, merchantCategory: t.category, country: t.place.country, channel: t.channel };
  });
  const input: RiskInput = { accountId: `acct-${id}`, transactions };
  if (style !== 'local') input.utcOffsetMinutes = acct.home.offset;
  if (rng.chance(0.5)) input.homeCountry = acct.home.country;
  return input;
}

/** Yields `count` labelled histories from `seed`, one at a time (a large dataset is never all in memory). */
export function* sequences(opts: GenerateOptions): Generator<LabelledSequence> {
  const rng = new Rng(opts.seed);
  const fraudRate = opts.fraudRate ?? 0.02;
  for (let i = 0; i < opts.count; i++) {
    const acct = makeAccount(rng);
    const length = rng.chance(0.6) ? MAX_TRANSACTIONS : rng.int(4, MAX_TRANSACTIONS - 1);
    const start = START + rng.uniform(0, SPAN);
    if (rng.chance(fraudRate)) {
      const pattern = rng.weighted(PATTERN_MIX);
      // Fraud overwrites at most 8 recent transactions; keep at least two genuine ones before it.
      const history = genuineHistory(rng, acct, Math.max(2, length - rng.int(2, 8)), start);
      const tail = fraudTail(rng, acct, history, pattern);
      const txs = history.concat(tail).slice(-MAX_TRANSACTIONS);
      yield { input: toInput(rng, acct, txs, i), label: 1, pattern };
    } else {
      yield { input: toInput(rng, acct, genuineHistory(rng, acct, length, start), i), label: 0, pattern: null };
    }
  }
}

/** Generates `count` labelled histories from `seed`. */
export function generateSequences(opts: GenerateOptions): LabelledSequence[] {
  return [...sequences(opts)];
}

/** One dataset line as `train` reads it (README, "Training data"): the history and its label. */
export const toRecord = (s: LabelledSequence): { input: RiskInput; label: 0 | 1 } => ({ input: s.input, label: s.label });

const USAGE = 'usage: npx tsx functions/risk-scoring/generate-data.ts --out data.jsonl --count 20000 --seed 7 [--fraud-rate 0.02]';

/** Parses the command line; throws with the usage on anything wrong. */
function cliOptions(argv: string[]): GenerateOptions & { out: string } {
  const { values } = parseArgs({ args: argv, options: { out: { type: 'string' }, count: { type: 'string' }, seed: { type: 'string' }, 'fraud-rate': { type: 'string' } }, strict: true });
  const num = (name: string, raw: string | undefined, ok: (n: number) => boolean, def?: number) => {
    if (raw === undefined && def !== undefined) return def;
    const n = Number(raw);
    if (raw === undefined || raw.trim() === '' || !ok(n)) throw new Error(`--${name} ${raw ?? '(missing)'}: not valid\n${USAGE}`);
    return n;
  };
  if (!values.out) throw new Error(`--out is required\n${USAGE}`);
  return {
    out: values.out,
    count: num('count', values.count, (n) => Number.isInteger(n) && n > 0 && n <= 10_000_000),
    seed: num('seed', values.seed, (n) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff),
    fraudRate: num('fraud-rate', values['fraud-rate'], (n) => n >= 0 && n <= 1, 0.02),
  };
}

/** Writes a labelled dataset as JSON Lines, streamed (waits whenever the file falls behind). */
async function main(argv: string[]): Promise<void> {
  const opts = cliOptions(argv);
  const file = createWriteStream(opts.out);
  const written = once(file, 'finish');
  let fraudulent = 0;
  for (const s of sequences(opts)) {
    fraudulent += s.label;
    if (!file.write(JSON.stringify(toRecord(s)) + '\n')) await once(file, 'drain');
  }
  file.end();
  await written;
  console.log(`wrote ${opts.count} histories (${fraudulent} fraudulent, seed ${opts.seed}, fraud rate ${opts.fraudRate}) to ${opts.out}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv.slice(2)).catch((err: Error) => {
    console.error(err.message);
    process.exitCode = 1;
  });
}
