import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { ADMIN, call, freshEvents, postEvents, registerSite } from '../../test/helpers.ts';
import { OUTBOX_CAP } from '@parcours/protocol';
import { siteDb } from '../../test/site-rows.ts';
import { utcDay } from './store-batch.ts';
import { TABLE } from '../db/schema.ts';

const HEADLESS =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/140.0.0.0 Safari/537.36';
const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36';
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0';

async function visitors(site: string): Promise<string[]> {
  const { results } = await siteDb(site)
    .prepare(`SELECT visitor, data FROM ${TABLE.events} WHERE site = ? ORDER BY seq`)
    .bind(site)
    .all<{ visitor: string; data: string }>();
  for (const r of results) expect(JSON.parse(r.data).visitor).toBe(r.visitor);
  return results.map((r) => r.visitor);
}

async function ingestion(site: string) {
  const res = await call(`/v1/admin/sites/${site}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  return ((await res.json()) as { ingestion: { totals: Record<string, number>; days: Array<{ day: string }> } })
    .ingestion;
}

describe('bot and crawler traffic', () => {
  it('counts batches from crawlers and headless browsers as filtered and stores none of their events', async () => {
    const { id, ingestKey } = await registerSite();
    const agents = [HEADLESS, 'Googlebot/2.1 (+http://www.google.com/bot.html)', 'curl/8.5.0', 'python-requests/2.32'];
    for (const ua of agents) {
      const res = await postEvents(
        { v: 1, site: id, sent_at: Date.now(), events: [...freshEvents(3), 'junk'] },
        { 'user-agent': ua },
      );
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({
        accepted: 0,
        duplicates: 0,
        rejected: [{ index: 3, error: 'invalid-event' }],
        filtered: 3,
      });
    }
    // Headless hint in the client hints, with an ordinary User-Agent.
    const hinted = await postEvents(
      { v: 1, site: id, sent_at: Date.now(), events: freshEvents(2) },
      { 'user-agent': CHROME, 'sec-ch-ua': '"HeadlessChrome";v="140"' },
    );
    expect(await hinted.json()).toMatchObject({ accepted: 0, filtered: 2 });
    expect(await visitors(id)).toEqual([]);
    expect((await ingestion(id)).totals).toMatchObject({ bot_events: 14, bot_batches: 5 });
    // A server-side sender (no Origin header: curl, a backend) is not a page running the tag: stored.
    const server = await call('/v1/events', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'curl/8.5.0', 'x-parcours-key': ingestKey },
      body: JSON.stringify({ v: 1, site: id, sent_at: Date.now(), events: freshEvents(1) }),
    });
    expect(await server.json()).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    // A person's browser is stored.
    const person = await postEvents(
      { v: 1, site: id, sent_at: Date.now(), events: freshEvents(2) },
      { 'user-agent': CHROME },
    );
    expect(await person.json()).toEqual({ accepted: 2, duplicates: 0, rejected: [] });
    expect((await visitors(id)).length).toBe(3);
  });

  it('stores headless traffic for a site registered with bot_filter off (end-to-end tests drive headless Chromium)', async () => {
    const { id } = await registerSite({ bot_filter: false });
    const res = await postEvents(
      { v: 1, site: id, sent_at: Date.now(), events: freshEvents(2) },
      { 'user-agent': HEADLESS },
    );
    expect(await res.json()).toEqual({ accepted: 2, duplicates: 0, rejected: [] });
    expect((await visitors(id)).length).toBe(2);
  });

  it('lets the admin switch bot filtering on an existing site', async () => {
    const { id } = await registerSite();
    const patch = await call(`/v1/admin/sites/${id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ bot_filter: false }),
    });
    expect(await patch.json()).toMatchObject({ id, bot_filter: false, visitor_ids: 'client' });
    const res = await postEvents(
      { v: 1, site: id, sent_at: Date.now(), events: freshEvents(1) },
      { 'user-agent': HEADLESS },
    );
    expect(await res.json()).toMatchObject({ accepted: 1 });
  });
});

describe('dropped events reported by the outbox', () => {
  it('adds the batch dropped count to the site counters once, not again when the batch is resent', async () => {
    const { id } = await registerSite();
    const batch = { v: 1, site: id, sent_at: Date.now(), dropped: 12, events: freshEvents(2) };
    await postEvents(batch);
    await postEvents(batch);
    await postEvents({ v: 1, site: id, sent_at: Date.now(), dropped: 3, events: freshEvents(1) });
    const stats = await ingestion(id);
    expect(stats.totals.dropped).toBe(15);
    expect(stats.days.map((d) => d.day)).toEqual([utcDay(Date.now())]);
  });

  it('counts the drops of a batch that brings one new event among resent ones, and those of a batch with no events', async () => {
    const { id } = await registerSite();
    const events = freshEvents(3);
    await postEvents({ v: 1, site: id, sent_at: Date.now(), events: events.slice(0, 2) });
    const res = await postEvents({ v: 1, site: id, sent_at: Date.now(), dropped: 4, events });
    expect(await res.json()).toEqual({ accepted: 1, duplicates: 2, rejected: [] });
    await postEvents({ v: 1, site: id, sent_at: Date.now(), dropped: 2, events: [] });
    expect((await ingestion(id)).totals.dropped).toBe(6);
  });
});

describe('dropped counts over the outbox cap', () => {
  it(`counts at most OUTBOX_CAP (${OUTBOX_CAP}) drops for a batch claiming more, and keeps its events`, async () => {
    const { id } = await registerSite();
    const res = await postEvents({ v: 1, site: id, sent_at: Date.now(), dropped: 1e9, events: freshEvents(2) });
    expect(await res.json()).toEqual({ accepted: 2, duplicates: 0, rejected: [] });
    expect((await ingestion(id)).totals.dropped).toBe(OUTBOX_CAP);
    expect(
      (await postEvents({ v: 1, site: id, sent_at: Date.now(), dropped: OUTBOX_CAP + 1, events: [] })).status,
    ).toBe(200);
    expect((await ingestion(id)).totals.dropped).toBe(2 * OUTBOX_CAP);
  });
});

describe('cookieless visitor ids', () => {
  const send = (site: string, ip: string, ua: string, visitor = 'v-client-made') =>
    postEvents(
      { v: 1, site, sent_at: Date.now(), events: freshEvents(1, visitor) },
      { 'cf-connecting-ip': ip, 'user-agent': ua },
    );

  it('replaces the client visitor id by a salted hash: same browser same id, other browser or address another id, no address stored', async () => {
    const { id } = await registerSite({ visitor_ids: 'cookieless' });
    await send(id, '198.51.100.7', CHROME, 'v-one');
    await send(id, '198.51.100.7', CHROME, 'v-two');
    await send(id, '198.51.100.7', FIREFOX);
    await send(id, '198.51.100.8', CHROME);
    const [a, b, c, d] = await visitors(id);
    expect(a).toMatch(/^c-[0-9a-f]{32}$/);
    expect(b).toBe(a);
    expect(c).not.toBe(a);
    expect(d).not.toBe(a);
    expect(d).not.toBe(c);
    const { results } = await siteDb(id).prepare(`SELECT * FROM ${TABLE.events} WHERE site = ?`).bind(id).all();
    const dump = JSON.stringify(results);
    expect(dump).not.toContain('198.51.100');
    expect(dump).not.toContain('v-client-made');
  });

  it('gives the same browser a different id on another site', async () => {
    const one = await registerSite({ visitor_ids: 'cookieless' });
    const two = await registerSite({ visitor_ids: 'cookieless' });
    await send(one.id, '198.51.100.9', CHROME);
    await send(two.id, '198.51.100.9', CHROME);
    expect((await visitors(one.id))[0]).not.toBe((await visitors(two.id))[0]);
  });

  it("keeps one salt, today's: a new day makes a new salt and deletes the old ones, so ids rotate daily", async () => {
    const { id } = await registerSite({ visitor_ids: 'cookieless' });
    await send(id, '192.0.2.1', CHROME);
    const today = utcDay(Date.now());
    // Pretend today's salt was made yesterday: the next batch must make a fresh one and delete it.
    await env.DB.prepare(`UPDATE ${TABLE.daily_salts} SET day = ? WHERE day = ?`).bind('2000-01-01', today).run();
    await send(id, '192.0.2.1', CHROME);
    const { results } = await env.DB.prepare(`SELECT day FROM ${TABLE.daily_salts}`).all<{ day: string }>();
    expect(results.map((r) => r.day)).toEqual([today]);
    const [before, after] = await visitors(id);
    expect(after).not.toBe(before);
  });

  it('keeps the client id on a site in the default mode', async () => {
    const { id } = await registerSite();
    await send(id, '192.0.2.2', CHROME, 'v-mine');
    expect(await visitors(id)).toEqual(['v-mine']);
  });
});
