// The right to erasure: DELETE /v1/admin/sites/{id}/visitors/{visitor} leaves the reports of a history without that visitor.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { DEFAULT_STAGES } from '@parcours/protocol';
import { ADMIN, call, registerSite } from '../../test/helpers.ts';
import { DAY, shopJourneys } from '../../test/journeys.fixture.ts';
import { siteDb } from '../../test/site-rows.ts';
import { everyReport, rowsNaming, send, wire } from '../../test/test-support.ts';
import { insertStatements } from '../db/events.ts';
import { toRow } from '../ingest/to-row.ts';
import { TABLE } from '../db/schema.ts';

const erase = (site: string, visitor: string, token = ADMIN) =>
  call(`/v1/admin/sites/${site}/visitors/${visitor}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${token}` },
  });

/** Every report over a narrow and a wide period. */
const allReports = (site: { id: string; token: string }, now: number) =>
  everyReport(site, [
    [now - 3 * DAY, now - DAY],
    [now - 20 * DAY, now + DAY],
  ]);

describe('erasing a visitor', () => {
  it('leaves reports equal to those of a history in which the visitor never came', async () => {
    const now = Date.now();
    // E bought twice, A once; E also rage-clicked and filled a form: every table and rollup holds some of E.
    const history = () => [
      ...shopJourneys(now),
      wire({
        visitor: 'E',
        session: 'e1',
        ts: now - 2 * DAY + 15_000,
        type: 'rage_click',
        stage: 'consideration',
        path: '/p/cup',
        target: 'img',
      }),
      wire({
        visitor: 'E',
        session: 'e1',
        ts: now - 2 * DAY + 16_000,
        type: 'form_start',
        stage: 'consideration',
        path: '/p/cup',
        form: 'review',
      }),
      // Its per-field entries are rows of their own (form_fields).
      wire({
        visitor: 'E',
        session: 'e1',
        ts: now - 2 * DAY + 17_000,
        type: 'form_submit',
        stage: 'consideration',
        path: '/p/cup',
        form: 'review',
        fields: [{ field: 'stars', hesitation_ms: 1200, refocuses: 1, errors: 0 }],
      } as never),
    ];
    const site = await registerSite();
    const without = await registerSite();
    const events = history();
    expect((await send(site.id, events)).rejected).toEqual([]);
    const others = history().filter((e) => e.visitor !== 'E');
    expect((await send(without.id, others)).rejected).toEqual([]);
    const reportsWithout = await allReports(without, now);
    expect(await allReports(site, now)).not.toEqual(reportsWithout);

    // Derivation saved E's state (incremental derivation resumes from it): erasure must take it too.
    const states = await siteDb(site.id)
      .prepare(`SELECT COUNT(*) AS n FROM ${TABLE.visitor_state} WHERE site = ? AND visitor = 'E'`)
      .bind(site.id)
      .first<{ n: number }>();
    expect(states!.n).toBeGreaterThan(0);

    // Stored once per id: E's fixture purchase resent under a new id is one of E's events, the same transaction twice.
    const stored = events.filter((e) => e.visitor === 'E').length;
    const res = await erase(site.id, 'E');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ events_deleted: stored });
    expect(await allReports(site, now)).toEqual(reportsWithout);
    // No row of any table names E any more: not their events, derived rows, saved states, nor their derivation counter.
    expect(await rowsNaming(site.id, 'E')).toEqual({});
    // Nothing of the other visitors went: their events are all still there.
    const left = await siteDb(site.id)
      .prepare(`SELECT COUNT(*) AS n FROM ${TABLE.events} WHERE site = ?`)
      .bind(site.id)
      .first<{ n: number }>();
    expect(left!.n).toBe(others.length);

    // Again, or a visitor never seen: nothing to erase.
    for (const visitor of ['E', 'nobody']) {
      const again = await erase(site.id, visitor);
      expect(again.status).toBe(200);
      expect(await again.json()).toEqual({ events_deleted: 0 });
    }
  });

  it('refuses hostile ids, unknown sites and wrong tokens', async () => {
    const site = await registerSite();
    for (const visitor of ['a%20b', 'x'.repeat(65), '-lead', 'a%00b', '%E2%80%AE', 'a%2Fb', '%27%20OR%201%3D1']) {
      const res = await erase(site.id, visitor);
      expect(res.status, visitor).toBe(400);
      expect(await res.json()).toEqual({
        error: 'invalid-visitor',
        message: 'visitor is 1 to 64 of A-Z a-z 0-9 . _ : -, starting with a letter or digit',
      });
    }
    // A dot-segment resolves before routing: another path, no erasure.
    expect((await erase(site.id, '%2E%2E')).status).toBe(404);
    const unknown = await erase('no-such-site', 'v1');
    expect(unknown.status).toBe(404);
    expect((await erase(site.id, 'v1', 'wrong')).status).toBe(401);
  });
});

describe('erasing a visitor wherever their rows are', () => {
  it('deletes what D1 still holds of them after a switch to shards, as well as what the layout stores now', async () => {
    const site = await registerSite();
    const visitor = `moved-${crypto.randomUUID().slice(0, 8)}`;
    const now = Date.now();
    // One event stored straight into D1 (in the sharded layout: from before the switch), one sent now.
    const row = toRow(
      wire({ type: 'page_view', ts: now - 1_000, stage: 'awareness', visitor, session: 's1' }),
      DEFAULT_STAGES,
      now,
      now,
    )!;
    const { paths, inserts } = insertStatements(env.DB, site.id, now, [row]);
    await env.DB.batch([...paths, ...inserts]);
    await send(site.id, [wire({ type: 'page_view', ts: now, stage: 'awareness', visitor, session: 's1' })]);
    const res = await erase(site.id, visitor);
    expect(await res.json()).toEqual({ events_deleted: 2 });
    expect(await rowsNaming(site.id, visitor)).toEqual({});
  });
});
