export { createWebhookSender } from './webhook-sender.ts';
export type { WebhookSenderOptions } from './webhook-sender.ts';
export { signWebhook, verifyWebhook } from './webhook-signer.ts';
