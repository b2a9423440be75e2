import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../functions/sdk/index.ts';
import type { JobView } from '../../queue/jobs/index.ts';
import { startReceiver, type HttpReceiver } from '../../test/harness/http-receiver.ts';
import { tableResolver, type ResolverTable } from '../../test/harness/resolver.ts';
import { parseCallbackAllow, parseHmacKeys } from '../config/index.ts';
import { CallbackGuard, CallbackRefusedError } from './callback-guard.ts';
import { WebhookKeys } from './webhook-keys.ts';
import { createWebhookSender } from './webhook-sender.ts';

const view: JobView = {
  id: 'echo.sender1',
  function: 'echo',
  version: '4f948aff2795',
  namespace: 'default',
  submittedBy: 'tester',
  status: 'succeeded',
  output: { ok: true },
  attempts: 1,
  maxAttempts: 1,
  timings: { queued: new Date(0).toISOString() },
};
const keys = new WebhookKeys(parseHmacKeys('w1:webhook-secret-webhook-secret-0123456789'));

/** A logger keeping its warnings. */
function warnings(): { log: Logger; lines: { msg: string; fields: Record<string, unknown> | undefined }[] } {
  const lines: { msg: string; fields: Record<string, unknown> | undefined }[] = [];
  const log: Logger = { debug: () => undefined, info: () => undefined, error: () => undefined, warn: (msg, fields) => lines.push({ msg, fields }), child: () => log };
  return { log, lines };
}

/** A sender allowed only 127.0.0.1, resolving names from `table`. */
function senderFor(table: ResolverTable, log?: Logger) {
  const allow = parseCallbackAllow('127.0.0.1');
  if (!allow.ok) throw new Error(allow.errors.join());
  const guard = new CallbackGuard({ allow: allow.allow, resolve: tableResolver(table) });
  return { guard, send: createWebhookSender({ keys, guard, ...(log ? { log } : {}) }) };
}

/** What `p` rejected with. */
const rejection = (p: Promise<unknown>) => p.then(
  () => undefined,
  (err: unknown) => err as Error & { retryable?: boolean },
);

let receivers: HttpReceiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  receivers = [];
});
async function receiver(host: string, answer?: Parameters<typeof startReceiver>[1]): Promise<HttpReceiver> {
  const r = await startReceiver(host, answer);
  receivers.push(r);
  return r;
}

describe('the webhook sender', () => {
  it("connects to the address the guard resolved and checked (a name only the guard's resolver knows)", async () => {
    const hook = await receiver('127.0.0.1');
    const { send } = senderFor({ 'hooks.test': ['127.0.0.1'] });
    await send(view, `http://hooks.test:${hook.port}/hook`, 1);
    expect(hook.received).toHaveLength(1);
    expect(hook.received[0]).toMatchObject({ method: 'POST', path: '/hook' });
    expect(hook.received[0]!.headers.host).toBe(`hooks.test:${hook.port}`);
    expect(JSON.parse(hook.received[0]!.body)).toMatchObject({ type: 'job.succeeded', job: { id: view.id } });
  });

  it('refuses, without connecting, a name that resolves to a refused address by delivery time (DNS rebinding), and logs why', async () => {
    const inside = await receiver('127.0.0.2');
    const table: ResolverTable = { 'hooks.test': ['127.0.0.1'] };
    const { log, lines } = warnings();
    const { guard, send } = senderFor(table, log);
    const url = `http://hooks.test:${inside.port}/`;
    await guard.check(url); // at submission: 127.0.0.1, allowed
    table['hooks.test'] = ['127.0.0.2'];
    const err = await rejection(send(view, url, 1));
    expect(err).toBeInstanceOf(CallbackRefusedError);
    expect(err!.retryable).toBe(false);
    expect(err!.message).toBe('callbackUrl: hooks.test resolves to 127.0.0.2, a loopback address');
    expect(inside.received).toHaveLength(0);
    expect(lines).toEqual([{ msg: 'webhook delivery refused', fields: { jobId: view.id, namespace: 'default', reason: err!.message } }]);
  });

  it('refuses a literal refused address at delivery too (the default rules), without connecting', async () => {
    const local = await receiver('127.0.0.1');
    const err = await rejection(createWebhookSender({ keys })(view, `${local.origin}/`, 1));
    expect(err).toBeInstanceOf(CallbackRefusedError);
    expect(err!.message).toBe('callbackUrl: 127.0.0.1 is a loopback address');
    expect(local.received).toHaveLength(0);
  });

  it.each([301, 302, 303, 307, 308])('does not follow a %i redirect, even to an allowed address: the delivery is refused at once', async (status) => {
    const target = await receiver('127.0.0.1');
    const hook = await receiver('127.0.0.1', (res) => res.writeHead(status, { location: `${target.origin}/moved` }).end());
    const { send } = senderFor({});
    const err = await rejection(send(view, `${hook.origin}/`, 1));
    expect(err).toBeInstanceOf(CallbackRefusedError);
    expect(err!.message).toBe(`callbackUrl: the receiver answered ${status}; redirects are not followed`);
    expect(hook.received).toHaveLength(1);
    expect(target.received).toHaveLength(0);
  });

  it('leaves a receiver error to the retries (retryable: not refused)', async () => {
    const hook = await receiver('127.0.0.1', (res) => res.writeHead(503).end());
    const err = await rejection(senderFor({}).send(view, `${hook.origin}/`, 1));
    expect(err).not.toBeInstanceOf(CallbackRefusedError);
    expect(err!.message).toBe('webhook receiver answered 503');
    expect(err!.retryable).toBeUndefined();
  });
});
