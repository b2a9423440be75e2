export { createWebhookSender } from './webhook-sender.ts';
export type { WebhookSenderOptions } from './webhook-sender.ts';
export { KEY_ID_HEADER, signWebhook, verifyWebhook } from './webhook-signer.ts';
export { WEBHOOK_KEYS_FILE, WebhookKeys, formatWebhookKey } from './webhook-keys.ts';
export type { WebhookKey } from './webhook-keys.ts';
