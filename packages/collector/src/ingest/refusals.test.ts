// A sender refused 429 that goes on posting large bodies to that site is refused again before the rest is read.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { ADMIN, call, freshEvents, registerSite } from '../../test/helpers.ts';
import { ORIGIN } from '../../test/test-support.ts';
import { ALWAYS_READ_BYTES } from './refusals.ts';
import { TABLE } from '../db/schema.ts';

/** Posts `body` from client `address`, its Content-Length given as a browser gives it. */
const post = (body: string, address: string) =>
  call('/v1/events', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      origin: ORIGIN,
      'cf-connecting-ip': address,
      'content-length': String(new TextEncoder().encode(body).length),
    },
    body,
  });

const batch = (site: string, events: unknown[]) => JSON.stringify({ v: 1, site, sent_at: Date.now(), events });

describe('a sender refused 429 a moment ago', () => {
  it('has its next large bodies refused unread with the same code; small ones and other clients are read', async () => {
    const { id } = await registerSite();
    await call(`/v1/admin/sites/${id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${ADMIN}` },
      body: JSON.stringify({ quota: { events_per_day: 5 } }),
    });
    const flooder = '2001:db8:77:1::1';
    const large = () => {
      const events = freshEvents(60).map((e) => ({ ...e, url: `${ORIGIN}/${'p'.repeat(1_500)}` }));
      return batch(id, events);
    };
    expect(large().length).toBeGreaterThan(ALWAYS_READ_BYTES);
    const first = await post(large(), flooder);
    expect(first.status).toBe(429);
    expect(await first.json()).toEqual({ error: 'quota-exceeded' });

    // Not JSON past its start: read, it would be 400 invalid-json. Refused once its start names the site, from any
    // address of the /64.
    const garbage = (site: string) => `{"v":1,"site":"${site}","events":[${'x'.repeat(ALWAYS_READ_BYTES + 1)}`;
    const again = await post(garbage(id), '2001:db8:77:1::beef');
    expect(again.status).toBe(429);
    expect(await again.json()).toEqual({ error: 'quota-exceeded' });
    expect(Number(again.headers.get('retry-after'))).toBeGreaterThan(0);

    // Read (so 400): a small body from the same client, a large one to another site, and another client's.
    const small = `{"v":1,"site":"${id}",`;
    expect((await post(small, flooder)).status).toBe(400);
    const other = await registerSite();
    expect((await post(garbage(other.id), flooder)).status).toBe(400);
    expect((await post(garbage(id), '203.0.113.50')).status).toBe(400);
  });
});

describe('a large body to a site that would refuse its sender', () => {
  // Not JSON past its start: a body read to the end would be 400 invalid-json; 403 says it was refused unread.
  const garbage = (site: string) => `{"v":1,"site":"${site}","events":[${'x'.repeat(ALWAYS_READ_BYTES + 1)}`;

  it('is refused 403 forbidden from its start when the site is unknown, its origin not listed or its key missing', async () => {
    const { id } = await registerSite();
    const refused = [
      await post(garbage(`nobody-${crypto.randomUUID().slice(0, 8)}`), '203.0.113.60'),
      await call('/v1/events', {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: 'https://elsewhere.example' },
        body: garbage(id),
      }),
      // A server (no Origin) without the site's ingest key.
      await call('/v1/events', { method: 'POST', headers: { 'content-type': 'application/json' }, body: garbage(id) }),
    ];
    for (const res of refused) {
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual({ error: 'forbidden' });
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    }
    // The same body from a listed origin is read to the end; so is a small one to an unknown site.
    expect((await post(garbage(id), '203.0.113.60')).status).toBe(400);
    expect((await post('{"v":1,"site":"nobody-small",', '203.0.113.60')).status).toBe(400);
  });

  it('to a site whose origin was just listed is read at once (the refusal rests on the current row)', async () => {
    const { id } = await registerSite({ origins: ['https://elsewhere.example'] });
    const events = freshEvents(60).map((e) => ({ ...e, url: `${ORIGIN}/${'p'.repeat(1_500)}` }));
    // Cached by a first batch, then the origin list changes under the cache (as another isolate's admin call would).
    expect((await post(batch(id, freshEvents(1)), '203.0.113.61')).status).toBe(403);
    await env.DB.prepare(`UPDATE ${TABLE.sites} SET origins = ? WHERE id = ?`)
      .bind(JSON.stringify([ORIGIN]), id)
      .run();
    const res = await post(batch(id, events), '203.0.113.61');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ accepted: 60 });
  });
});
