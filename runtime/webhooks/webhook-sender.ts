import { Agent as HttpAgent, request as httpRequest, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import type { Logger } from '../../functions/sdk/index.ts';
import type { Deliver, JobView } from '../../queue/jobs/index.ts';
import { CallbackGuard, CallbackRefusedError } from './callback-guard.ts';
import type { WebhookKeys } from './webhook-keys.ts';
import { signWebhook } from './webhook-signer.ts';

/** Options of {@link createWebhookSender}. */
export interface WebhookSenderOptions {
  /** Each namespace's signing keys: a job's webhook is signed with its namespace's. */
  keys: WebhookKeys;
  /** Where webhooks may go [the default rules: no loopback, link-local or unspecified address]. */
  guard?: CallbackGuard;
  /** Per-attempt timeout, ms. Default 10,000. */
  timeoutMs?: number;
  /** Where refused deliveries are logged [nowhere]. */
  log?: Logger;
  /** Told of each refused delivery (the router audits it) [nobody]. */
  onRefused?: (r: { jobId: string; namespace: string; reason: string }) => void;
  /** PEM of CAs trusted for `https:` receivers besides Node's bundled ones [none]. */
  ca?: string;
}

/**
 * Builds the delivery function the callback queue runs: POSTs the final job record, signed with
 * the job's namespace's key, to an address the guard checked at connect time (see
 * {@link CallbackGuard.lookup}). A non-2xx answer or a network failure throws, so the queue retries
 * it with backoff; a refused address, or a redirect (never followed: its target was not checked),
 * throws {@link CallbackRefusedError}, which fails the delivery at once.
 */
export function createWebhookSender(opts: WebhookSenderOptions): Deliver {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const guard = opts.guard ?? new CallbackGuard();
  // Our own agents: every connection they pool was made through the guard's lookup.
  // The certificate is checked against the URL's host name, not the pinned address.
  const httpsAgent = new HttpsAgent({ keepAlive: true, ...(opts.ca ? { ca: [...rootCertificates, opts.ca] } : {}) });
  const agents = { 'http:': new HttpAgent({ keepAlive: true }), 'https:': httpsAgent };
  return async function sendWebhook(view: JobView, url: string, attempt: number): Promise<void> {
    const { callback: _omit, ...job } = view;
    const body = JSON.stringify({ type: `job.${view.status}`, job });
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'open-autoglm-webhooks/1',
      'autoglm-delivery-attempt': String(attempt),
      ...signWebhook(opts.keys.of(view.namespace), view.id, Math.floor(Date.now() / 1000), body),
    };
    try {
      const target = guard.target(url).url;
      const agent = agents[target.protocol as keyof typeof agents];
      const status = await post(target, body, { method: 'POST', headers, agent, lookup: guard.lookup, signal: AbortSignal.timeout(timeoutMs) });
      if (status >= 300 && status < 400) throw new CallbackRefusedError(`the receiver answered ${status}; redirects are not followed`);
      if (status < 200 || status >= 300) throw new Error(`webhook receiver answered ${status}`);
    } catch (err) {
      if (err instanceof CallbackRefusedError) {
        opts.log?.warn('webhook delivery refused', { jobId: view.id, namespace: view.namespace, reason: err.message });
        opts.onRefused?.({ jobId: view.id, namespace: view.namespace, reason: err.message });
      }
      throw err;
    }
  };
}

/** POSTs `body`; resolves with the answer's status once its body is read (so the connection can be reused). */
function post(url: URL, body: string, options: RequestOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, options, (res) => {
      res.on('error', reject);
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.resume();
    });
    req.on('error', reject);
    req.end(body);
  });
}
