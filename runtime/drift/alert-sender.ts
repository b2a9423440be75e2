import { signWebhook, type WebhookKeys } from '../webhooks/index.ts';
import type { DriftAlert } from './drift-watch.ts';

/**
 * Sends drift alerts to `url` (`AUTOGLM_ALERT_URL`, the operator's receiver) as job webhooks are
 * sent: a JSON POST signed with the function's namespace's webhook key, so a receiver verifies
 * both the same way. Any 2xx accepts.
 */
export function alertSender(url: string, keys: WebhookKeys): (alert: DriftAlert) => Promise<void> {
  return async (alert) => {
    const body = JSON.stringify(alert);
    const id = `drift.${alert.function}.${alert.version}.${alert.feature}.${alert.status}.${Date.parse(alert.at)}`;
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'open-autoglm-alerts/1', ...signWebhook(keys.of(alert.namespace), id, Math.floor(Date.now() / 1000), body) },
      body,
      redirect: 'error',
      signal: AbortSignal.timeout(10_000),
    });
    await res.body?.cancel();
    if (!res.ok) throw new Error(`the alert receiver answered ${res.status}`);
  };
}
