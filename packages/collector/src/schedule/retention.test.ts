// Retention, run by the Cron Trigger's handler: raw events past a site's retention_days are deleted in bounded runs, the
// reports of those days answer as before, and visitors who come back afterwards are derived as if nothing was deleted.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { ADMIN, call, registerSite } from '../../test/helpers.ts';
import { DAY, shopJourneys } from '../../test/journeys.fixture.ts';
import { ADD_PATHS_SQL, pathIdSql, pathTextSql } from '../db/insert-sql.ts';
import { everyReport, send, wire } from '../../test/test-support.ts';
import worker from '../index.ts';
import { retentionHorizon } from './retention.ts';
import { siteDb } from '../../test/site-rows.ts';
import { TABLE } from '../db/schema.ts';

/** Runs the worker's scheduled handler as the Cron Trigger would at `now`, until the work it started is done. */
async function cron(now: number) {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: now, cron: '* * * * *' }), env, ctx);
  await waitOnExecutionContext(ctx);
}

const patch = (site: string, body: object) =>
  call(`/v1/admin/sites/${site}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

const rawCount = async (site: string, before: number) =>
  (await siteDb(site)
    .prepare(`SELECT COUNT(*) AS n FROM ${TABLE.events} WHERE site = ? AND time < ?`)
    .bind(site, before)
    .first<{
      n: number;
    }>())!.n;

/** Columns two sites told the same history differ in: site, event ids, and path ids (paths compare by their text). */
const PER_SITE = new Set(['site', 'event_id', 'path_id', 'exit_path_id']);

/** The derived rows of a site from `from` on, without site and event ids: what two sites told the same history share. */
async function derivedSince(site: string, from: number) {
  const rows = async (sql: string) =>
    (await siteDb(site).prepare(sql).bind(site, from).all()).results.map((r) =>
      Object.fromEntries(Object.entries(r).filter(([column]) => !PER_SITE.has(column))),
    );
  const path = pathTextSql('path_id');
  return {
    transitions: await rows(
      `SELECT *, ${path} AS path FROM ${TABLE.transitions} WHERE site = ? AND time >= ? ORDER BY visitor, time, event_id`,
    ),
    page_views: await rows(
      `SELECT *, ${path} AS path FROM ${TABLE.page_views} WHERE site = ? AND time >= ? ORDER BY visitor, time, event_id`,
    ),
    purchases: await rows(
      `SELECT * FROM ${TABLE.purchases} WHERE site = ? AND time >= ? ORDER BY visitor, time, event_id`,
    ),
    carts: await rows(
      `SELECT *, ${pathTextSql('exit_path_id')} AS exit_path FROM ${TABLE.carts} WHERE site = ? AND started_at >= ? ORDER BY visitor, started_at`,
    ),
  };
}

describe('retention', () => {
  it('deletes raw events past retention_days; reports of those days and later derivation stay as they were', async () => {
    const now = Date.now();
    const then = now - 20 * DAY; // the fixture's first event 27 days ago: ingestion clamps times to the last 30 days
    // Event ids differ between the two sites: the same history, told twice.
    const history = () => [
      ...shopJourneys(then),
      wire({
        visitor: 'C',
        session: 'c1',
        ts: then - 2 * DAY + 5000,
        type: 'rage_click',
        stage: 'awareness',
        path: '/blog/post',
        target: 'button.share',
      }),
      // C was asked and answered on that page: the satisfaction report reads these raw events, and C's page views.
      wire({
        visitor: 'C',
        session: 'c1',
        ts: then - 2 * DAY + 6000,
        type: 'survey_shown',
        stage: 'awareness',
        path: '/blog/post',
        kind: 'nps',
        survey: 'nps-blog',
      }),
      wire({
        visitor: 'C',
        session: 'c1',
        ts: then - 2 * DAY + 9000,
        type: 'feedback',
        stage: 'awareness',
        path: '/blog/post',
        kind: 'nps',
        score: 3,
        survey: 'nps-blog',
      }),
    ];
    // Visitors coming back after the horizon: A and E buy again, D and C browse, N is new.
    const comeback = () => {
      const t = now - 3 * 3_600_000;
      const ev = (
        visitor: string,
        session: string,
        at: number,
        type: string,
        stage: string,
        path: string,
        extra = {},
      ) => wire({ visitor, session, ts: t + at * 1000, type, stage, path, ...extra });
      const mug = { items: [{ item_id: 'mug', price: 12.5, quantity: 1 }], currency: 'EUR' };
      return [
        ev('A', 'a9', 0, 'page_view', 'consideration', '/p/mug'),
        ev('A', 'a9', 10, 'add_to_cart', 'decision', '/p/mug', { ...mug, value: 12.5 }),
        ev('A', 'a9', 20, 'page_view', 'decision', '/checkout'),
        ev('A', 'a9', 30, 'purchase', 'decision', '/checkout', { ...mug, value: 12.5, transaction_id: 'T-A9' }),
        ev('E', 'e9', 0, 'page_view', 'retention', '/account'),
        ev('E', 'e9', 15, 'purchase', 'decision', '/checkout', { ...mug, value: 12.5, transaction_id: 'T-E9' }),
        ev('D', 'd9', 0, 'page_view', 'awareness', '/blog/guide'),
        ev('D', 'd9', 20, 'page_view', 'consideration', '/pricing'),
        ev('D', 'd9', 25, 'form_start', 'consideration', '/contact', { form: 'quote' }),
        ev('C', 'c9', 0, 'page_view', 'awareness', '/blog/post'),
        ev('N', 'n9', 0, 'page_view', 'awareness', '/blog/post'),
        ev('N', 'n9', 9, 'page_leave', 'awareness', '/blog/post', { duration_ms: 9000 }),
      ];
    };
    const kept = await registerSite();
    const twin = await registerSite(); // the same events, no retention: the full history, derived from scratch
    for (const site of [kept, twin]) expect((await send(site.id, history())).rejected).toEqual([]);

    const horizon = retentionHorizon(now, 10);
    const old: Array<[number, number]> = [
      [then - 10 * DAY, then + DAY],
      [then - 3 * DAY, horizon],
    ];
    const before = await everyReport(kept, old);
    expect(JSON.stringify(before)).toContain('"purchases":'); // the periods hold the history
    const oldRaw = await rawCount(kept.id, horizon);

    expect((await patch(kept.id, { retention_days: 10 })).status).toBe(200);
    await cron(now);

    // Gone: every raw event before the horizon except the form, friction, survey and answer events, the only rows those
    // reports read.
    const left = await siteDb(kept.id)
      .prepare(`SELECT type FROM ${TABLE.events} WHERE site = ? AND time < ? ORDER BY type`)
      .bind(kept.id, horizon)
      .all<{ type: string }>();
    expect(left.results.map((r) => r.type)).toEqual([
      'feedback',
      'form_abandon',
      'form_start',
      'form_start',
      'form_submit',
      'rage_click',
      'survey_shown',
    ]);
    expect(oldRaw).toBeGreaterThan(left.results.length + 30);
    expect(await rawCount(twin.id, horizon)).toBe(oldRaw); // another site's events are not touched
    expect(await everyReport(kept, old)).toEqual(before);
    // Saved derivation states before the horizon went too: derivation never resumes from them (their events are gone).
    const states = async (site: string) =>
      (await siteDb(site)
        .prepare(`SELECT COUNT(*) AS n FROM ${TABLE.visitor_state} WHERE site = ? AND position < ?`)
        .bind(site, horizon)
        .first<{ n: number }>())!.n;
    expect(await states(kept.id)).toBe(0);
    expect(await states(twin.id)).toBeGreaterThan(0);

    // Returning visitors, derived from the kept events and their state at the horizon: the same rows as a full rebuild.
    for (const site of [kept, twin]) expect((await send(site.id, comeback())).rejected).toEqual([]);
    expect(await everyReport(kept, old)).toEqual(before);
    const fresh: Array<[number, number]> = [[horizon, now + DAY]];
    expect(await everyReport(kept, fresh)).toEqual(await everyReport(twin, fresh));
    const derived = await derivedSince(kept.id, horizon);
    expect(derived).toEqual(await derivedSince(twin.id, horizon));
    // They carry their past: A's and E's purchases are their second and third, D's move has a previous stage.
    expect(derived.purchases.map((p) => [p.visitor, p.nth])).toEqual([
      ['A', 2],
      ['E', 3],
    ]);
    expect(derived.transitions.find((t) => t.visitor === 'D')).toMatchObject({
      from_stage: 'awareness',
      to_stage: 'consideration',
    });
  });

  it('resumes from a saved state at or after the horizon, else from the horizon; never from before it', async () => {
    const now = Date.now();
    const horizon = retentionHorizon(now, 10);
    const view = (session: string, at: number, stage: string, path: string) =>
      wire({ visitor: 'X', session, ts: at, type: 'page_view', stage, path });
    // X's history spans the horizon, sent in time order: derivation saves a state after each batch.
    const batches = () => [
      [
        view('x1', horizon - 2 * DAY, 'awareness', '/blog/post'),
        view('x1', horizon - 2 * DAY + 60_000, 'consideration', '/pricing'),
      ],
      [view('x2', horizon + DAY, 'decision', '/cart')],
      [view('x3', horizon + 2 * DAY, 'retention', '/account')],
    ];
    // Late events after the horizon: one after X's state saved at the horizon + 1 day (resumed from it), then one
    // before any state kept at or after the horizon (derived from the horizon, from X's rows before it).
    const late = [
      view('x4', horizon + DAY + 3_600_000, 'consideration', '/p/mug'),
      view('x5', horizon + 12 * 3_600_000, 'awareness', '/blog/guide'),
    ];
    const kept = await registerSite();
    const twin = await registerSite();
    for (const site of [kept, twin])
      for (const batch of batches()) expect((await send(site.id, batch)).rejected).toEqual([]);
    const old: Array<[number, number]> = [[horizon - 5 * DAY, horizon]];
    const before = await everyReport(kept, old);

    expect((await patch(kept.id, { retention_days: 10 })).status).toBe(200);
    await cron(now);
    expect(await rawCount(kept.id, horizon)).toBe(0);
    // The first late event comes with one from before the horizon (a device long offline): stored, never derived.
    const stale = view('x0', horizon - DAY, 'awareness', '/blog/guide');
    expect((await send(kept.id, [stale, late[0]!])).rejected).toEqual([]);
    expect((await send(twin.id, [{ ...late[0]! }])).rejected).toEqual([]);
    expect(await rawCount(kept.id, horizon)).toBe(1);
    for (const site of [kept, twin]) expect((await send(site.id, [{ ...late[1]! }])).rejected).toEqual([]);

    // Without the events before the horizon, the same rows from it on as the twin's full history (which knows X was
    // in consideration before the horizon), and the reports before it unchanged.
    const derived = await derivedSince(kept.id, horizon);
    expect(derived).toEqual(await derivedSince(twin.id, horizon));
    expect(derived.transitions.map((t) => [t.from_stage, t.to_stage])).toEqual([
      ['consideration', 'awareness'],
      ['awareness', 'decision'],
      ['decision', 'consideration'],
      ['consideration', 'retention'],
    ]);
    expect(await everyReport(kept, old)).toEqual(before);
    await cron(now);
    expect(await rawCount(kept.id, horizon)).toBe(0);
  });

  it('deletes at most 20,000 events a run; the next runs go on', async () => {
    const site = await registerSite();
    const now = Date.now();
    const old = now - 30 * DAY;
    // Raw rows straight into the table (ingestion's daily quota would take days to store this many).
    await siteDb(site.id).prepare(ADD_PATHS_SQL).bind(site.id, '["/"]').run();
    for (let i = 0; i < 25_000; i += 5000)
      await siteDb(site.id)
        .prepare(
          `INSERT INTO ${TABLE.events} (site, id, type, stage, stage_index, visitor, session, time, ts, sent_at, received_at, path_id, data)
         WITH RECURSIVE n(value) AS (SELECT ?3 UNION ALL SELECT value + 1 FROM n WHERE value < ?3 + 4999)
         SELECT ?1, 'e' || value, 'page_view', 'awareness', 0, 'v' || (value % 50), 's', ?2 + value, ?2, ?2, ?2, ${pathIdSql('?1', "'/'")}, '{}' FROM n`,
        )
        .bind(site.id, old, i)
        .run();
    expect((await patch(site.id, { retention_days: 7 })).status).toBe(200);
    await cron(now);
    const remaining = await rawCount(site.id, now);
    // Other sites of this file may take some of the run's budget, never more than it.
    expect(remaining).toBeGreaterThanOrEqual(5000);
    expect(remaining).toBeLessThan(25_000);
    await cron(now + 600_000);
    await cron(now + 1_200_000);
    expect(await rawCount(site.id, now)).toBe(0);
  });

  it('reaches every site with retention in one run, however many there are', async () => {
    const now = Date.now();
    const old = now - 20 * DAY;
    const sites = [];
    for (let i = 0; i < 12; i++) {
      const site = await registerSite();
      const visitor = `v-${i}`;
      await send(site.id, [
        wire({ visitor, session: 's', ts: old, type: 'page_view', stage: 'awareness', path: '/' }),
        wire({ visitor, session: 's', ts: old + 1000, type: 'page_view', stage: 'awareness', path: '/about' }),
      ]);
      expect((await patch(site.id, { retention_days: 7 })).status).toBe(200);
      sites.push(site);
    }
    await cron(now);
    // Each site had a little to delete: the run's budget (20,000 rows) covers the twelve, whichever site it started from.
    for (const site of sites) expect(await rawCount(site.id, now - 7 * DAY)).toBe(0);
  });
});
