// A sender refused 429 that goes on posting large bodies to that site is refused again before the rest is read.
import { describe, expect, it } from 'vitest';
import { ADMIN, call, freshEvents, registerSite } from '../../test/helpers.ts';
import { ORIGIN } from '../../test/test-support.ts';
import { ALWAYS_READ_BYTES } from './refusals.ts';

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
    expect((await post(garbage('another-site'), flooder)).status).toBe(400);
    expect((await post(garbage(id), '203.0.113.50')).status).toBe(400);
  });
});
