import type { WebhookKeys } from './webhook-keys.ts';
import { signWebhook } from './webhook-signer.ts';

/**
 * A sender of the platform's own alerts (drift, rollouts) to `url` (`AUTOGLM_ALERT_URL`, the
 * operator's receiver), posted as job webhooks are: JSON, signed with the key of the alert's
 * namespace, so a receiver verifies both the same way; `idOf` names each alert for the
 * signature. Any 2xx accepts; anything else rejects.
 */
export function alertPoster<A extends { namespace: string }>(url: string, keys: WebhookKeys, idOf: (alert: A) => string): (alert: A) => Promise<void> {
  return async (alert) => {
    const body = JSON.stringify(alert);
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'open-autoglm-alerts/1', ...signWebhook(keys.of(alert.namespace), idOf(alert), Math.floor(Date.now() / 1000), body) },
      body,
      redirect: 'error',
      signal: AbortSignal.timeout(10_000),
    });
    await res.body?.cancel();
    if (!res.ok) throw new Error(`the alert receiver answered ${res.status}`);
  };
}
