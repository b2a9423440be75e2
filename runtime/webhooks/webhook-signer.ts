import { createHmac, timingSafeEqual } from 'node:crypto';
import type { WebhookKey } from './webhook-keys.ts';

/** The header naming the key id of each signature in `webhook-signature`, in the same order. */
export const KEY_ID_HEADER = 'autoglm-webhook-key-id';

const mac = (secret: Buffer, id: string, timestampSeconds: number, body: string) => createHmac('sha256', secret).update(`${id}.${timestampSeconds}.${body}`).digest('base64');

/**
 * Webhook signatures in the Standard Webhooks scheme (as used by Svix, Resend, and others):
 * `webhook-id`, `webhook-timestamp` (Unix seconds) and
 * `webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`, one signature per
 * key, space-separated (during a key rotation: new and old). `autoglm-webhook-key-id` names the
 * keys, in the same order. The timestamp inside the MAC lets receivers reject old replays.
 */
export function signWebhook(keys: readonly Pick<WebhookKey, 'id' | 'secret'>[], id: string, timestampSeconds: number, body: string): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': keys.map((k) => `v1,${mac(k.secret, id, timestampSeconds, body)}`).join(' '),
    [KEY_ID_HEADER]: keys.map((k) => k.id).join(' '),
  };
}

/** The HMAC key of a key as a receiver holds it: `whsec_<base64>` decoded, other strings as UTF-8. */
const keyBytes = (key: string | Buffer): Buffer => (Buffer.isBuffer(key) ? key : key.startsWith('whsec_') ? Buffer.from(key.slice(6), 'base64') : Buffer.from(key, 'utf8'));

/**
 * Checks a received webhook against one key (for receivers written in TypeScript, and for our
 * tests): true when one of its signatures is that key's over this body, and the timestamp is within
 * `toleranceSeconds` of now. `key` as `autoglm webhook key` prints it (`whsec_…`).
 */
export function verifyWebhook(
  key: string | Buffer,
  headers: Record<string, string | undefined>,
  body: string,
  toleranceSeconds = 300,
  nowSeconds = Math.floor(Date.now() / 1000),
): boolean {
  const id = headers['webhook-id'];
  const ts = Number(headers['webhook-timestamp']);
  const sigs = headers['webhook-signature'];
  if (!id || !Number.isInteger(ts) || !sigs || Math.abs(nowSeconds - ts) > toleranceSeconds) return false;
  const expected = Buffer.from(mac(keyBytes(key), id, ts, body), 'base64');
  return sigs.split(' ').some((s) => {
    if (!s.startsWith('v1,')) return false;
    const got = Buffer.from(s.slice(3), 'base64');
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
}
