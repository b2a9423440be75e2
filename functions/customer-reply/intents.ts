/** The intents the classifier recognises, in model output order. */
export const INTENTS = [
  'delivery_delay',
  'refund_request',
  'damaged_item',
  'wrong_item',
  'cancellation',
  'payment_problem',
  'account_login',
  'product_question',
  'complaint_escalation',
  'other',
] as const;
export type Intent = (typeof INTENTS)[number];

export const isIntent = (s: string): s is Intent => (INTENTS as readonly string[]).includes(s);
