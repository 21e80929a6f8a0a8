// A sender refused 429 that goes on posting large bodies to that site is held, then refused again before the rest is
// read; one refused 403 is held before it is judged again.
import { env } from 'cloudflare:workers';
import { describe, expect, it, vi } from 'vitest';
import { ADMIN, call, freshEvents, registerSite } from '../../test/helpers.ts';
import { ORIGIN } from '../../test/test-support.ts';
import { ALWAYS_READ_BYTES, rememberRefusal } from './refusals.ts';
import { HOLD_MS } from './tarpit.ts';
import { storedEvents } from '../../test/site-rows.ts';
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

/** A request under way; `answered` turns true once its answer is in. */
function underWay(response: Promise<Response>) {
  const sent = { answered: false, response: response.finally(() => (sent.answered = true)) };
  return sent;
}

/** Not JSON past its start: a body read to the end is 400 invalid-json; a 403 or 429 says it was refused unread. */
const garbage = (site: string) => `{"v":1,"site":"${site}","events":[${'x'.repeat(ALWAYS_READ_BYTES + 1)}`;

const batch = (site: string, events: unknown[]) => JSON.stringify({ v: 1, site, sent_at: Date.now(), events });

describe('a sender refused 429 a moment ago', () => {
  it('has its next large bodies held, then refused unread with the same code; small ones and other clients are read meanwhile', async () => {
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

    // Held (tarpit.ts), then refused once its start names the site, from any address of the /64.
    const start = Date.now();
    const again = underWay(post(garbage(id), '2001:db8:77:1::beef'));

    // Sent after it and answered before it, read (so 400): a small body from the same client, a large one to another
    // site, and another client's.
    const small = `{"v":1,"site":"${id}",`;
    expect((await post(small, flooder)).status).toBe(400);
    const other = await registerSite();
    expect((await post(garbage(other.id), flooder)).status).toBe(400);
    expect((await post(garbage(id), '203.0.113.50')).status).toBe(400);
    expect(again.answered).toBe(false);

    const res = await again.response;
    expect(res.status).toBe(429);
    expect(await res.json()).toEqual({ error: 'quota-exceeded' });
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    // A floor the hold enforces (the clock moves on across waits), not a speed claim.
    expect(Date.now() - start).toBeGreaterThanOrEqual(HOLD_MS);
  });
});

describe('a sender rate-limited that comes back before its Retry-After is over', () => {
  it('is told the whole Retry-After again from that answer: looping keeps it out, waiting lets it in', async () => {
    const { id } = await registerSite();
    const looping = '203.0.113.43';
    // As the lane or the rate limiter answers it (routes/events.ts remembers every 429 of a known site).
    await rememberRefusal(id, looping, 'rate-limited', 10, Date.now());
    const first = await post(garbage(id), looping);
    expect(first.status).toBe(429);
    expect(await first.json()).toEqual({ error: 'rate-limited' });
    expect(first.headers.get('retry-after')).toBe('10');
    const answeredAt = Date.now();
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      // Back after 9 s, then 15 s: past the first answer's 10 s, within the second's.
      for (const after of [9_000, 15_000]) {
        vi.setSystemTime(answeredAt + after);
        const again = await post(garbage(id), looping);
        expect(again.status).toBe(429);
        expect(again.headers.get('retry-after')).toBe('10');
      }
      // Waited the 10 s it was last told: read (garbage past its start, so 400).
      vi.setSystemTime(answeredAt + 15_000 + 10_001);
      expect((await post(garbage(id), looping)).status).toBe(400);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("senders sharing an address, each coming back within the other one's Retry-After", () => {
  it('are let in a minute after the first refusal at the latest: their returns renew it, but not for ever', async () => {
    const { id } = await registerSite();
    const shared = '203.0.113.44';
    const firstAt = Date.now();
    await rememberRefusal(id, shared, 'rate-limited', 10, firstAt);
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      // Every 9 s one of them is back: each return falls within the 10 s the previous one was told.
      for (let after = 9_000; after < 60_000; after += 9_000) {
        vi.setSystemTime(firstAt + after);
        expect((await post(garbage(id), shared)).status, `${after} ms`).toBe(429);
      }
      vi.setSystemTime(firstAt + 60_001);
      expect((await post(garbage(id), shared)).status).toBe(400);
    } finally {
      vi.useRealTimers();
    }
  }, 60_000);
});

describe('a large body to a site that would refuse its sender', () => {
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

  it("holds its sender's next large bodies to any site, then judges them on the current rows", async () => {
    const { id } = await registerSite();
    const sender = '203.0.113.41';
    expect((await post(garbage(`nobody-${crypto.randomUUID().slice(0, 8)}`), sender)).status).toBe(403);

    // A made-up site id costs nothing: the hold is the client's, whatever site it names next.
    const unknown = underWay(post(garbage(`nobody-${crypto.randomUUID().slice(0, 8)}`), sender));
    const events = freshEvents(60).map((e) => ({ ...e, url: `${ORIGIN}/${'p'.repeat(1_500)}` }));
    const own = underWay(post(batch(id, events), sender));
    // Sent after them, answered before them: another client's large body.
    expect((await post(garbage(id), '203.0.113.42')).status).toBe(400);
    expect(unknown.answered || own.answered).toBe(false);

    const refused = await unknown.response;
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    const accepted = await own.response;
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toMatchObject({ accepted: 60 });
    expect(await storedEvents(id)).toBe(60);
  });

  it('to a site whose origin was just listed is stored (the refusal rests on the current row)', async () => {
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
