import type { ChatMessage } from './generator.ts';
import type { Intent } from './intents.ts';
import type { Passage } from './knowledge-base.ts';
import type { Language } from './language.ts';
import { formatDate, formatItems } from './compose-reply.ts';
import type { ReplyRequest } from './validate-input.ts';

const INTENT_NAMES: Record<Intent, string> = {
  delivery_delay: 'delivery delay or missing parcel',
  refund_request: 'refund or return request',
  damaged_item: 'item arrived damaged or faulty',
  wrong_item: 'wrong item received',
  cancellation: 'order or subscription cancellation',
  payment_problem: 'payment problem (failed, duplicate or unexpected charge)',
  account_login: 'account access, password or login problem',
  product_question: 'question about a product',
  complaint_escalation: 'complaint or request to escalate',
  other: 'other or general enquiry',
};

export interface PromptArgs {
  message: string;
  language: Language;
  intent: Intent;
  confidence: number;
  passages: readonly Passage[];
  context: ReplyRequest['context'];
  company: string;
  /** The template reply, offered as a safe starting point. */
  draft: string;
}

/**
 * The task-aware prompt: who is writing, in which language, what the customer wants (intent),
 * the only policies the reply may rely on (with ids), the order facts, and the template draft.
 * The customer's message goes alone in the user turn so it cannot rewrite the instructions.
 */
export function buildPrompt(a: PromptArgs): ChatMessage[] {
  const { order, customer } = a.context;
  const facts: string[] = [];
  if (customer?.name) facts.push(`customer name: ${customer.name}`);
  if (customer?.tier) facts.push(`membership tier: ${customer.tier}`);
  if (order?.id) facts.push(`order id: ${order.id}`);
  if (order?.status) facts.push(`order status: ${order.status}`);
  for (const [key, label] of [
    ['orderedAt', 'ordered on'],
    ['shippedAt', 'shipped on'],
    ['estimatedDelivery', 'estimated delivery'],
    ['deliveredAt', 'delivered on'],
  ] as const) {
    const v = order?.[key];
    if (v) facts.push(`${label}: ${formatDate(v, 'en')}`);
  }
  if (order?.items?.length) facts.push(`items: ${formatItems(order.items, 'en')}`);
  const policies = a.passages.length > 0 ? a.passages.map((p) => `[${p.id}] ${p.title[a.language]}: ${p.text[a.language]}`).join('\n') : '(no policy matched; do not state any policy)';
  const system = [
    `You are a customer-service agent for ${a.company}. Write the reply to the customer's message below.`,
    `Write in ${a.language === 'zh' ? 'Simplified Chinese' : 'English'}, warm and concise (at most ${a.language === 'zh' ? '200 characters' : '120 words'}), as plain text.`,
    `The customer's intent, as classified: ${INTENT_NAMES[a.intent]} (confidence ${a.confidence.toFixed(2)}).`,
    'State only facts found in the policies and order facts below; never invent dates, amounts, compensation or promises.',
    `Policies:\n${policies}`,
    `Order facts:\n${facts.length > 0 ? facts.map((f) => `- ${f}`).join('\n') : '(none provided)'}`,
    `A draft you may improve on:\n${a.draft}`,
  ].join('\n\n');
  return [
    { role: 'system', content: system },
    { role: 'user', content: a.message },
  ];
}
