import { alertPoster, type WebhookKeys } from '../webhooks/index.ts';
import type { DriftAlert } from './drift-watch.ts';

/** Sends drift alerts to `url` (`AUTOGLM_ALERT_URL`), signed as job webhooks are (see `alertPoster`). */
export function alertSender(url: string, keys: WebhookKeys): (alert: DriftAlert) => Promise<void> {
  return alertPoster(url, keys, (a: DriftAlert) => `drift.${a.function}.${a.version}.${a.feature}.${a.status}.${Date.parse(a.at)}`);
}
