// The webhooks admin API: registration (URL checks, secrets stored encrypted), listing, removal, dead letters.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { ADMIN, call, registerSite } from '../../test/helpers.ts';
import { decryptSecret } from '../webhooks/secret.ts';
import { TABLE } from '../db/schema.ts';

const json = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };

function register(site: string, body: unknown) {
  return call(`/v1/admin/sites/${site}/webhooks`, { method: 'POST', headers: json, body: JSON.stringify(body) });
}

describe('webhook registration', () => {
  it('answers a whsec_ secret once, stores it only encrypted, and lists the webhook without it', async () => {
    const site = await registerSite();
    const res = await register(site.id, { url: 'https://hooks.example.com/parcours', events: ['cart.abandoned'] });
    expect(res.status).toBe(201);
    const created = (await res.json()) as { id: string; secret: string };
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);

    const row = await env.DB.prepare(`SELECT * FROM ${TABLE.webhooks} WHERE id = ?`)
      .bind(created.id)
      .first<Record<string, string>>();
    expect(JSON.stringify(row)).not.toContain(created.secret.slice(6));
    expect(await decryptSecret('test-webhook-key-at-least-32-characters', created.id, row!.secret_enc!)).toBe(
      created.secret,
    );
    // Another key, or the ciphertext moved to another webhook's row, opens nothing.
    await expect(
      decryptSecret('another-key-of-at-least-32-characters!', created.id, row!.secret_enc!),
    ).rejects.toThrow();
    await expect(
      decryptSecret('test-webhook-key-at-least-32-characters', 'wh_other', row!.secret_enc!),
    ).rejects.toThrow();

    const list = await call(`/v1/admin/sites/${site.id}/webhooks`, { headers: json });
    expect(await list.json()).toEqual({
      webhooks: [
        {
          id: created.id,
          url: 'https://hooks.example.com/parcours',
          events: ['cart.abandoned'],
          created_at: expect.any(Number),
        },
      ],
    });
  });

  it.each([
    'http://10.0.0.1/hook',
    'https://10.0.0.1/hook',
    'https://192.168.1.20/hook',
    'https://172.16.0.1/',
    'https://169.254.169.254/latest/meta-data',
    'https://100.64.0.1/',
    'https://127.0.0.1/',
    'https://2130706433/',
    'https://0x7f.1/',
    'https://0.0.0.0/',
    'https://192.0.2.10/',
    'https://198.51.100.7/',
    'https://224.0.0.1/',
    'http://[::1]/hook',
    'https://[::1]/hook',
    'https://[::ffff:10.0.0.1]/',
    'https://[fd00::1]/',
    'https://[fe80::1]/',
    'https://localhost/hook',
    'https://printer.local/',
    'https://metadata.google.internal/',
    'https://intranet/',
    'http://hooks.example.com/plain-http',
    'file:///etc/passwd',
    'ftp://hooks.example.com/',
    'javascript:alert(1)',
    'https://user:pass@hooks.example.com/',
    'https://token@hooks.example.com/',
    'not a url',
    `https://hooks.example.com/${'a'.repeat(2100)}`,
  ])('refuses %s at registration (400 invalid-webhook-url), storing nothing', async (url) => {
    const site = await registerSite();
    const res = await register(site.id, { url, events: ['cart.abandoned'] });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid-webhook-url', message: expect.any(String) });
    const n = await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${TABLE.webhooks} WHERE site = ?`)
      .bind(site.id)
      .first('n');
    expect(n).toBe(0);
  });

  it.each([
    ['http://hooks.example.com/', 'url must be https:// (http:// only to the loopback address, in local development)'],
    ['https://10.0.0.8/hook', 'url must not point to a private, link-local or loopback address'],
    ['https://user:pass@hooks.example.com/', 'url must not carry a user name or password'],
  ])('says why it refuses %s', async (url, message) => {
    const site = await registerSite();
    expect(await (await register(site.id, { url, events: ['cart.abandoned'] })).json()).toEqual({
      error: 'invalid-webhook-url',
      message,
    });
  });

  it.each([
    'https://hooks.example.com/p?x=1',
    'https://93.184.215.14/hook',
    'https://192.0.3.1/',
    'https://[2606:4700::1]/h',
  ])('accepts %s, a public https endpoint', async (url) => {
    const site = await registerSite();
    const res = await register(site.id, { url, events: ['cart.abandoned'] });
    expect(res.status).toBe(201);
  });

  it('refuses unknown event types and an empty list, and answers 404 for an unknown site', async () => {
    const site = await registerSite();
    for (const events of [[], ['cart.opened'], 'cart.abandoned', undefined]) {
      const res = await register(site.id, { url: 'https://hooks.example.com/', events });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({
        error: 'invalid-webhook',
        message: 'events is a non-empty list of cart.abandoned, cart.recovered, alert.triggered, alert.resolved',
      });
    }
    const res = await register('no-such-site', { url: 'https://hooks.example.com/', events: ['cart.abandoned'] });
    expect(res.status).toBe(404);
  });

  it('refuses a field it does not read, as site config does, and registers nothing', async () => {
    const site = await registerSite();
    const res = await register(site.id, {
      url: 'https://hooks.example.com/',
      events: ['cart.abandoned'],
      secret: 'x',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: 'invalid-webhook',
      message: 'no field secret: a webhook has url, events',
    });
    const list = await call(`/v1/admin/sites/${site.id}/webhooks`, { headers: json });
    expect(await list.json()).toEqual({ webhooks: [] });
  });

  it('removes a webhook of its own site only', async () => {
    const [a, b] = [await registerSite(), await registerSite()];
    const { id } = (await (
      await register(a.id, { url: 'https://a.example.com/', events: ['alert.triggered'] })
    ).json()) as {
      id: string;
    };
    expect((await call(`/v1/admin/sites/${b.id}/webhooks/${id}`, { method: 'DELETE', headers: json })).status).toBe(
      404,
    );
    expect((await call(`/v1/admin/sites/${a.id}/webhooks/${id}`, { method: 'DELETE', headers: json })).status).toBe(
      200,
    );
    const list = (await (await call(`/v1/admin/sites/${a.id}/webhooks`, { headers: json })).json()) as { webhooks: [] };
    expect(list.webhooks).toEqual([]);
  });

  it('needs the admin token', async () => {
    const site = await registerSite();
    const res = await call(`/v1/admin/sites/${site.id}/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${site.token}` },
      body: JSON.stringify({ url: 'https://hooks.example.com/', events: ['cart.abandoned'] }),
    });
    expect(res.status).toBe(401);
  });
});
