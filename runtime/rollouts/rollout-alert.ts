import { alertPoster, type WebhookKeys } from '../webhooks/index.ts';
import type { RolloutRecord, RolloutWindow } from '../../queue/cluster/index.ts';

/** What a rollout alert says: a window's verdict (with its figures), a step taken, or the rollout ended, paused or resumed. */
export interface RolloutAlert {
  type: 'autoglm.rollout';
  event: 'verdict' | 'step' | 'promoted' | 'rolled-back' | 'paused' | 'aborted' | 'resumed';
  function: string;
  namespace: string;
  version: string;
  stable: string;
  state: RolloutRecord['state'];
  stage: number;
  /** The new version's share of calls after the event, percent. */
  weight: number;
  window?: RolloutWindow;
  reason: string | null;
  at: string;
}

/** Sends rollout alerts to `url` (`AUTOGLM_ALERT_URL`), signed as job webhooks are (see `alertPoster`). */
export function rolloutAlertSender(url: string, keys: WebhookKeys): (alert: RolloutAlert) => Promise<void> {
  return alertPoster(url, keys, (a: RolloutAlert) => `rollout.${a.function}.${a.version}.${a.event}.${a.stage}.${Date.parse(a.at)}`);
}
