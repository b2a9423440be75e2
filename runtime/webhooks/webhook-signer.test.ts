import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhook } from './webhook-signer.ts';

const secret = 'a-webhook-secret-of-at-least-32-chars!';

describe('webhook signatures (Standard Webhooks scheme)', () => {
  it('signs id.timestamp.body with HMAC-SHA256', () => {
    const h = signWebhook(secret, 'job-1', 1700000000, '{"a":1}');
    const mac = createHmac('sha256', secret).update('job-1.1700000000.{"a":1}').digest('base64');
    expect(h['webhook-signature']).toBe(`v1,${mac}`);
    expect(h['webhook-id']).toBe('job-1');
    expect(h['webhook-timestamp']).toBe('1700000000');
  });

  it('verifies a fresh signature and rejects tampering, wrong keys and stale timestamps', () => {
    const now = 1700000000;
    const h = signWebhook(secret, 'job-1', now, 'body');
    expect(verifyWebhook(secret, h, 'body', 300, now + 10)).toBe(true);
    expect(verifyWebhook(secret, h, 'b0dy', 300, now)).toBe(false);
    expect(verifyWebhook(secret + 'x', h, 'body', 300, now)).toBe(false);
    expect(verifyWebhook(secret, { ...h, 'webhook-id': 'job-2' }, 'body', 300, now)).toBe(false);
    expect(verifyWebhook(secret, h, 'body', 300, now + 301)).toBe(false);
  });
});
