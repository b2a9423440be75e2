import { InvalidInputError } from '../sdk/index.ts';

export const ORDER_STATUSES = ['pending', 'paid', 'processing', 'shipped', 'in_transit', 'out_for_delivery', 'delivered', 'cancelled', 'returned', 'refunded'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
export const CUSTOMER_TIERS = ['standard', 'silver', 'gold', 'platinum'] as const;
export type CustomerTier = (typeof CUSTOMER_TIERS)[number];

/** An order line: a name, or a name and quantity. */
export type OrderItem = string | { name: string; quantity?: number };

/** What the caller knows about the order the message is about. All optional. */
export interface OrderContext {
  id?: string;
  status?: OrderStatus;
  /** Dates as `YYYY-MM-DD` or ISO 8601 date-times; replies print the calendar date. */
  orderedAt?: string;
  shippedAt?: string;
  estimatedDelivery?: string;
  deliveredAt?: string;
  items?: OrderItem[];
}

export interface CustomerContext {
  name?: string;
  tier?: CustomerTier;
}

/** One reply request. */
export interface ReplyInput {
  /** The customer's message, 1–2,000 characters. */
  message: string;
  context?: { order?: OrderContext; customer?: CustomerContext };
  /** 0 (default): always the first phrasing; up to 2: more varied wording. */
  temperature?: number;
  /** Seed for the wording at temperature > 0. Default: derived from the message, so a retry gives the same reply. */
  seed?: number;
  /** Reply language override, e.g. `zh-CN` or `en-GB`. Default: the message's language. */
  locale?: string;
  /** `false` skips the configured generator for this call. Default true. */
  useGenerator?: boolean;
}

/** A validated request; `message` is trimmed. */
export interface ReplyRequest extends ReplyInput {
  context: { order?: OrderContext; customer?: CustomerContext };
  temperature: number;
}

export const MAX_MESSAGE_CHARS = 2000;
const DATE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * Whether `v` is a date (or date-time) that exists. `Date.parse` rolls a day past its month's end
 * over (`2025-02-30` reads as 2 March), so the date must read back as written; a time must parse.
 */
function isRealDate(v: string): boolean {
  if (!DATE.test(v)) return false;
  const day = Date.parse(v.slice(0, 10));
  if (Number.isNaN(day) || new Date(day).toISOString().slice(0, 10) !== v.slice(0, 10)) return false;
  return v.length === 10 || !Number.isNaN(Date.parse(v));
}
const LOCALE = /^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$/;
const DATE_FIELDS = ['orderedAt', 'shippedAt', 'estimatedDelivery', 'deliveredAt'] as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const shortString = (v: unknown, max: number) => typeof v === 'string' && v.trim().length > 0 && v.length <= max;

function parseOrder(raw: unknown): OrderContext | InvalidInputError {
  const at = 'context.order';
  if (!isObject(raw)) return new InvalidInputError(at, 'must be an object');
  if (raw.id !== undefined && !shortString(raw.id, 64)) return new InvalidInputError(`${at}.id`, 'must be a non-empty string of at most 64 characters');
  if (raw.status !== undefined && !(ORDER_STATUSES as readonly unknown[]).includes(raw.status)) {
    return new InvalidInputError(`${at}.status`, `must be one of ${ORDER_STATUSES.join(', ')}`);
  }
  for (const f of DATE_FIELDS) {
    const v = raw[f];
    if (v !== undefined && (typeof v !== 'string' || !isRealDate(v))) {
      return new InvalidInputError(`${at}.${f}`, 'must be a date such as 2025-03-12 or an ISO 8601 date-time');
    }
  }
  if (raw.items !== undefined) {
    if (!Array.isArray(raw.items) || raw.items.length > 50) return new InvalidInputError(`${at}.items`, 'must be a list of at most 50 items');
    for (let i = 0; i < raw.items.length; i++) {
      const item: unknown = raw.items[i];
      if (typeof item === 'string') {
        if (!shortString(item, 200)) return new InvalidInputError(`${at}.items[${i}]`, 'must be a non-empty name of at most 200 characters');
      } else if (isObject(item)) {
        if (!shortString(item.name, 200)) return new InvalidInputError(`${at}.items[${i}].name`, 'must be a non-empty string of at most 200 characters');
        const q = item.quantity;
        if (q !== undefined && (typeof q !== 'number' || !Number.isInteger(q) || q < 1 || q > 9999)) {
          return new InvalidInputError(`${at}.items[${i}].quantity`, 'must be a whole number from 1 to 9999');
        }
      } else {
        return new InvalidInputError(`${at}.items[${i}]`, 'must be a name or an object with `name` and `quantity`');
      }
    }
  }
  return raw as OrderContext;
}

function parseCustomer(raw: unknown): CustomerContext | InvalidInputError {
  if (!isObject(raw)) return new InvalidInputError('context.customer', 'must be an object');
  if (raw.name !== undefined && !shortString(raw.name, 100)) return new InvalidInputError('context.customer.name', 'must be a non-empty string of at most 100 characters');
  if (raw.tier !== undefined && !(CUSTOMER_TIERS as readonly unknown[]).includes(raw.tier)) {
    return new InvalidInputError('context.customer.tier', `must be one of ${CUSTOMER_TIERS.join(', ')}`);
  }
  return raw as CustomerContext;
}

/**
 * Checks one input item (the manifest schema says the same, but in-process callers and the
 * batch path bypass the router). Returns the error for the first bad field.
 */
export function parseReplyInput(raw: unknown): ReplyRequest | InvalidInputError {
  if (!isObject(raw)) return new InvalidInputError('input', 'must be an object with a `message`');
  if (typeof raw.message !== 'string') return new InvalidInputError('message', 'is required and must be a string');
  const message = raw.message.trim();
  if (message.length === 0) return new InvalidInputError('message', 'must not be empty');
  if (raw.message.length > MAX_MESSAGE_CHARS) return new InvalidInputError('message', `must be at most ${MAX_MESSAGE_CHARS} characters`);

  const context: ReplyRequest['context'] = {};
  if (raw.context !== undefined) {
    if (!isObject(raw.context)) return new InvalidInputError('context', 'must be an object');
    if (raw.context.order !== undefined) {
      const order = parseOrder(raw.context.order);
      if (order instanceof InvalidInputError) return order;
      context.order = order;
    }
    if (raw.context.customer !== undefined) {
      const customer = parseCustomer(raw.context.customer);
      if (customer instanceof InvalidInputError) return customer;
      context.customer = customer;
    }
  }
  const t = raw.temperature;
  if (t !== undefined && (typeof t !== 'number' || !Number.isFinite(t) || t < 0 || t > 2)) return new InvalidInputError('temperature', 'must be a number from 0 to 2');
  const seed = raw.seed;
  if (seed !== undefined && (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)) {
    return new InvalidInputError('seed', 'must be a whole number from 0 to 4294967295');
  }
  if (raw.locale !== undefined && (typeof raw.locale !== 'string' || !LOCALE.test(raw.locale))) return new InvalidInputError('locale', 'must be a locale such as zh-CN or en-GB');
  if (raw.useGenerator !== undefined && typeof raw.useGenerator !== 'boolean') return new InvalidInputError('useGenerator', 'must be true or false');

  const req: ReplyRequest = { message, context, temperature: (t as number | undefined) ?? 0 };
  if (seed !== undefined) req.seed = seed as number;
  if (raw.locale !== undefined) req.locale = raw.locale as string;
  if (raw.useGenerator !== undefined) req.useGenerator = raw.useGenerator as boolean;
  return req;
}
