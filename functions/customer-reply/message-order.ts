import type { ReplyRequest } from './validate-input.ts';

/**
 * An order number written in the message: "order 77", "order #A10293", "order no. 5521-B",
 * "订单号：12345", "订单 A10293". The id must hold a digit, so "order status" or "order of
 * tea" is not one.
 */
const PATTERNS = [/\border\s*(?:number|no\.?|id)?\s*[:#]?\s*([A-Za-z0-9][A-Za-z0-9-]{0,63})/gi, /订单(?:号|编号)?\s*[:：#]?\s*([A-Za-z0-9][A-Za-z0-9-]{0,63})/g];

/** The first order number the message writes, or undefined. */
export function orderIdInMessage(message: string): string | undefined {
  for (const re of PATTERNS) {
    for (const m of message.matchAll(re)) if (/\d/.test(m[1]!)) return m[1];
  }
  return undefined;
}

/**
 * The request's context with the order the message names, when the caller's context names none:
 * a customer who wrote "refund for order 77" is not asked for the order number. An order the
 * caller gave is never changed (the system of record knows better than the message).
 */
export function withMessageOrder(req: ReplyRequest): ReplyRequest['context'] {
  if (req.context.order?.id !== undefined) return req.context;
  const id = orderIdInMessage(req.message);
  return id === undefined ? req.context : { ...req.context, order: { ...req.context.order, id } };
}
