import type { Intent } from './intents.ts';
import type { Passage } from './knowledge-base.ts';
import type { Language } from './language.ts';
import { CLOSING, GREETING, PRIORITY, TEMPLATES, type Phrasings, type Situation } from './reply-templates.ts';
import { Rng } from '../sdk/index.ts';
import type { OrderContext, OrderItem, ReplyRequest } from './validate-input.ts';

/** What a template reply is made from. */
export interface ComposeArgs {
  intent: Intent;
  language: Language;
  context: ReplyRequest['context'];
  /** Retrieved policies, best first; their `cite` sentences go into the reply. */
  passages: readonly Passage[];
  temperature: number;
  seed: number;
  company: Record<Language, string>;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const TIERS: Record<string, Record<Language, string>> = { gold: { en: 'Gold', zh: '金卡' }, platinum: { en: 'Platinum', zh: '白金' } };

/** `2025-03-12…` → `12 March 2025` / `2025年3月12日` (the calendar date as written, no time-zone shift). */
export function formatDate(value: string, lang: Language): string {
  const [y, m, d] = value.slice(0, 10).split('-').map(Number) as [number, number, number];
  return lang === 'zh' ? `${y}年${m}月${d}日` : `${d} ${MONTHS[m - 1]} ${y}`;
}

/** `['Mug', {name: 'Tea', quantity: 2}]` → `Mug and 2 × Tea` / `Mug、Tea×2`. */
export function formatItems(items: readonly OrderItem[], lang: Language): string | undefined {
  const names = items.map((it) => (typeof it === 'string' ? { name: it.trim(), quantity: 1 } : { name: it.name.trim(), quantity: it.quantity ?? 1 }));
  if (names.length === 0) return undefined;
  const shown = names.slice(0, names.length > 3 ? 2 : 3);
  const rest = names.length - shown.length;
  if (lang === 'zh') {
    const list = shown.map((n) => (n.quantity > 1 ? `${n.name}×${n.quantity}` : n.name)).join('、');
    return rest > 0 ? `${list}等${names.length}件商品` : list;
  }
  const parts = shown.map((n) => (n.quantity > 1 ? `${n.quantity} × ${n.name}` : n.name));
  if (rest > 0) parts.push(`${rest} more item${rest > 1 ? 's' : ''}`);
  return parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

/** Where the order stands, for choosing the action sentence. */
export function situationOf(order: OrderContext | undefined): Situation {
  if (!order || (order.id === undefined && order.status === undefined)) return 'no_order';
  switch (order.status) {
    case 'pending':
    case 'paid':
    case 'processing':
      return 'not_shipped';
    case 'shipped':
    case 'in_transit':
    case 'out_for_delivery':
      return 'shipped';
    case 'delivered':
    case 'cancelled':
    case 'returned':
    case 'refunded':
      return order.status;
    default:
      return 'default';
  }
}

/** Placeholder values for `lang`; `undefined` marks a value the context does not have. */
export function placeholderValues(args: Pick<ComposeArgs, 'context' | 'language' | 'company'>): Record<string, string | undefined> {
  const { order, customer } = args.context;
  const lang = args.language;
  const date = (v: string | undefined) => (v === undefined ? undefined : formatDate(v, lang));
  const orderRef = order?.id !== undefined ? (lang === 'zh' ? `订单 ${order.id} ` : `order ${order.id}`) : lang === 'zh' ? '您的订单' : 'your order';
  return {
    name: customer?.name?.trim(),
    order: orderRef,
    items: order?.items ? formatItems(order.items, lang) : undefined,
    eta: date(order?.estimatedDelivery),
    shippedOn: date(order?.shippedAt),
    deliveredOn: date(order?.deliveredAt),
    tier: customer?.tier ? TIERS[customer.tier]?.[lang] : undefined,
    company: args.company[lang],
  };
}

const PLACEHOLDER = /\{(\w+)\}/g;

/**
 * Picks a phrasing: only those whose placeholders are all known are eligible; at temperature 0
 * the first, otherwise phrasing i with weight exp(-i / temperature) from the seeded `rng`.
 */
export function choosePhrasing(options: readonly string[], values: Record<string, string | undefined>, temperature: number, rng: Rng): string | undefined {
  const eligible = options.filter((o) => [...o.matchAll(PLACEHOLDER)].every((m) => values[m[1]!] !== undefined));
  if (eligible.length === 0) return undefined;
  const chosen = temperature <= 0 ? eligible[0]! : rng.weighted(eligible.map((o, i) => [o, Math.exp(-i / temperature)] as const));
  return chosen.replace(PLACEHOLDER, (_, k: string) => values[k]!);
}

/** Builds the template reply: greeting, acknowledgement, action, cited policies, priority line, closing. */
export function composeReply(args: ComposeArgs): string {
  const { language: lang, temperature } = args;
  const rng = new Rng(args.seed);
  const values = placeholderValues(args);
  const pick = (p: Phrasings | undefined) => (p ? choosePhrasing(p[lang], values, temperature, rng) : undefined);
  const template = TEMPLATES[args.intent];
  const situation = args.passages.length > 0 && template.action.answered ? 'answered' : situationOf(args.context.order);
  const action = template.action[situation] ? pick(template.action[situation]) : pick(template.action.default);
  const body = [pick(template.ack), action, ...args.passages.map((p) => p.cite[lang]), values.tier !== undefined ? pick(PRIORITY) : undefined].filter((s): s is string => !!s);
  return [pick(GREETING), body.join(lang === 'zh' ? '' : ' '), pick(CLOSING)].filter(Boolean).join('\n\n');
}
