// Webhook secrets: which key encrypts them, and signatures the Standard Webhooks reference library accepts.
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { newWebhookSecret, signDelivery, webhookKey } from './secret.ts';

describe('webhook secrets', () => {
  it('need a WEBHOOK_KEY of 32 characters or more, except in local development', () => {
    const long = 'k'.repeat(32);
    expect(webhookKey({})).toBeNull();
    expect(webhookKey({ WEBHOOK_KEY: 'short' })).toBeNull();
    expect(webhookKey({ WEBHOOK_KEY: long })).toBe(long);
    expect(webhookKey({ PARCOURS_LOCAL_DEV: 'true' })).toEqual(expect.any(String));
    expect(webhookKey({ PARCOURS_LOCAL_DEV: 'false' })).toBeNull();
  });

  it('sign id.timestamp.body as the reference library verifies, and a changed byte fails', async () => {
    const secret = newWebhookSecret();
    const body = JSON.stringify({ type: 'cart.abandoned', timestamp: '2026-12-07T00:00:00.000Z', data: { a: 'é' } });
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(timestamp),
      'webhook-signature': await signDelivery(secret, 'msg_1', timestamp, body),
    };
    expect(headers['webhook-signature']).toBe(new Webhook(secret).sign('msg_1', new Date(timestamp * 1000), body));
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(secret).verify(body.replace('é', 'e'), headers)).toThrow();
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow();
  });
});
