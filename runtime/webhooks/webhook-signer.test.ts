import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseHmacKeys } from '../config/index.ts';
import { WebhookKeys, formatWebhookKey } from './webhook-keys.ts';
import { signWebhook, verifyWebhook } from './webhook-signer.ts';

const key = { id: 'k1', secret: Buffer.from('a-webhook-secret-of-at-least-32-chars!') };

describe('webhook signatures (Standard Webhooks scheme)', () => {
  it('signs id.timestamp.body with HMAC-SHA256 and names the key', () => {
    const h = signWebhook([key], 'job-1', 1700000000, '{"a":1}');
    const mac = createHmac('sha256', key.secret).update('job-1.1700000000.{"a":1}').digest('base64');
    expect(h['webhook-signature']).toBe(`v1,${mac}`);
    expect(h['webhook-id']).toBe('job-1');
    expect(h['webhook-timestamp']).toBe('1700000000');
    expect(h['autoglm-webhook-key-id']).toBe('k1');
  });

  it('verifies a fresh signature and rejects tampering, wrong keys and stale timestamps', () => {
    const now = 1700000000;
    const h = signWebhook([key], 'job-1', now, 'body');
    expect(verifyWebhook(key.secret, h, 'body', 300, now + 10)).toBe(true);
    expect(verifyWebhook(formatWebhookKey(key.secret), h, 'body', 300, now)).toBe(true); // whsec_ form
    expect(verifyWebhook(key.secret, h, 'b0dy', 300, now)).toBe(false);
    expect(verifyWebhook(Buffer.concat([key.secret, Buffer.from('x')]), h, 'body', 300, now)).toBe(false);
    expect(verifyWebhook(key.secret, { ...h, 'webhook-id': 'job-2' }, 'body', 300, now)).toBe(false);
    expect(verifyWebhook(key.secret, h, 'body', 300, now + 301)).toBe(false);
  });
});

describe('webhook keys per namespace', () => {
  const master = 'w1:master-secret-master-secret-master-secret';

  it("derives one key per namespace: team-a's signatures do not verify with team-b's key", () => {
    const keys = new WebhookKeys(parseHmacKeys(master));
    const [a] = keys.of('team-a');
    const [b] = keys.of('team-b');
    expect(a!.secret).toHaveLength(32);
    expect(a!.secret.equals(b!.secret)).toBe(false);
    // Not the master itself, and the same on every router holding the same master.
    expect(a!.secret.equals(Buffer.from('master-secret-master-secret-master-secret'))).toBe(false);
    expect(new WebhookKeys(parseHmacKeys(master)).of('team-a')[0]!.secret.equals(a!.secret)).toBe(true);
    const h = signWebhook(keys.of('team-a'), 'job-1', 1700000000, 'body');
    expect(verifyWebhook(a!.secret, h, 'body', 300, 1700000000)).toBe(true);
    expect(verifyWebhook(b!.secret, h, 'body', 300, 1700000000)).toBe(false);
  });

  it('rotation: a new master first signs with both keys (old one verifies in the grace); once dropped, only the new one does', () => {
    const before = new WebhookKeys(parseHmacKeys(master)).of('team-a');
    const during = new WebhookKeys(parseHmacKeys(`w2:another-master-secret-another-master-secret,${master}`)).of('team-a');
    expect(during.map((k) => [k.id, k.active])).toEqual([
      ['w2', true],
      ['w1', false],
    ]);
    expect(during[1]!.secret.equals(before[0]!.secret)).toBe(true); // the old id keeps its key
    const h = signWebhook(during, 'job-1', 1700000000, 'body');
    expect(h['autoglm-webhook-key-id']).toBe('w2 w1');
    expect(h['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(verifyWebhook(before[0]!.secret, h, 'body', 300, 1700000000)).toBe(true);
    expect(verifyWebhook(during[0]!.secret, h, 'body', 300, 1700000000)).toBe(true);
    const after = new WebhookKeys(parseHmacKeys('w2:another-master-secret-another-master-secret')).of('team-a');
    const h2 = signWebhook(after, 'job-2', 1700000000, 'body');
    expect(h2['autoglm-webhook-key-id']).toBe('w2');
    expect(verifyWebhook(during[0]!.secret, h2, 'body', 300, 1700000000)).toBe(true);
    expect(verifyWebhook(before[0]!.secret, h2, 'body', 300, 1700000000)).toBe(false);
  });
});
