export { createWebhookSender } from './webhook-sender.ts';
export type { WebhookSenderOptions } from './webhook-sender.ts';
export { KEY_ID_HEADER, signWebhook, verifyWebhook } from './webhook-signer.ts';
export { WEBHOOK_KEYS_FILE, WebhookKeys, formatWebhookKey } from './webhook-keys.ts';
export type { WebhookKey } from './webhook-keys.ts';
export { CallbackGuard, CallbackRefusedError } from './callback-guard.ts';
export type { CallbackGuardOptions, ResolveHost } from './callback-guard.ts';
export { CallbackRules, canonicalAddress } from './callback-rules.ts';
export { alertPoster } from './alert-poster.ts';
