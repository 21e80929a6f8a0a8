// A site of several shards (admin `shards`): each visitor's rows in the one shard a hash of the visitor picks, replies,
// reports, the export and erasure the same as a site of one shard fed the same traffic (the exactness of the merges).
// Runs in both layouts (vitest.config.ts): in the one D1 the shard count changes nothing, which the same checks show.
import { env } from 'cloudflare:workers';
import type { BreakdownReport, WireEvent } from '@parcours/protocol';
import { generateJourneys } from '@parcours/traffic';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, call, registerSite } from '../../test/helpers.ts';
import { eventsByShard } from '../../test/site-rows.ts';
import { consume, postWithEnv, queueMode } from '../../test/queue-support.ts';
import { everyReport, get, ORIGIN, report, text, wire } from '../../test/test-support.ts';
import { toBase64Url } from '../reports/events.ts';
import { PART_LIMIT, type ShardAnswer } from '../reports/merge.ts';
import { windowsFor } from '../reports/medians.ts';
import { INGEST_QUEUE_NAME } from '../queue-ingest/index.ts';
import type { Metric } from '../schedule/alert-metrics.ts';
import { shardIndex, shardOf, sharded, siteStorage, unwrap } from './storage.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.now();

const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

type TestSite = Awaited<ReturnType<typeof registerSite>>;

/** Posts a batch as a visitor's browser would (its own User-Agent), failing on any status but 200. */
async function post(site: string, events: WireEvent[], userAgent = BROWSER) {
  const res = await call('/v1/events', {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: ORIGIN, 'user-agent': userAgent },
    body: JSON.stringify({ v: 1, site, sent_at: Date.now(), events }),
  });
  if (res.status !== 200) throw new Error(`POST /v1/events: ${res.status} ${await res.text()}`);
  return res.json() as Promise<{ accepted: number; duplicates: number; rejected: unknown[] }>;
}

/** Every page of the export, `limit` lines a page: the lines' ids in the order given. */
async function exportAll(
  site: TestSite,
  limit: number,
  from: number,
): Promise<Array<{ id: string; received_at: number }>> {
  const lines: Array<{ id: string; received_at: number }> = [];
  let cursor: string | null = null;
  do {
    const res = await get(site, 'events', {
      limit,
      from: new Date(from).toISOString(),
      ...(cursor ? { cursor } : {}),
    });
    expect(res.status).toBe(200);
    const body = await text(res);
    lines.push(
      ...body
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
    );
    cursor = res.headers.get('x-next-cursor');
  } while (cursor);
  return lines;
}

const erase = (site: string, visitor: string) =>
  call(`/v1/admin/sites/${site}/visitors/${visitor}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${ADMIN}` },
  });

describe('a site of several shards', () => {
  let one: TestSite;
  let four: TestSite;
  const journeys = generateJourneys({ seed: 15, visitors: 150, now: NOW, fromDaysAgo: 6, toDaysAgo: 1 });
  const periods = [
    [NOW - 8 * DAY, NOW],
    [NOW - 4 * DAY - 5 * HOUR, NOW - 2 * DAY + 7 * HOUR],
  ] as const;

  beforeAll(async () => {
    one = await registerSite();
    four = await registerSite({ shards: 4 });
    // The same batches to both sites: each journey in batches of up to 50, with its browser's User-Agent.
    for (const j of journeys)
      for (let i = 0; i < j.events.length; i += 50) {
        const batch = j.events.slice(i, i + 50);
        const [a, b] = [await post(one.id, batch, j.userAgent), await post(four.id, batch, j.userAgent)];
        expect(b).toEqual(a);
      }
  }, 300_000);

  it('registers with `shards`, shows it, and refuses to change it or a count out of range', async () => {
    const site = await (
      await call(`/v1/admin/sites/${four.id}`, { headers: { authorization: `Bearer ${ADMIN}` } })
    ).json();
    expect(site).toMatchObject({ id: four.id, shards: 4 });
    const patch = await call(`/v1/admin/sites/${four.id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ shards: 2 }),
    });
    expect(patch.status).toBe(400);
    for (const shards of [0, 65, 1.5, '2'])
      await expect(registerSite({ shards: shards as number })).rejects.toThrow(/400/);
    // What GET answered, sent back unchanged, is no change.
    const same = await call(`/v1/admin/sites/${four.id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ shards: 4, abandon_after: 45 }),
    });
    expect(same.status).toBe(200);
    expect(await same.json()).toMatchObject({ shards: 4, abandon_after: 45 });
  });

  it('keeps a cookieless site in one shard: its visitor ids change, an event sent again must reach the same shard', async () => {
    await expect(registerSite({ shards: 4, visitor_ids: 'cookieless' })).rejects.toThrow(/400.*one shard/);
    const patch = await call(`/v1/admin/sites/${four.id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ visitor_ids: 'cookieless' }),
    });
    expect(patch.status).toBe(400);
    expect(((await patch.json()) as { message: string }).message).toMatch(/one shard/);
    expect((await registerSite({ shards: 1, visitor_ids: 'cookieless' })).id).toBeTruthy();
  });

  it("keeps each visitor's events in exactly one shard, the one their hash picks, none lost or doubled", async () => {
    if (!sharded(env)) return;
    const rows = await eventsByShard(four.id, 4);
    const visitors = rows.map(([, v]) => v);
    expect(new Set(visitors).size).toBe(visitors.length);
    for (const [k, visitor] of rows) expect(k).toBe(shardIndex(visitor, 4));
    expect(new Set(rows.map(([k]) => k)).size).toBe(4);
    const stored = rows.reduce((n, [, , events]) => n + events, 0);
    expect(stored).toBe(journeys.reduce((n, j) => n + j.events.length, 0));
    expect((await eventsByShard(one.id, 1)).reduce((n, [, , events]) => n + events, 0)).toBe(stored);
  });

  it('answers one reply for a batch of visitors of every shard: accepted, then duplicates, summed', async () => {
    const site = await registerSite({ shards: 4 });
    const events = Array.from({ length: 40 }, (_, i) =>
      wire({
        type: 'page_view',
        ts: NOW - 60_000 + i,
        stage: 'awareness',
        visitor: `v${i % 13}`,
        session: `s${i % 13}`,
      }),
    );
    const bad = { ...events[0]!, id: '' };
    expect(await post(site.id, [...events, bad])).toEqual({
      accepted: 40,
      duplicates: 0,
      rejected: [{ index: 40, error: 'invalid-id' }],
    });
    expect(await post(site.id, events)).toEqual({ accepted: 0, duplicates: 40, rejected: [] });
    const stats = await (
      await call(`/v1/admin/sites/${site.id}`, { headers: { authorization: `Bearer ${ADMIN}` } })
    ).json<{ ingestion: { totals: { events: number } } }>();
    expect(stats.ingestion.totals.events).toBe(40);
    // A crawler's batch of visitors of every shard is counted once, stored nowhere.
    const crawler = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
    const fresh = events.map((e) => ({ ...e, id: crypto.randomUUID() }));
    expect(await post(site.id, fresh, crawler)).toEqual({ accepted: 0, duplicates: 0, rejected: [], filtered: 40 });
    const after = await (
      await call(`/v1/admin/sites/${site.id}`, { headers: { authorization: `Bearer ${ADMIN}` } })
    ).json<{ ingestion: { totals: Record<string, number> } }>();
    expect(after.ingestion.totals).toMatchObject({ events: 40, bot_events: 40, bot_batches: 1 });
  });

  it("stores a queued batch once in its visitors' shards, however often the queue delivers it", async () => {
    const site = await registerSite({ shards: 4 });
    const mode = queueMode(false);
    const events = Array.from({ length: 30 }, (_, i) =>
      wire({
        type: 'page_view',
        ts: NOW - 60_000 + i,
        stage: 'awareness',
        visitor: `q${i % 11}`,
        session: `s${i % 11}`,
      }),
    );
    const res = await postWithEnv(mode.env, { v: 1, site: site.id, sent_at: Date.now(), events });
    expect(await res.json()).toEqual({ accepted: 30, duplicates: 0, rejected: [] });
    // One message for the batch, delivered twice (a redelivery), then once more in a later batch.
    expect(mode.sent).toHaveLength(1);
    expect((await consume(INGEST_QUEUE_NAME, [mode.sent[0], mode.sent[0]])).explicitAcks).toHaveLength(2);
    expect((await consume(INGEST_QUEUE_NAME, mode.sent)).explicitAcks).toHaveLength(1);
    const stored = await siteStorage(env, { id: site.id, shards: 4, generation: 0 }).counts(site.id);
    expect(stored.totals.events).toBe(30);
    if (sharded(env)) {
      const rows = await eventsByShard(site.id, 4);
      expect(rows.reduce((n, [, , count]) => n + count, 0)).toBe(30);
      for (const [k, visitor] of rows) expect(k).toBe(shardIndex(visitor, 4));
    }
  });

  it("drops every erased visitor's queued rows, each shard by its own erasure memory", async () => {
    if (!sharded(env)) return;
    const site = await registerSite({ shards: 2 });
    const mode = queueMode(false);
    // One visitor of each shard erased while the batch waits in the queue, and one kept: each shard then counts one
    // erasure, under its own key.
    const pick = (k: number, n: number) =>
      Array.from({ length: 200 }, (_, i) => `e${i}`)
        .filter((v) => shardIndex(v, 2) === k)
        .slice(0, n);
    const [erased0, kept0] = pick(0, 2);
    const [erased1] = pick(1, 1);
    const events = [erased0!, kept0!, erased1!].map((visitor, i) =>
      wire({ type: 'page_view', ts: NOW - 60_000 + i, stage: 'awareness', visitor, session: `s-${visitor}` }),
    );
    expect((await postWithEnv(mode.env, { v: 1, site: site.id, sent_at: Date.now(), events })).status).toBe(200);
    for (const visitor of [erased0, erased1]) {
      const res = await call(`/v1/admin/sites/${site.id}/visitors/${visitor}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${ADMIN}` },
      });
      expect(res.status).toBe(200);
    }
    await consume(INGEST_QUEUE_NAME, mode.sent);
    expect((await eventsByShard(site.id, 2)).map(([, v]) => v)).toEqual([kept0]);
  });

  it('answers every report, with and without filters and breakdowns, as the site of one shard', async () => {
    const answers = await everyReport(four, periods);
    expect(answers).toEqual(await everyReport(one, periods));
    // Not a comparison of empty answers: the period holds visitors, answers, forms, carts and medians of each kind.
    const [from, to] = [new Date(periods[0][0]).toISOString(), new Date(periods[0][1]).toISOString()];
    const [funnel, satisfaction, forms, carts, kpis] = await Promise.all(
      ['funnel', 'satisfaction', 'forms', 'carts', 'kpis'].map((name) => report(four, name, { from, to })),
    );
    expect(funnel.stages[0].visitors).toBeGreaterThan(50);
    expect(funnel.stages[1].median_ms_from_previous).toBeGreaterThan(0);
    expect(satisfaction.overall.responses).toBeGreaterThan(0);
    expect(forms.forms.length).toBeGreaterThan(0);
    // Field entries of several shards, medians included (each shard reads its own form_fields rows).
    const fields = forms.forms.flatMap(
      (f: { fields: Array<{ hesitation_ms: number | null; refocuses: number }> }) => f.fields,
    );
    expect(fields.filter((f: { hesitation_ms: number | null }) => f.hesitation_ms !== null).length).toBeGreaterThan(3);
    expect(fields.some((f: { refocuses: number }) => f.refocuses > 0)).toBe(true);
    expect(carts.carts.abandoned).toBeGreaterThan(0);
    expect(kpis.decision.median_decision_ms).toBeGreaterThan(0);
  });

  it('answers filtered and cut lists as the site of one shard', async () => {
    const [from, to] = [new Date(periods[0][0]).toISOString(), new Date(periods[0][1]).toISOString()];
    for (const [name, query] of [
      ['funnel', { device: 'mobile' }],
      ['transitions', { channel: 'direct,organic_search' }],
      ['kpis', { device: 'desktop' }],
      ['friction', { limit: '3' }],
      ['carts', { limit: '2', abandon_after: '90' }],
      ['breakdown', { by: 'browser', limit: '2' }],
      ['timeseries', { interval: 'day', device: 'mobile' }],
    ] as const)
      expect(await report(four, name, { ...query, from, to }), name).toEqual(
        await report(one, name, { ...query, from, to }),
      );
  });

  it.skipIf(!sharded(env))(
    "answers the medians' second round from its values read again once it forgot them",
    async () => {
      const site = { id: four.id, stages: ['awareness', 'consideration', 'decision', 'retention', 'advocacy'] };
      const range = { from: periods[0][0], to: periods[0][1], now: NOW };
      const q = { range, abandonAfter: 30, limit: PART_LIMIT, cursor: null, by: null, interval: null };
      const shard = shardOf(env, four.id, 0);
      const first = unwrap(await shard.reportPart('kpis', site, q)) as ShardAnswer & { kept: string };
      const windows = windowsFor([first.partial.samples]);
      const kept = unwrap(await shard.medianSlices(first.kept, 'kpis', site, q, windows));
      expect(Object.values(kept).some((slice) => slice.inside.length > 0)).toBe(true);
      // The values are forgotten once read (as after a restart): asked again, the shard reads them again, the same.
      expect(unwrap(await shard.medianSlices(first.kept, 'kpis', site, q, windows))).toEqual(kept);
    },
  );

  it('reads every alert metric as the site of one shard', async () => {
    const range = { from: periods[0][0], to: periods[0][1], now: NOW };
    const stages = ['awareness', 'consideration', 'decision', 'retention', 'advocacy'];
    const metric = (site: TestSite, shards: number, m: Metric) =>
      siteStorage(env, { id: site.id, shards, generation: 0 }).metric({ id: site.id, stages }, m, range, 30);
    const metrics: Metric[] = [
      { name: 'nps' },
      { name: 'csat' },
      { name: 'conversion_rate' },
      { name: 'abandonment_rate' },
      { name: 'visitors' },
      { name: 'entered', arg: 'decision' },
      { name: 'exit_rate', arg: '/cart' },
      { name: 'form_abandon_rate', arg: 'checkout' },
    ];
    const values = await Promise.all(metrics.map((m) => metric(four, 4, m)));
    expect(values).toEqual(await Promise.all(metrics.map((m) => metric(one, 1, m))));
    // Every metric but NPS (this traffic gives no NPS answer in the period) has something to measure.
    expect(
      values.slice(1).every((v) => v !== null && v > 0),
      JSON.stringify(values),
    ).toBe(true);
  });

  it("rates a breakdown row's buyers over its visitors when a buyer viewed no page in the period", async () => {
    const [a, b] = [await registerSite(), await registerSite({ shards: 4 })];
    // Two visitors of different shards in direct sessions: one viewed a page before the period and bought in it, the
    // other only viewed a page in it. Buyers 1 over visitors 1, though the buyer's shard alone has buyers 1 over 0.
    const ids = Array.from({ length: 40 }, (_, i) => `bv${i}`);
    const buyer = ids[0]!;
    const viewer = ids.find((v) => shardIndex(v, 4) !== shardIndex(buyer, 4))!;
    const t = NOW - 2 * HOUR;
    const events = [
      wire({ type: 'page_view', ts: t - HOUR, stage: 'decision', visitor: buyer, session: 'b1', path: '/cart' }),
      wire({
        type: 'purchase',
        ts: t + 60_000,
        stage: 'decision',
        visitor: buyer,
        session: 'b1',
        value: 10,
        currency: 'EUR',
      }),
      wire({ type: 'page_view', ts: t + 120_000, stage: 'awareness', visitor: viewer, session: 'v1', path: '/' }),
    ];
    for (const site of [a, b]) await post(site.id, events);
    const query = { by: 'channel', from: new Date(t).toISOString(), to: new Date(NOW).toISOString() };
    const merged = await report<BreakdownReport>(b, 'breakdown', query);
    expect(merged).toEqual(await report(a, 'breakdown', query));
    expect(merged.rows).toMatchObject([{ value: 'direct', visitors: 1, purchases: 1, conversion_rate: 1 }]);
  });

  it('exports every event once across shards, paged by an opaque cursor, oldest received first', async () => {
    const from = NOW - 8 * DAY;
    const all = await exportAll(four, 97, from);
    const ids = all.map((l) => l.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids)).toEqual(new Set((await exportAll(one, 1000, from)).map((l) => l.id)));
    for (let i = 1; i < all.length; i++) expect(all[i]!.received_at).toBeGreaterThanOrEqual(all[i - 1]!.received_at);
    // A made-up cursor, or one naming no event of each shard, is refused.
    for (const cursor of ['bm90LWEtY3Vyc29y', toBase64Url('[null]'), toBase64Url('["x","y",null,null]')])
      expect((await get(four, 'events', { cursor })).status, cursor).toBe(400);
  });

  it('refuses a trend of too many points with 400 invalid-query, as the site of one shard', async () => {
    // A shard answers satisfaction from its partial alone (no report of its own), which refuses the query the same way.
    for (const name of ['satisfaction', 'timeseries'])
      for (const site of [one, four]) {
        const res = await get(site, name, { interval: 'hour', from: '2000-01-01' });
        expect(res.status, `${name}, ${site === one ? 1 : 4} shards`).toBe(400);
        expect(await res.json()).toMatchObject({ error: 'invalid-query', message: expect.stringMatching(/at most/) });
      }
  });

  it('erases a visitor from their shard: the reports stay those of the site of one shard', async () => {
    const visitor = journeys.find((j) => j.events.some((e) => e.type === 'purchase'))!.visitor;
    const [a, b] = [await (await erase(one.id, visitor)).json(), await (await erase(four.id, visitor)).json()];
    expect(b).toEqual(a);
    expect((a as { events_deleted: number }).events_deleted).toBeGreaterThan(0);
    if (sharded(env)) expect((await eventsByShard(four.id, 4)).filter(([, v]) => v === visitor)).toEqual([]);
    expect(await everyReport(four, periods.slice(0, 1))).toEqual(await everyReport(one, periods.slice(0, 1)));
  });

  it('deletes raw events before a retention horizon in every shard: what is left, and the reports, as one shard', async () => {
    const horizon = NOW - 3 * DAY;
    const [a, b] = [
      await siteStorage(env, { id: one.id, shards: 1, generation: 0 }).deleteBefore(one.id, horizon, 1_000_000),
      await siteStorage(env, { id: four.id, shards: 4, generation: 0 }).deleteBefore(four.id, horizon, 1_000_000),
    ];
    expect(b).toEqual(a);
    expect(a.events).toBeGreaterThan(0);
    const from = NOW - 8 * DAY;
    expect((await exportAll(four, 1000, from)).map((l) => l.id).sort()).toEqual(
      (await exportAll(one, 1000, from)).map((l) => l.id).sort(),
    );
    expect(await everyReport(four, periods.slice(0, 1))).toEqual(await everyReport(one, periods.slice(0, 1)));
  });
});
