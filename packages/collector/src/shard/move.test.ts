// Moving a site to another shard count (admin `POST /v1/admin/sites/{site}/shards`, src/shard/move.ts): the reports
// after the move are those before it and those of a twin site that never moved, events sent during the move are all
// stored once, a move cut short anywhere resumes to the same end, every visitor ends in exactly one new shard, and the
// old shards end empty; a site whose retention has deleted raw events moves the same. Runs in both layouts
// (vitest.config.ts): in the one D1 a move only records the count.
import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { parseBatch, type WireEvent } from '@parcours/protocol';
import { generateJourneys, type Journey } from '@parcours/traffic';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, call, freshEvents, registerSite } from '../../test/helpers.ts';
import { consume, postWithEnv, queueMode } from '../../test/queue-support.ts';
import { eventsByShard } from '../../test/site-rows.ts';
import { everyReport, send } from '../../test/test-support.ts';
import { leaveCart, registerWebhook } from '../../test/webhook-support.ts';
import { pathTextSql } from '../db/insert-sql.ts';
import { DERIVED, type DerivedTable, isPathField, storedColumn, TABLE } from '../db/schema.ts';
import { getSite } from '../db/sites.ts';
import { visitorRollups } from '../derive/store.ts';
import { INGEST_QUEUE_NAME } from '../queue-ingest/index.ts';
import { storeOrQueue } from '../routes/events.ts';
import { abandonedCarts, type SiteToCheck } from '../schedule/carts.ts';
import { runSchedule } from '../schedule/index.ts';
import { applyRetention, retentionHorizon } from '../schedule/retention.ts';
import { eraseInMove, type MoveState, moveStep, type StepOptions } from './move.ts';
import type { MovePage } from './move-rows.ts';
import { shardDatabase } from './sql-d1.ts';
import { shardIndex, shardOf, sharded, siteStorageById } from './storage.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.now();

type TestSite = Awaited<ReturnType<typeof registerSite>>;
type Shards = { shards: number; move: MoveState | null };

const admin = (path: string, init: RequestInit = {}) =>
  call(`/v1/admin/sites/${path}`, {
    ...init,
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json', ...init.headers },
  });

const moveTo = (site: string, body: unknown) => admin(`${site}/shards`, { method: 'POST', body: JSON.stringify(body) });

/** Each journey's events in batches of up to 50, as its browser sends them. */
async function sendJourneys(sites: TestSite[], journeys: Array<Pick<Journey, 'events' | 'userAgent'>>) {
  for (const j of journeys)
    for (let i = 0; i < j.events.length; i += 50)
      for (const site of sites) await send(site.id, j.events.slice(i, i + 50), Date.now(), j.userAgent);
}

/** Each event of these journeys on its own, in order: traffic to send while a move runs. */
const oneByOne = (journeys: Journey[]) => journeys.flatMap((j) => j.events.map((e) => ({ ...j, events: [e] })));

/** A step's `afterPart` sending the next of these events to every site. */
const sendNext = (sites: TestSite[], late: Journey[]) => async () => {
  const next = late.shift();
  if (next) await sendJourneys(sites, [next]);
};

/** The events of `late` not sent yet, in batches of up to 50 from one browser. */
async function sendRest(sites: TestSite[], late: Journey[]) {
  const rest = late.splice(0);
  for (let i = 0; i < rest.length; ) {
    const { userAgent } = rest[i]!;
    const events: WireEvent[] = [];
    while (i < rest.length && rest[i]!.userAgent === userAgent && events.length < 50)
      events.push(rest[i++]!.events[0]!);
    await sendJourneys(sites, [{ events, userAgent }]);
  }
}

/** Runs steps of the site's move until it is done (at most `limit`), answering the last state. */
async function moveToEnd(site: string, options: StepOptions, limit = 200): Promise<MoveState> {
  for (let i = 0; i < limit; i++) {
    const state = await moveStep(env, site, options);
    if (!state || state.phase === 'done') return state!;
  }
  throw new Error(`the move of ${site} did not end in ${limit} steps`);
}

/** Every visitor's events in the site's shards now: each visitor in one shard, the one their hash picks. */
async function checkPlacement(site: string, count: number, generation: number, total: number) {
  const rows = await eventsByShard(site, count, generation);
  const visitors = rows.map(([, v]) => v);
  expect(new Set(visitors).size).toBe(visitors.length);
  for (const [k, visitor] of rows) expect(k).toBe(shardIndex(visitor, count));
  expect(rows.reduce((n, [, , events]) => n + events, 0)).toBe(total);
}

/** The per-field entries of the form events sent. */
const fieldEntries = (journeys: Array<{ events: WireEvent[] }>) =>
  journeys.reduce((n, j) => n + j.events.reduce((m, e) => m + (e.fields?.length ?? 0), 0), 0);

/** The form_fields rows in the site's shards of generation `generation`: one per entry of the form events stored. */
async function fieldRows(site: string, count: number, generation: number): Promise<number> {
  let n = 0;
  for (let k = 0; k < count; k++)
    n += await runInDurableObject(shardOf(env, site, k, generation), async (_shard, state) => {
      const row = await shardDatabase(state.storage)
        .prepare(`SELECT COUNT(*) AS n FROM ${TABLE.form_fields} WHERE site = ?`)
        .bind(site)
        .first<{ n: number }>();
      return row!.n;
    });
  return n;
}

const eventCount = (journeys: Array<{ events: WireEvent[] }>) => journeys.reduce((n, j) => n + j.events.length, 0);

describe('moving a site to another shard count', () => {
  let twin: TestSite;
  let one: TestSite;
  let four: TestSite;
  const journeys = generateJourneys({ seed: 8, visitors: 50, now: NOW, fromDaysAgo: 6, toDaysAgo: 1 });
  // The first two thirds of each journey before the move, the rest during it (returning visitors and their carts).
  const cut = (j: Journey) => Math.ceil((j.events.length * 2) / 3);
  const before = journeys.map((j) => ({ ...j, events: j.events.slice(0, cut(j)) }));
  const during = journeys.map((j) => ({ ...j, events: j.events.slice(cut(j)) }));
  const periods = [
    [NOW - 8 * DAY, NOW],
    [NOW - 4 * DAY - 5 * HOUR, NOW - 2 * DAY + 7 * HOUR],
  ] as const;

  beforeAll(async () => {
    twin = await registerSite();
    one = await registerSite();
    four = await registerSite({ shards: 4 });
    await sendJourneys([twin, one], before);
    await sendJourneys([four], journeys);
  }, 300_000);

  it('refuses a count out of range, a cookieless site of several shards, an unknown site, with a code and a message', async () => {
    for (const shards of [0, 65, 1.5, '2', null]) {
      const res = await moveTo(one.id, { shards });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: 'invalid-site-config', message: expect.stringMatching(/1 to 64/) });
    }
    for (const body of [{}, { shards: 2, extra: 1 }]) expect((await moveTo(one.id, body)).status).toBe(400);
    const cookieless = await registerSite({ visitor_ids: 'cookieless' });
    const res = await moveTo(cookieless.id, { shards: 2 });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(/one shard/);
    expect((await moveTo('no-such-site', { shards: 2 })).status).toBe(404);
    expect(await (await admin(`${one.id}/shards`)).json()).toEqual({ shards: 1, move: null });
    // Its own count: nothing to do, nothing started.
    const same = await moveTo(one.id, { shards: 1 });
    expect(same.status).toBe(200);
    expect(await same.json()).toEqual({ shards: 1, move: null });
  });

  it('moves 1 → 4 while events keep coming, through an interrupted step: reports equal to the twin, nothing lost or doubled', async () => {
    const reportsBefore = await everyReport(one, periods);
    expect(reportsBefore).toEqual(await everyReport(twin, periods));

    const started = await moveTo(one.id, { shards: 4 });
    expect(started.status).toBe(sharded(env) ? 202 : 200);
    const state = (await started.json()) as Shards;
    if (!sharded(env)) {
      // The one D1: the count is recorded at once, the rows stay where they are.
      expect(state).toMatchObject({ shards: 4, move: { from: 1, to: 4, phase: 'done' } });
      await sendJourneys([twin, one], during);
      expect(await everyReport(one, periods)).toEqual(await everyReport(twin, periods));
      return;
    }
    expect(state).toMatchObject({ shards: 1, move: { from: 1, to: 4, phase: 'history', copied: 0 } });
    // Asked again, the same move answers; another count is refused while it runs.
    expect((await moveTo(one.id, { shards: 4 })).status).toBe(202);
    const other = await moveTo(one.id, { shards: 2 });
    expect(other.status).toBe(409);
    expect(await other.json()).toMatchObject({ error: 'move-in-progress' });

    // Two pages of visitors, then stopped: the reports still come whole from the old shard.
    const first = (await moveStep(env, one.id, { pages: 2, pageEvents: 50 }))!;
    expect(first).toMatchObject({ phase: 'history', steps: 1 });
    expect(first.copied).toBeGreaterThan(0);
    await sendJourneys([twin, one], during.slice(0, 25));
    expect(await everyReport(one, periods)).toEqual(await everyReport(twin, periods));

    // A step that fails after one new shard stored its part of a page: the page is not recorded, and runs again.
    let parts = 0;
    await expect(
      moveStep(env, one.id, {
        pageEvents: 50,
        afterPart: async () => {
          if (++parts === 2) throw new Error('interrupted');
        },
      }),
    ).rejects.toThrow('interrupted');
    expect(await moveStep(env, one.id, { pages: 0 })).toMatchObject({ phase: 'history', copied: first.copied });

    // The rest of the traffic comes while the move runs, a batch after each part it stores: the last ones land in the
    // old shard after its last page was read, before the switch, and only the drain brings them over.
    const more = generateJourneys({ seed: 9, visitors: 40, now: NOW, fromDaysAgo: 6, toDaysAgo: 1 });
    const late = oneByOne([...during.slice(25), ...more]);
    const afterPart = sendNext([twin, one], late);
    let copiedAtSwitch = -1;
    let end = await moveStep(env, one.id, { pageEvents: 50, afterPart });
    for (let i = 0; i < 100 && end!.phase !== 'done'; i++) {
      if (end!.phase === 'drain' && copiedAtSwitch < 0) copiedAtSwitch = end!.copied;
      end = await moveStep(env, one.id, { pageEvents: 50, afterPart });
    }
    // Events were still arriving when the old shard was last read: the drain brought them.
    expect(late.length).toBeGreaterThan(0);
    expect(copiedAtSwitch).toBeGreaterThan(0);
    expect(end!.copied).toBeGreaterThan(copiedAtSwitch);
    await sendRest([twin, one], late);
    // Copied: what the old shard held (events sent after the switch went to the new shards themselves).
    expect(end).toMatchObject({ from: 1, to: 4, phase: 'done' });
    expect(end!.copied).toBeGreaterThanOrEqual(eventCount(before));
    expect(end!.switched_at).not.toBeNull();

    const site = (await getSite(env.DB, one.id))!;
    expect(site).toMatchObject({ shards: 4, generation: 1 });
    expect(await everyReport(one, periods)).toEqual(await everyReport(twin, periods));
    await checkPlacement(one.id, 4, 1, eventCount(journeys) + eventCount(more));
    expect(await fieldRows(one.id, 4, 1)).toBe(fieldEntries(journeys) + fieldEntries(more));
    expect(await eventsByShard(one.id, 1, 0)).toEqual([]);
    // Nothing else left either: sessions, derived rows, rollups, counters.
    const left = await runInDurableObject(shardOf(env, one.id, 0, 0), async (_shard, state) => {
      const db = shardDatabase(state.storage);
      const tables = [TABLE.sessions, TABLE.page_views, TABLE.transitions, TABLE.page_view_hours, TABLE.site_stats];
      return Promise.all(tables.map((t) => db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).first<number>('n')));
    });
    expect(left).toEqual([0, 0, 0, 0, 0]);
    // The counters of what was stored are the twin's.
    const ingestion = async (id: string) =>
      ((await (await admin(id)).json()) as { ingestion: { totals: object } }).ingestion.totals;
    expect(await ingestion(one.id)).toEqual(await ingestion(twin.id));
  }, 300_000);

  it('refuses writes in a retired shard: the request reads the site again and stores in the new shards', async () => {
    if (!sharded(env)) return;
    const { readTokenHash: _, ...site } = (await getSite(env.DB, one.id))!;
    const old = shardOf(env, one.id, 0, 0);
    // What a request holding the site's old row a few seconds more asks, directly or through the queue.
    for (const refused of [
      await old.ingest(site, { events: [] } as never, {} as never),
      await old.prepare(site, { events: [] } as never, {} as never),
    ])
      expect(refused).toMatchObject({ refused: { status: 503, code: 'storage-unavailable', retryAfter: '5' } });
    // The request that met the refusal reads the site again and stores the batch in the new shards.
    const events = freshEvents(4, 'after-the-switch');
    const batch = parseBatch({ v: 1, site: one.id, sent_at: Date.now(), events }, { stages: site.stages });
    if (!batch.ok) throw new Error(batch.error);
    const ctx = { receivedAt: Date.now(), address: '', userAgent: '', bot: false };
    expect(await storeOrQueue(env, { ...site, shards: 1, generation: 0 }, batch, ctx)).toMatchObject({ accepted: 4 });
    expect((await eventsByShard(one.id, 4, 1)).filter(([, v]) => v === 'after-the-switch')).toEqual([
      [shardIndex('after-the-switch', 4), 'after-the-switch', 4],
    ]);
  });

  it('moves 4 → 2 driven by the schedule: reports equal to before the move', async () => {
    const reportsBefore = await everyReport(four, periods);
    expect((await moveTo(four.id, { shards: 2 })).status).toBe(sharded(env) ? 202 : 200);
    const read = async () => ((await (await admin(`${four.id}/shards`)).json()) as Shards).move!;
    let state = await read();
    for (let run = 0; run < 20 && state.phase !== 'done'; run++) {
      await runSchedule(env, Date.now());
      state = await read();
    }
    expect(state).toMatchObject({ from: 4, to: 2, phase: 'done' });
    expect(await everyReport(four, periods)).toEqual(reportsBefore);
    if (!sharded(env)) return;
    await checkPlacement(four.id, 2, 1, eventCount(journeys));
    expect(await fieldRows(four.id, 2, 1)).toBe(fieldEntries(journeys));
    expect(await eventsByShard(four.id, 4, 0)).toEqual([]);
    expect(state.copied).toBe(eventCount(journeys));
  }, 300_000);

  it('erases a visitor during a move in both generations, even from a page read before the erasure', async () => {
    const site = await registerSite();
    const some = journeys.slice(0, 12);
    await sendJourneys([site], some);
    expect((await moveTo(site.id, { shards: 2 })).status).toBe(sharded(env) ? 202 : 200);
    if (!sharded(env)) return;
    await moveStep(env, site.id, { pages: 1, pageEvents: 20 });
    // One visitor erased between a page's read and the write of their part of it (another part stored first),
    // another between two steps.
    const erase = (visitor: string) => admin(`${site.id}/visitors/${visitor}`, { method: 'DELETE' });
    let first = '';
    const afterPart = async (stored: MovePage, page: MovePage) => {
      // The page's first part (the one with its first event): every other visitor of the page is still to be stored.
      const storedVisitors = new Set(stored.events.map((e) => e.row.visitor));
      const later = page.events.find((e) => !storedVisitors.has(e.row.visitor));
      if (first || !later || !storedVisitors.has(page.events[0]!.row.visitor)) return;
      first = later.row.visitor;
      expect((await erase(first)).status).toBe(200);
    };
    await moveStep(env, site.id, { pages: 3, pageEvents: 400, afterPart });
    expect(first).not.toBe('');
    const second = some.map((j) => j.visitor).find((v) => v !== first)!;
    expect((await erase(second)).status).toBe(200);
    expect(await moveToEnd(site.id, { pageEvents: 20 })).toMatchObject({ phase: 'done' });
    const kept = some.filter((j) => j.visitor !== first && j.visitor !== second);
    await checkPlacement(site.id, 2, 1, eventCount(kept));
    const rows = await eventsByShard(site.id, 2, 1);
    expect(rows.map(([, v]) => v).sort()).toEqual([...new Set(kept.map((j) => j.visitor))].sort());
    // An erasure that read the site before the move ended erased in the old shards (emptied by then): the new ones too.
    const [, late, events] = rows[0]!;
    expect(await eraseInMove(env, { id: site.id, shards: 1, generation: 0 }, late)).toBe(events);
    expect((await eventsByShard(site.id, 2, 1)).filter(([, v]) => v === late)).toEqual([]);
  }, 300_000);

  it('refuses cookieless visitor ids while a site of several shards moves to one', async () => {
    if (!sharded(env)) return;
    const site = await registerSite({ shards: 2 });
    expect((await moveTo(site.id, { shards: 1 })).status).toBe(202);
    const res = await admin(site.id, { method: 'PATCH', body: JSON.stringify({ visitor_ids: 'cookieless' }) });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: 'invalid-site-config',
      message: expect.stringMatching(/one shard/),
    });
  });

  it('drops a batch queued before an erasure and delivered after a move, as it would without the move', async () => {
    if (!sharded(env)) return;
    const site = await registerSite({ shards: 2 });
    const mode = queueMode(false);
    // Visitors on both old shards; one is erased while their batch still waits in the queue.
    const visitors = ['v-a', 'v-b', 'v-c', 'v-d'];
    const erased = visitors[0]!;
    const events = visitors.flatMap((visitor) => freshEvents(3, visitor));
    expect((await postWithEnv(mode.env, { v: 1, site: site.id, sent_at: Date.now(), events })).status).toBe(200);
    expect((await admin(`${site.id}/visitors/${erased}`, { method: 'DELETE' })).status).toBe(200);
    expect((await moveTo(site.id, { shards: 3 })).status).toBe(202);
    expect(await moveToEnd(site.id, {})).toMatchObject({ phase: 'done' });
    // The queue delivers the batch now, to the new shards.
    await consume(INGEST_QUEUE_NAME, mode.sent);
    const rows = await eventsByShard(site.id, 3, 1);
    expect(rows.map(([, v]) => v).sort()).toEqual(visitors.slice(1));
    expect(rows.reduce((n, [, , count]) => n + count, 0)).toBe(9);
  });

  it('keeps retention away from a moving site', async () => {
    if (!sharded(env)) return;
    const moving = await registerSite();
    await sendJourneys([moving], journeys.slice(0, 3));
    await env.DB.prepare(`UPDATE ${TABLE.sites} SET retention_days = 1 WHERE id = ?`).bind(moving.id).run();
    expect((await moveTo(moving.id, { shards: 2 })).status).toBe(202);
    await runSchedule(env, Date.now());
    const horizon = await env.DB.prepare(`SELECT retained_from FROM ${TABLE.sites} WHERE id = ?`)
      .bind(moving.id)
      .first('retained_from');
    expect(horizon).toBeNull();
  });

  it('switches only once the new shards have derived every visitor they hold', async () => {
    if (!sharded(env)) return;
    const site = await registerSite();
    await sendJourneys([site], journeys.slice(0, 4));
    expect((await moveTo(site.id, { shards: 2 })).status).toBe(202);
    // One page of whole visitors.
    await moveStep(env, site.id, { pages: 1 });
    // A visitor of a new shard left behind by derivation (as a page past its budget leaves them).
    const [k, visitor] = (await eventsByShard(site.id, 2, 1))[0]!;
    const dirty = (sql: string) =>
      runInDurableObject(shardOf(env, site.id, k, 1), async (_shard, state) =>
        shardDatabase(state.storage).prepare(sql).bind(site.id, visitor).run(),
      );
    await dirty(`INSERT INTO ${TABLE.dirty_visitors} (site, visitor, since, mark) VALUES (?, ?, 0, 1)`);
    let state = await moveStep(env, site.id, { pageEvents: 5 });
    while (state!.phase === 'history' || state!.phase === 'copy')
      state = await moveStep(env, site.id, { pageEvents: 5 });
    expect(state!.phase).toBe('drain');
    const left = await dirty(`SELECT 1 FROM ${TABLE.dirty_visitors} WHERE site = ? AND visitor = ?`);
    expect(left.results).toEqual([]);
  });

  it('hands cart claims and owed deliveries to the new shards: each cart delivered once, even when claimed again', async () => {
    if (!sharded(env)) return;
    const site = await registerSite();
    await registerWebhook(site.id, ['cart.abandoned']);
    const now = Date.now();
    // Three carts claimed and in D1; three more claimed later, still owed by the old shard when it is retired.
    for (let i = 0; i < 3; i++) await leaveCart(site.id, { at: now - 3 * HOUR, visitor: `cart-${i}` });
    await abandonedCarts(env, now - 2 * HOUR);
    for (let i = 0; i < 3; i++) await leaveCart(site.id, { at: now - 90 * 60_000, visitor: `late-${i}` });
    const row = (await env.DB.prepare(
      `SELECT id, stages, abandon_after, shards, shard_generation AS generation FROM ${TABLE.sites} WHERE id = ?`,
    )
      .bind(site.id)
      .first<SiteToCheck>())!;
    const owed = await runInDurableObject(shardOf(env, site.id), (shard) => shard.decideCarts(row, now));
    expect(owed).toHaveLength(3);
    const deliveries = async () =>
      (
        await env.DB.prepare(`SELECT id FROM ${TABLE.webhook_deliveries} WHERE site = ? ORDER BY id`)
          .bind(site.id)
          .all<{ id: string }>()
      ).results.map((r) => r.id);
    expect(await deliveries()).toHaveLength(3);

    expect((await moveTo(site.id, { shards: 2 })).status).toBe(202);
    expect(await moveToEnd(site.id, {})).toMatchObject({ phase: 'done' });
    const all = await deliveries();
    expect(all).toHaveLength(6);
    // The claims came along: the new shards decide nothing again.
    await abandonedCarts(env, now + 60_000);
    expect(await deliveries()).toEqual(all);
    // Claims lost anyway (as if a page had not carried them): the carts are decided again, under the same ids.
    let claims = 0;
    for (let k = 0; k < 2; k++)
      claims += await runInDurableObject(
        shardOf(env, site.id, k, 1),
        async (_shard, state) =>
          (await shardDatabase(state.storage).prepare(`DELETE FROM ${TABLE.cart_abandonments}`).run()).meta.changes,
      );
    expect(claims).toBe(6);
    await abandonedCarts(env, now + 2 * 60_000);
    expect(await deliveries()).toEqual(all);
  });
});

/**
 * Rows of the site's shards of generation `generation` per table, each visitor's in the shard their hash picks (a
 * visitor's rows found elsewhere fail the test); of `visitor` only, their saved states too, when given.
 */
async function rowsInShards(site: string, count: number, generation: number, visitor?: string) {
  const tables: string[] = [
    TABLE.events,
    TABLE.sessions,
    TABLE.page_views,
    TABLE.transitions,
    TABLE.carts,
    TABLE.purchases,
  ];
  if (visitor) tables.push(TABLE.visitor_state);
  const totals: Record<string, number> = Object.fromEntries(tables.map((t) => [t, 0]));
  for (let k = 0; k < count; k++)
    await runInDurableObject(shardOf(env, site, k, generation), async (_shard, state) => {
      const db = shardDatabase(state.storage);
      for (const table of tables) {
        const { results } = await db
          .prepare(
            `SELECT visitor, COUNT(*) AS n FROM ${table} WHERE site = ?1 AND (?2 IS NULL OR visitor = ?2) GROUP BY visitor`,
          )
          .bind(site, visitor ?? null)
          .all<{ visitor: string; n: number }>();
        for (const r of results) {
          expect([table, r.visitor, shardIndex(r.visitor, count)]).toEqual([table, r.visitor, k]);
          totals[table]! += r.n;
        }
      }
    });
  return totals;
}

describe('moving a site whose retention has deleted raw events', () => {
  const RETENTION_DAYS = 5;
  const horizon = retentionHorizon(NOW, RETENTION_DAYS);
  // Visitors from ten days ago on, many of them on both sides of the horizon; more come during the moves.
  const traffic = generateJourneys({ seed: 21, visitors: 60, now: NOW, fromDaysAgo: 10, toDaysAgo: 1 });
  const cut = (j: Journey) => Math.ceil((j.events.length * 2) / 3);
  const before = traffic.map((j) => ({ ...j, events: j.events.slice(0, cut(j)) }));
  const during = traffic.map((j) => ({ ...j, events: j.events.slice(cut(j)) }));
  const more = generateJourneys({ seed: 22, visitors: 30, now: NOW, fromDaysAgo: 7, toDaysAgo: 1 });
  const periods = [
    [NOW - 12 * DAY, NOW],
    [NOW - 9 * DAY - 5 * HOUR, horizon - 3 * HOUR],
    [horizon + 2 * HOUR, NOW],
    [horizon - 30 * HOUR, horizon + 30 * HOUR],
  ] as const;

  /** Retention as the schedule runs it at `now`, run after run until it deletes nothing more. */
  async function retain(now: number) {
    const deleteBefore = async (site: string, h: number, budget: number) =>
      (await siteStorageById(env, site)).deleteBefore(site, h, budget);
    while ((await applyRetention(env.DB, now, deleteBefore)) > 0);
  }

  it('moves 1 → 4, then 4 → 2, with traffic throughout and a step cut short: every report is the twin’s', async () => {
    if (!sharded(env)) return;
    const twin = await registerSite();
    const site = await registerSite();
    for (const s of [twin, site]) {
      const res = await admin(s.id, { method: 'PATCH', body: JSON.stringify({ retention_days: RETENTION_DAYS }) });
      expect(res.status).toBe(200);
    }
    await sendJourneys([twin, site], before);
    await retain(NOW);
    // Retention ran: most raw events before the horizon are gone (the few the forms, friction and satisfaction reports
    // read are kept), their derived rows and reports are not.
    const sentOld = before.reduce((n, j) => n + j.events.filter((e) => e.ts < horizon).length, 0);
    const keptOld = await runInDurableObject(shardOf(env, site.id), (_shard, state) =>
      shardDatabase(state.storage)
        .prepare(`SELECT COUNT(*) AS n FROM ${TABLE.events} WHERE site = ? AND time < ?`)
        .bind(site.id, horizon)
        .first<number>('n'),
    );
    expect(sentOld).toBeGreaterThan(100);
    expect(keptOld).toBeLessThan(sentOld / 4);
    const reports = await everyReport(site, periods);
    expect(JSON.stringify(reports)).toContain('"purchases":');
    expect(reports).toEqual(await everyReport(twin, periods));

    // 1 → 4, an event sent to both sites after each part the move stores, one step failing after a part.
    expect((await moveTo(site.id, { shards: 4 })).status).toBe(202);
    const late = oneByOne(during);
    const afterPart = sendNext([twin, site], late);
    expect(await moveStep(env, site.id, { pages: 2, pageEvents: 60, afterPart })).toMatchObject({ phase: 'history' });
    let parts = 0;
    const failing = async () => {
      await afterPart();
      if (++parts === 3) throw new Error('interrupted');
    };
    await expect(moveStep(env, site.id, { pageEvents: 60, afterPart: failing })).rejects.toThrow('interrupted');
    expect(await moveToEnd(site.id, { pageEvents: 60, afterPart })).toMatchObject({ from: 1, to: 4, phase: 'done' });
    expect(late.length).toBeLessThan(oneByOne(during).length);
    await sendRest([twin, site], late);
    expect(await everyReport(site, periods)).toEqual(await everyReport(twin, periods));
    const twinRows = async () => rowsInShards(twin.id, 1, 0);
    expect(await rowsInShards(site.id, 4, 1)).toEqual(await twinRows());
    expect(await eventsByShard(site.id, 1, 0)).toEqual([]);

    // 4 → 2 driven a step at a time, new visitors arriving meanwhile.
    expect((await moveTo(site.id, { shards: 2 })).status).toBe(202);
    const newer = oneByOne(more);
    expect(await moveToEnd(site.id, { pageEvents: 40, afterPart: sendNext([twin, site], newer) })).toMatchObject({
      from: 4,
      to: 2,
      phase: 'done',
    });
    await sendRest([twin, site], newer);
    expect(await everyReport(site, periods)).toEqual(await everyReport(twin, periods));
    expect(await rowsInShards(site.id, 2, 2)).toEqual(await twinRows());
    expect(await eventsByShard(site.id, 4, 1)).toEqual([]);

    // Retention goes on in the new shards, a day later, as in the twin.
    await retain(NOW + DAY);
    expect(await everyReport(site, periods)).toEqual(await everyReport(twin, periods));

    // A visitor with rows on both sides of the horizon erased after the moves: gone from every shard, as from the twin.
    const visitor = traffic.find(
      (j) => j.events.some((e) => e.ts < horizon) && j.events.some((e) => e.ts > horizon + DAY),
    )!.visitor;
    const erased = await rowsInShards(site.id, 2, 2, visitor);
    expect(erased[TABLE.page_views]).toBeGreaterThan(0);
    for (const s of [twin, site])
      expect((await admin(`${s.id}/visitors/${visitor}`, { method: 'DELETE' })).status).toBe(200);
    expect(Object.values(await rowsInShards(site.id, 2, 2, visitor))).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect(await everyReport(site, periods)).toEqual(await everyReport(twin, periods));
  }, 600_000);
});

/** One visitor's derived rows in the shard of generation `generation` their hash picks, whole (paths as text), by key. */
async function visitorRows(site: string, count: number, generation: number, visitor: string) {
  return runInDurableObject(shardOf(env, site, shardIndex(visitor, count), generation), async (_shard, state) => {
    const db = shardDatabase(state.storage);
    const out: Record<string, unknown[]> = {};
    for (const t of Object.keys(DERIVED) as DerivedTable[]) {
      const columns = DERIVED[t].filter((c) => c !== 'site');
      const select = columns.map((c) => (isPathField(c) ? `${pathTextSql(storedColumn(c))} AS ${c}` : c));
      const { results } = await db
        .prepare(
          `SELECT ${select.join(', ')} FROM ${TABLE[t]} WHERE site = ? AND visitor = ? ORDER BY ${columns.join(', ')}`,
        )
        .bind(site, visitor)
        .all();
      out[t] = results;
    }
    return out;
  });
}

describe('moving a visitor too large for a page', () => {
  // A server sender with a fixed visitor id: the journeys of 40 visitors under one id (sorted first), among others.
  const BIG = '0-one-sender';
  const PAGE = 30;
  const asBig = (j: Journey) => ({ ...j, visitor: BIG, events: j.events.map((e) => ({ ...e, visitor: BIG })) });
  // All until a day ago; their journey of today comes while they are moved (after all their events copied so far).
  const traffic = generateJourneys({ seed: 41, visitors: 50, now: NOW - DAY, fromDaysAgo: 5, toDaysAgo: 1 });
  const before = [...traffic.slice(0, 40).map(asBig), ...traffic.slice(40)];
  const during = asBig(generateJourneys({ seed: 43, visitors: 1, now: NOW, fromDaysAgo: 0.5, toDaysAgo: 0.4 })[0]!);
  const big = [...before.slice(0, 40), during];
  const periods = [
    [NOW - 8 * DAY, NOW],
    [NOW - 4 * DAY - 5 * HOUR, NOW - 2 * DAY + 7 * HOUR],
  ] as const;

  /** The move's cursor in its one old shard. */
  const cursor = async (site: string) => {
    const row = await env.DB.prepare(`SELECT cursors FROM ${TABLE.shard_moves} WHERE site = ?`).bind(site).first<{
      cursors: string;
    }>();
    return (JSON.parse(row!.cursors) as Array<{ after: string; part: { visitor: string } | null }>)[0]!;
  };

  it('moves them in parts of a page each, through steps cut between two parts and inside one: reports and rows are the twin’s', async () => {
    if (!sharded(env)) return;
    const twin = await registerSite();
    const site = await registerSite();
    for (const s of [twin, site]) {
      const quota = { quota: { events_per_visitor_per_day: 5_000 } };
      expect((await admin(s.id, { method: 'PATCH', body: JSON.stringify(quota) })).status).toBe(200);
    }
    await sendJourneys([twin, site], before);
    expect(eventCount(big)).toBeGreaterThan(8 * PAGE);
    expect((await moveTo(site.id, { shards: 2 })).status).toBe(202);

    // Every part a new shard stores holds a page of rows at most.
    const parts: MovePage[] = [];
    const sizes = (p: MovePage) =>
      p.events.length + Object.values(p.history?.rows ?? {}).reduce((n, rows) => n + rows.length, 0);
    const record = async (stored: MovePage) => {
      parts.push(stored);
    };
    // Their events, then some of their derived rows, a part a step: the cursor is inside them, and reports still come
    // whole from the old shard.
    const hasViews = (p: MovePage) => (p.history?.rows.page_views.length ?? 0) > 0;
    for (let i = 0; i < 30 && !parts.some(hasViews); i++)
      expect(await moveStep(env, site.id, { pages: 1, pageEvents: PAGE, afterPart: record })).toMatchObject({
        phase: 'history',
      });
    expect(parts.length).toBeGreaterThan(2);
    expect(await cursor(site.id)).toMatchObject({ after: '', part: { visitor: BIG } });
    expect(parts[0]!.history?.part).toEqual({ first: true, last: false });
    expect(parts.map((p) => p.history?.part?.last)).toEqual(parts.map(() => false));
    expect(await everyReport(site, periods)).toEqual(await everyReport(twin, periods));

    // Their journey of today arrives (its events come in a later part), and a derivation rewrites their first page view,
    // copied already (in the twin too): the next part reads their derived rows again from the start.
    await sendJourneys([twin, site], [during]);
    for (const s of [twin, site])
      await runInDurableObject(shardOf(env, s.id), async (_shard, state) => {
        const db = shardDatabase(state.storage);
        // As derivation does: the rollups without the visitor's rows, the rows changed, the rollups with them again.
        await db.batch([
          ...visitorRollups(db, s.id, [BIG], -1),
          db
            .prepare(
              `UPDATE ${TABLE.page_views} SET prev_view = 1 WHERE site = ?1 AND visitor = ?2
                AND time = (SELECT MIN(time) FROM ${TABLE.page_views} WHERE site = ?1 AND visitor = ?2)`,
            )
            .bind(s.id, BIG),
          ...visitorRollups(db, s.id, [BIG], 1),
          db
            .prepare(`UPDATE ${TABLE.visitor_versions} SET version = version + 1 WHERE site = ? AND visitor = ?`)
            .bind(s.id, BIG),
        ]);
      });
    const copied = parts.length;
    // A step cut after a part of their page views is stored and before its cursor is saved: it is stored again.
    await expect(
      moveStep(env, site.id, {
        pageEvents: PAGE,
        afterPart: async (stored) => {
          await record(stored);
          if (hasViews(stored)) throw new Error('interrupted');
        },
      }),
    ).rejects.toThrow('interrupted');
    const again = parts.at(-1)!;
    expect(again.history?.part).toEqual({ first: false, last: false });
    expect(parts[copied]!.history?.part).toEqual({ first: true, last: false });
    expect(await cursor(site.id)).toMatchObject({ part: { visitor: BIG } });
    expect(await moveToEnd(site.id, { pageEvents: PAGE, afterPart: record })).toMatchObject({ phase: 'done' });
    const same = (p: MovePage) => JSON.stringify(p.history?.rows) === JSON.stringify(again.history?.rows);
    expect(parts.filter(same)).toHaveLength(2);

    const ofBig = parts.filter((p) => p.history?.visitors.includes(BIG));
    expect(ofBig.at(-1)!.history?.part).toEqual({ first: false, last: true });
    expect(ofBig.length).toBeGreaterThan(8);
    for (const p of parts) expect(sizes(p)).toBeLessThanOrEqual(p.history?.part ? PAGE : 4 * PAGE);
    expect(await everyReport(site, periods)).toEqual(await everyReport(twin, periods));
    expect(await rowsInShards(site.id, 2, 1)).toEqual(await rowsInShards(twin.id, 1, 0));
    expect(await rowsInShards(site.id, 2, 1, BIG)).toEqual(await rowsInShards(twin.id, 1, 0, BIG));
    const theirs = await visitorRows(twin.id, 1, 0, BIG);
    expect(theirs.page_views!.length).toBeGreaterThan(3 * PAGE);
    expect(await visitorRows(site.id, 2, 1, BIG)).toEqual(theirs);
    await checkPlacement(site.id, 2, 1, eventCount([...traffic, during]));
  }, 300_000);

  it('erases them between two of their parts: gone from every shard, the others moved', async () => {
    if (!sharded(env)) return;
    const site = await registerSite();
    const quota = { quota: { events_per_visitor_per_day: 5_000 } };
    expect((await admin(site.id, { method: 'PATCH', body: JSON.stringify(quota) })).status).toBe(200);
    await sendJourneys([site], before);
    expect((await moveTo(site.id, { shards: 2 })).status).toBe(202);
    // Erased once two of their parts are stored, the second before its cursor is saved.
    let stored = 0;
    const afterPart = async (part: MovePage) => {
      if (part.history?.visitors.includes(BIG) && ++stored === 2)
        expect((await admin(`${site.id}/visitors/${BIG}`, { method: 'DELETE' })).status).toBe(200);
    };
    expect(await moveToEnd(site.id, { pageEvents: PAGE, afterPart })).toMatchObject({ phase: 'done' });
    expect(stored).toBeGreaterThan(2);
    expect(Object.values(await rowsInShards(site.id, 2, 1, BIG))).toEqual([0, 0, 0, 0, 0, 0, 0]);
    await checkPlacement(site.id, 2, 1, eventCount(traffic.slice(40)));
  }, 300_000);
});
