// Per-site options and daily quotas: PATCH validation, 429 quota-exceeded past a quota, the events under it kept, counted in the stats.
import { describe, expect, it } from 'vitest';
import { ADMIN, call, freshEvents, postEvents, registerSite } from '../../test/helpers.ts';
import { DEFAULT_QUOTA } from '../db/sites.ts';
import { report, wire } from '../../test/test-support.ts';
import { fitQuota, secondsToNextUtcDay } from './quota.ts';
import { siteDb, storedEvents } from '../../test/site-rows.ts';
import { TABLE } from '../db/schema.ts';
import { noUsage } from '../db/usage.ts';

const admin = (path: string, method = 'GET', body?: unknown) =>
  call(`/v1/admin/sites/${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
const batch = (site: string, events: unknown[]) => ({ v: 1, site, sent_at: Date.now(), events });
const totals = async (site: string) =>
  ((await (await admin(site)).json()) as { ingestion: { totals: Record<string, number> } }).ingestion.totals;

describe('site options', () => {
  it('shows the default options and quotas of a new site, and changes each with PATCH', async () => {
    const { id } = await registerSite();
    expect(await (await admin(id)).json()).toMatchObject({
      retention_days: null,
      abandon_after: 30,
      require_ingest_key: true,
      quota: DEFAULT_QUOTA,
    });
    const res = await admin(id, 'PATCH', {
      retention_days: 400,
      abandon_after: 0.5,
      require_ingest_key: false,
      quota: { events_per_day: 10, bytes_per_day: 0 },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      retention_days: 400,
      abandon_after: 0.5,
      require_ingest_key: false,
      quota: {
        events_per_day: 10,
        bytes_per_day: 0,
        events_per_visitor_per_day: DEFAULT_QUOTA.events_per_visitor_per_day,
      },
    });
    // Each option alone; the others stay. null clears the retention.
    expect(await (await admin(id, 'PATCH', { retention_days: null })).json()).toMatchObject({
      retention_days: null,
      abandon_after: 0.5,
      quota: { events_per_day: 10 },
    });
  });

  it('refuses malformed options with 400 invalid-site-config and changes nothing', async () => {
    const { id } = await registerSite();
    const bad = [
      { retention_days: 0 },
      { retention_days: 1.5 },
      { retention_days: '30' },
      { retention_days: 36_501 },
      { abandon_after: 0 },
      { abandon_after: -1 },
      { abandon_after: '30' },
      { abandon_after: 525_601 },
      { abandon_after: null },
      { require_ingest_key: 'yes' },
      { require_ingest_key: null },
      { quota: [] },
      { quota: null },
      { quota: 5 },
      { quota: { events_per_day: -1 } },
      { quota: { events_per_day: 1.5 } },
      { quota: { bytes_per_day: '1000' } },
      { quota: { events_per_visitor_per_day: 1e10 } },
      { quota: { events: 5 } },
      { quota: { events_per_day: 5, __proto__x: 1 } },
      { quota: { events_per_day: Number.MAX_SAFE_INTEGER + 2 } },
    ];
    for (const body of bad) {
      const res = await admin(id, 'PATCH', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'invalid-site-config', message: expect.any(String) });
    }
    expect(await (await admin(id)).json()).toMatchObject({
      retention_days: null,
      abandon_after: 30,
      require_ingest_key: true,
      quota: DEFAULT_QUOTA,
    });
  });

  it("uses the site's abandon_after when the query gives none", async () => {
    const site = await registerSite();
    const cart = wire({
      type: 'add_to_cart',
      ts: Date.now() - 5 * 60_000,
      stage: 'decision',
      visitor: 'v1',
      session: 's1',
      items: [{ item_id: 'mug', price: 5, quantity: 1 }],
      currency: 'EUR',
    });
    expect((await postEvents(batch(site.id, [cart]))).status).toBe(200);
    expect((await report(site, 'carts')).carts).toMatchObject({ open: 1, abandoned: 0 });
    await admin(site.id, 'PATCH', { abandon_after: 2 });
    expect((await report(site, 'carts')).carts).toMatchObject({ open: 0, abandoned: 1 });
    expect((await report(site, 'carts', { abandon_after: 30 })).carts).toMatchObject({ open: 1, abandoned: 0 });
  });
});

describe('daily quotas', () => {
  it('past the events quota answers 429 quota-exceeded, keeps the events under it in batch order, counts the rest', async () => {
    const { id } = await registerSite();
    await admin(id, 'PATCH', { quota: { events_per_day: 5 } });
    expect(await (await postEvents(batch(id, freshEvents(3)))).json()).toMatchObject({ accepted: 3 });
    const straddling = freshEvents(4);
    const res = await postEvents(batch(id, straddling));
    expect(res.status).toBe(429);
    expect(await res.json()).toEqual({ error: 'quota-exceeded' });
    // Readable by the page (the script must see a 429 and its Retry-After): the seconds to the next UTC day.
    expect(res.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    const retry = Number(res.headers.get('retry-after'));
    expect(Math.abs(retry - secondsToNextUtcDay(Date.now()))).toBeLessThanOrEqual(2);
    const kept = await siteDb(id)
      .prepare(`SELECT id FROM ${TABLE.events} WHERE site = ? AND id IN (?, ?, ?, ?)`)
      .bind(id, ...straddling.map((e) => e.id))
      .all<{ id: string }>();
    expect(kept.results.map((r) => r.id).sort()).toEqual(
      straddling
        .slice(0, 2)
        .map((e) => e.id)
        .sort(),
    );
    // The script resends the whole batch: nothing stored twice, nothing counted twice.
    expect((await postEvents(batch(id, straddling))).status).toBe(429);
    expect(await storedEvents(id)).toBe(5);
    // The two stored already are duplicates: only the two new ones are refused (and counted) again.
    expect(await totals(id)).toMatchObject({ events: 5, quota_events: 2 + 2, quota_batches: 2 });
  });

  it('past the bytes quota keeps what fits, and counts bytes as the stored JSON', async () => {
    const { id } = await registerSite();
    await admin(id, 'PATCH', { quota: { bytes_per_day: 2_000 } });
    const events = freshEvents(20);
    expect((await postEvents(batch(id, events))).status).toBe(429);
    const { n, bytes } = (await siteDb(id)
      .prepare(`SELECT count(*) AS n, SUM(length(CAST(data AS BLOB))) AS bytes FROM ${TABLE.events} WHERE site = ?`)
      .bind(id)
      .first<{ n: number; bytes: number }>())!;
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(20);
    expect(bytes).toBeLessThanOrEqual(2_000);
    expect(await totals(id)).toMatchObject({ events: n, bytes, quota_events: 20 - n });
  });

  it("past one visitor's quota keeps that visitor's first events and every other visitor's", async () => {
    const { id } = await registerSite();
    await admin(id, 'PATCH', { quota: { events_per_visitor_per_day: 3 } });
    const heavy = freshEvents(5, 'v-heavy');
    const light = freshEvents(2, 'v-light');
    const res = await postEvents(batch(id, [heavy[0], light[0], ...heavy.slice(1), light[1]]));
    expect(res.status).toBe(429);
    const { results } = await siteDb(id)
      .prepare(`SELECT visitor, count(*) AS n FROM ${TABLE.events} WHERE site = ? GROUP BY visitor ORDER BY visitor`)
      .bind(id)
      .all();
    expect(results).toEqual([
      { visitor: 'v-heavy', n: 3 },
      { visitor: 'v-light', n: 2 },
    ]);
    // The next batch of the heavy visitor is refused whole; the light one still sends.
    expect((await postEvents(batch(id, freshEvents(1, 'v-heavy')))).status).toBe(429);
    expect((await postEvents(batch(id, freshEvents(1, 'v-light')))).status).toBe(200);
    expect(await totals(id)).toMatchObject({ events: 6, quota_events: 3, quota_batches: 2 });
  });

  it('batches in flight together never pass the quota: each reserves its events in the transaction that stores them', async () => {
    const { id } = await registerSite();
    await admin(id, 'PATCH', { quota: { events_per_day: 100 } });
    // 12 batches of 20 events at once, as many tabs or an attacker would send: 240 events for a quota of 100.
    const replies = await Promise.all(
      Array.from({ length: 12 }, () => postEvents(batch(id, freshEvents(20))).then((r) => r.status)),
    );
    expect(replies.filter((s) => s === 200).length).toBeGreaterThan(0);
    expect(replies.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(await storedEvents(id)).toBeLessThanOrEqual(100);
    // The usage counted is what was stored, to the event.
    expect((await totals(id)).events).toBe(await storedEvents(id));
  });

  it('a batch already stored is answered as duplicates once the quota is full: it takes nothing from it', async () => {
    const { id } = await registerSite();
    await admin(id, 'PATCH', { quota: { events_per_day: 3 } });
    const events = freshEvents(3);
    expect(await (await postEvents(batch(id, events))).json()).toMatchObject({ accepted: 3, duplicates: 0 });
    // The script resends it (its answer was lost): stored already, nothing refused, nothing counted again.
    const resend = await postEvents(batch(id, events));
    expect(resend.status).toBe(200);
    expect(await resend.json()).toMatchObject({ accepted: 0, duplicates: 3 });
    // A new event still finds the quota full.
    expect((await postEvents(batch(id, freshEvents(1)))).status).toBe(429);
    expect(await storedEvents(id)).toBe(3);
    expect(await totals(id)).toMatchObject({ events: 3, quota_events: 1, quota_batches: 1 });
  });

  it('an event stored already takes no quota: beside it, the new events that fit are stored', async () => {
    const { id } = await registerSite();
    await admin(id, 'PATCH', { quota: { events_per_day: 3 } });
    const [e1, e2] = freshEvents(2, 'v-one');
    const [n1, n2] = freshEvents(2, 'v-two');
    expect(await (await postEvents(batch(id, [e1, e2]))).json()).toMatchObject({ accepted: 2 });
    // One event left today: e1 is stored already and takes nothing, so n1 fits and n2 does not.
    expect((await postEvents(batch(id, [e1, n1, n2]))).status).toBe(429);
    const { results } = await siteDb(id)
      .prepare(`SELECT id FROM ${TABLE.events} WHERE site = ? ORDER BY id`)
      .bind(id)
      .all<{ id: string }>();
    expect(results.map((r) => r.id)).toEqual([e1!.id, e2!.id, n1!.id].sort());
    // Only n2 was refused: the duplicate is not counted in quota_events.
    expect(await totals(id)).toMatchObject({ events: 3, quota_events: 1, quota_batches: 1 });
  });

  it('with a quota of 0, a batch stored already is answered 200 as duplicates and counted nowhere', async () => {
    const { id } = await registerSite();
    const events = freshEvents(2);
    expect(await (await postEvents(batch(id, events))).json()).toMatchObject({ accepted: 2 });
    await admin(id, 'PATCH', { quota: { events_per_day: 0 } });
    const resend = await postEvents(batch(id, events));
    expect(resend.status).toBe(200);
    expect(await resend.json()).toMatchObject({ accepted: 0, duplicates: 2 });
    // The same with the site's usage already past a lowered visitor quota.
    await admin(id, 'PATCH', { quota: { events_per_day: 100, events_per_visitor_per_day: 1 } });
    expect(await (await postEvents(batch(id, events))).json()).toMatchObject({ accepted: 0, duplicates: 2 });
    expect(await totals(id)).toMatchObject({ events: 2, quota_events: 0, quota_batches: 0 });
    // A new event still finds the quota full.
    await admin(id, 'PATCH', { quota: { events_per_day: 0 } });
    expect((await postEvents(batch(id, freshEvents(1)))).status).toBe(429);
    expect(await totals(id)).toMatchObject({ events: 2, quota_events: 1, quota_batches: 1 });
  });

  it('a quota of 0 stops ingestion of the site; raising it lets the same batch in', async () => {
    const { id } = await registerSite();
    await admin(id, 'PATCH', { quota: { events_per_day: 0 } });
    const events = freshEvents(2);
    expect((await postEvents(batch(id, events))).status).toBe(429);
    expect(await storedEvents(id)).toBe(0);
    await admin(id, 'PATCH', { quota: { events_per_day: 100 } });
    expect(await (await postEvents(batch(id, events))).json()).toMatchObject({ accepted: 2 });
  });

  it('bounds a path flood with the default quotas: 80 batches of 500 page views with 1,700-character paths', () => {
    const path = `/${'p'.repeat(1_700)}`;
    const rows = Array.from({ length: 80 * 500 }, (_, i) => ({
      id: `e${i}`,
      visitor: `v${i % 500}`,
      bytes: path.length + 250,
    }));
    const { fits } = fitQuota(rows, noUsage(), DEFAULT_QUOTA);
    const kept = rows.filter((_, i) => fits[i]);
    expect(kept.reduce((n, r) => n + r.bytes, 0)).toBeLessThanOrEqual(DEFAULT_QUOTA.bytes_per_day);
    // About 12,800 of the 40,000 events a day; the rest wait for the next day.
    expect(kept.length).toBe(Math.floor(DEFAULT_QUOTA.bytes_per_day / (path.length + 250)));
  });

  it('answers Retry-After in seconds to the next UTC midnight', () => {
    expect(secondsToNextUtcDay(Date.UTC(2026, 10, 23, 23, 59, 0))).toBe(60);
    expect(secondsToNextUtcDay(Date.UTC(2026, 10, 23, 0, 0, 0))).toBe(86_400);
    expect(secondsToNextUtcDay(Date.UTC(2026, 10, 23, 23, 59, 59, 999))).toBe(1);
  });
});
