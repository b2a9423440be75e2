import type { Deliver, JobView } from '../../queue/jobs/index.ts';
import type { WebhookKeys } from './webhook-keys.ts';
import { signWebhook } from './webhook-signer.ts';

/** Options of {@link createWebhookSender}. */
export interface WebhookSenderOptions {
  /** Each namespace's signing keys: a job's webhook is signed with its namespace's. */
  keys: WebhookKeys;
  /** Per-attempt timeout, ms. Default 10,000. */
  timeoutMs?: number;
}

/**
 * Builds the delivery function the callback queue runs: POSTs the final job record, signed with
 * the job's namespace's key. Any non-2xx answer or network failure throws, so the queue retries it
 * with backoff.
 */
export function createWebhookSender(opts: WebhookSenderOptions): Deliver {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  return async function sendWebhook(view: JobView, url: string, attempt: number): Promise<void> {
    const { callback: _omit, ...job } = view;
    const body = JSON.stringify({ type: `job.${view.status}`, job });
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'open-autoglm-webhooks/1',
      'autoglm-delivery-attempt': String(attempt),
      ...signWebhook(opts.keys.of(view.namespace), view.id, Math.floor(Date.now() / 1000), body),
    };
    const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    // Drain the body so the connection can be reused.
    await res.arrayBuffer().catch(() => undefined);
    if (res.status < 200 || res.status >= 300) throw new Error(`webhook receiver answered ${res.status}`);
  };
}
