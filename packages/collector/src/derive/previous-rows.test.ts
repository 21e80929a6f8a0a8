// Each derived row's "previous row of its kind" (prev_view, prev_stage_view, prev_path_view, prev_entry, prev_pair), and each
// purchase's nearest page views (view_before, view_after), equal what the raw events say.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { WireEvent } from '@parcours/protocol';
import { registerSite } from '../../test/helpers.ts';
import { siteDb, withSiteDb } from '../../test/site-rows.ts';
import { pathIdOf, send, wire } from '../../test/test-support.ts';
import { deriveVisitor, deriveVisitors } from './index.ts';
import { byEventTime } from './journey.ts';
import type { StoredEvent } from './types.ts';
import { TABLE } from '../db/schema.ts';

const STAGES = ['awareness', 'consideration', 'decision', 'retention', 'advocacy'];

/** Random page views and other events of one visitor over 3 sessions; `minGap` 0 makes ties on time. */
const steps = (minGap: number) =>
  fc.array(
    fc.record({
      type: fc.constantFrom(
        'page_view',
        'page_view',
        'page_view',
        'page_leave',
        'add_to_cart',
        'newsletter_signup',
        'purchase',
      ),
      stage: fc.constantFrom(...STAGES),
      session: fc.constantFrom('s1', 's2', 's3'),
      // Few pages, some declared under two stages: views of the same page repeat, with and without the same stage.
      page: fc.constantFrom('home', 'mug', 'cart'),
      gap: fc.integer({ min: minGap, max: minGap + 90_000 }),
    }),
    { minLength: 1, maxLength: 30 },
  );

type Step = { type: string; stage: string; session: string; page: string; gap: number };

function toWire(visitor: string, list: Step[], start: number): WireEvent[] {
  let t = start;
  return list.map((s, i) =>
    wire({
      visitor,
      session: s.session,
      ts: (t += s.gap),
      type: s.type,
      stage: s.stage,
      path: `/${s.page}`,
      ...(s.type === 'purchase' ? { transaction_id: `t${i}`, value: 5 } : {}),
    }),
  );
}

const toStored = (e: WireEvent, seq: number): StoredEvent => ({
  seq,
  id: e.id,
  type: e.type,
  stage_index: STAGES.indexOf(e.stage),
  session: e.session,
  time: e.ts,
  path: new URL(e.url).pathname,
  path_id: pathIdOf(new URL(e.url).pathname),
  duration_ms: null,
  value: null,
  currency: null,
  items: null,
  transaction_id: e.transaction_id ?? null,
});

describe('previous rows of the same kind', () => {
  it("point at the visitor's previous page view (any, same stage, same page) and previous move (into the stage, same pair)", () => {
    fc.assert(
      fc.property(steps(0), (list) => {
        const events = toWire('v', list, 1_763_000_000_000).map(toStored);
        const sorted = [...events].sort(byEventTime);
        const derived = deriveVisitor(events);
        // Brute force from the raw events: the latest page_view strictly before each one, in (time, id) order.
        const views = sorted.filter((e) => e.type === 'page_view');
        for (const p of derived.pageViews) {
          const i = views.findIndex((e) => e.id === p.event_id);
          const before = views.slice(0, i);
          expect(p.prev_view).toBe(before.at(-1)?.time ?? null);
          expect(p.prev_stage_view).toBe(before.filter((e) => e.stage_index === p.stage_index).at(-1)?.time ?? null);
          expect(p.prev_path_view).toBe(
            before.filter((e) => e.stage_index === p.stage_index && e.path === p.path).at(-1)?.time ?? null,
          );
        }
        derived.transitions.forEach((t, i) => {
          expect(t.prev_entry).toBe(
            derived.transitions
              .slice(0, i)
              .filter((e) => e.to_index === t.to_index)
              .at(-1)?.time ?? null,
          );
          expect(t.prev_pair).toBe(
            derived.transitions
              .slice(0, i)
              .filter((e) => e.to_index === t.to_index && e.from_index === t.from_index)
              .at(-1)?.time ?? null,
          );
        });
        // Each purchase's nearest page views: the last at or before it, the first after it.
        for (const p of derived.purchases) {
          expect(p.view_before).toBe(views.filter((e) => e.time <= p.time).at(-1)?.time ?? null);
          expect(p.view_after).toBe(views.find((e) => e.time > p.time)?.time ?? null);
        }
        // Not vacuous: every page view is a derived row.
        expect(derived.pageViews.length).toBe(views.length);
      }),
      { numRuns: 300 },
    );
  });

  describe('stored through POST /v1/events', () => {
    let site: { id: string; token: string };
    beforeAll(async () => {
      site = await registerSite();
    });

    let run = 0;
    it('equal, after shuffled batches, what the migration computes over the stored rows (LAG in time, event id order)', async () => {
      await fc.assert(
        fc.asyncProperty(
          steps(1_000),
          fc.integer({ min: 1, max: 5 }),
          fc.integer({ min: 0 }),
          fc.option(fc.nat()),
          async (list, parts, seed, late) => {
            const visitor = `pv${++run}`;
            const events = toWire(visitor, list, Date.now() - 86_400_000);
            const size = Math.ceil(events.length / parts);
            const batches = Array.from({ length: parts }, (_, i) => events.slice(i * size, (i + 1) * size)).filter(
              (b) => b.length,
            );
            const order = fc.sample(fc.shuffledSubarray(batches, { minLength: batches.length }), {
              numRuns: 1,
              seed,
            })[0]!;
            for (const batch of order) await send(site.id, batch);
            // Or then derived again from one of its events on, 2 events a page, from the state saved before it.
            if (late !== null)
              await withSiteDb(site.id, (db) =>
                deriveVisitors(
                  db,
                  { id: site.id, stages: STAGES },
                  [{ visitor, time: events[late % events.length]!.ts }],
                  2,
                ),
              );

            const views = await siteDb(site.id)
              .prepare(
                `SELECT prev_view, prev_stage_view, prev_path_view,
                    LAG(time) OVER (ORDER BY time, event_id) AS want_view,
                    LAG(time) OVER (PARTITION BY stage_index ORDER BY time, event_id) AS want_stage_view,
                    LAG(time) OVER (PARTITION BY path_id, stage_index ORDER BY time, event_id) AS want_path_view
               FROM ${TABLE.page_views} WHERE site = ? AND visitor = ?`,
              )
              .bind(site.id, visitor)
              .all<Record<string, number | null>>();
            for (const r of views.results)
              expect([r.prev_view, r.prev_stage_view, r.prev_path_view]).toEqual([
                r.want_view,
                r.want_stage_view,
                r.want_path_view,
              ]);
            expect(views.results.length).toBe(list.filter((s) => s.type === 'page_view').length);

            const moves = await siteDb(site.id)
              .prepare(
                `SELECT prev_entry, prev_pair, LAG(time) OVER (PARTITION BY to_index ORDER BY time, event_id) AS want,
                    LAG(time) OVER (PARTITION BY from_index, to_index ORDER BY time, event_id) AS want_pair
               FROM ${TABLE.transitions} WHERE site = ? AND visitor = ?`,
              )
              .bind(site.id, visitor)
              .all<Record<string, number | null>>();
            for (const r of moves.results) expect([r.prev_entry, r.prev_pair]).toEqual([r.want, r.want_pair]);

            const buys = await siteDb(site.id)
              .prepare(
                `SELECT view_before, view_after,
                    (SELECT MAX(v.time) FROM ${TABLE.page_views} v WHERE v.site = p.site AND v.visitor = p.visitor AND v.time <= p.time) AS want_before,
                    (SELECT MIN(v.time) FROM ${TABLE.page_views} v WHERE v.site = p.site AND v.visitor = p.visitor AND v.time > p.time) AS want_after
               FROM ${TABLE.purchases} p WHERE site = ? AND visitor = ?`,
              )
              .bind(site.id, visitor)
              .all<Record<string, number | null>>();
            for (const r of buys.results) expect([r.view_before, r.view_after]).toEqual([r.want_before, r.want_after]);
          },
        ),
        { numRuns: 20 },
      );
    });
  });
});
