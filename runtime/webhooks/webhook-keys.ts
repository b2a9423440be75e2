import { hkdfSync } from 'node:crypto';
import type { HmacKeyring } from '../config/index.ts';

/** The state-directory file holding the generated master keys when `AUTOGLM_WEBHOOK_KEYS` is unset. */
export const WEBHOOK_KEYS_FILE = 'webhook-keys';

/** One namespace's webhook key under one master key id. */
export interface WebhookKey {
  /** The master key's id: webhooks name it in `autoglm-webhook-key-id`. */
  readonly id: string;
  /** The HMAC-SHA256 key, 32 bytes. */
  readonly secret: Buffer;
  /** Whether it is the master key new keys come from; the others are in a rotation's grace. */
  readonly active: boolean;
}

// Fixed: changing it would change every namespace's key.
const SALT = 'open-autoglm webhook key v1';

/**
 * Each namespace's webhook signing keys, derived from the router's master keys with HKDF-SHA256
 * (info: master key id and namespace), so a receiver given team-a's key can neither sign for
 * team-b nor work back to the master. Nothing is stored: every router with the same master keys
 * derives the same keys, and workers never see them (webhooks are sent by routers).
 *
 * Rotation: put a new master key first in the ring; webhooks are then signed with every master's
 * key (new first) until the old master is dropped, so receivers move to the new key in their own time.
 */
export class WebhookKeys {
  private readonly derived = new Map<string, readonly WebhookKey[]>();

  constructor(private readonly ring: HmacKeyring) {}

  /** `namespace`'s keys, the active one first. */
  of(namespace: string): readonly WebhookKey[] {
    let keys = this.derived.get(namespace);
    if (!keys) {
      const ids = [this.ring.active, ...[...this.ring.keys.keys()].filter((id) => id !== this.ring.active)];
      keys = ids.map((id) => ({ id, secret: deriveKey(this.ring.keys.get(id)!, id, namespace), active: id === this.ring.active }));
      this.derived.set(namespace, keys);
    }
    return keys;
  }
}

function deriveKey(master: Buffer, id: string, namespace: string): Buffer {
  return Buffer.from(hkdfSync('sha256', master, SALT, `${id}\n${namespace}`, 32));
}

/** A key as receivers are given it: `whsec_<base64>`, the Standard Webhooks form. */
export const formatWebhookKey = (secret: Buffer): string => `whsec_${secret.toString('base64')}`;
