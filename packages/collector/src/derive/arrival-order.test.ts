// Late and out-of-order delivery gives the derived rows of in-order delivery, and incremental derivation those of a
// full one: property tests with fast-check.
import { siteDb, withSiteDb } from '../../test/site-rows.ts';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_STAGES, type WireEvent } from '@parcours/protocol';
import { registerSite } from '../../test/helpers.ts';
import {
  derivedRows,
  pathIdOf,
  rollups,
  send,
  sessionFacts,
  storedTransitions,
  wire,
} from '../../test/test-support.ts';
import { DERIVED, type DerivedTable, TABLE } from '../db/schema.ts';
import { foldPage } from './fold.ts';
import { deriveVisitor, deriveVisitors, rebuildVisitors } from './index.ts';
import { byEventTime } from './journey.ts';
import { freshState, loadState, saveState } from './state.ts';
import { eventsStatement, NO_TIME } from './store.ts';
import type { StoredEvent } from './types.ts';

const STAGES = ['awareness', 'consideration', 'decision', 'retention', 'advocacy'];
const TYPES = [
  'page_view',
  'page_view',
  'page_view',
  'page_leave',
  'view_item',
  'add_to_cart',
  'remove_from_cart',
  'begin_checkout',
  'purchase',
  'form_start',
  'form_abandon',
  'newsletter_signup',
];

/** A visitor's events: random types, stages, sessions and gaps (`minGap` 0 makes ties on time). */
const journey = (minGap: number) =>
  fc.array(
    fc.record({
      type: fc.constantFrom(...TYPES),
      stage: fc.constantFrom(...STAGES),
      session: fc.constantFrom('s1', 's2', 's3'),
      // Often the shortest gap: with `minGap` 0, events of one millisecond (ordered by id) are common.
      gap: fc.oneof(fc.constant(minGap), fc.integer({ min: minGap, max: minGap + 90_000 })),
      item: fc.constantFrom('mug', 'cup'),
      quantity: fc.integer({ min: 1, max: 3 }),
      tx: fc.constantFrom('T1', 'T2'),
    }),
    { minLength: 1, maxLength: 40 },
  );

type Step = { type: string; stage: string; session: string; gap: number; item: string; quantity: number; tx: string };

function toEvents(visitor: string, steps: Step[], start: number): WireEvent[] {
  let t = start;
  return steps.map((s) => {
    t += s.gap;
    const cart = ['view_item', 'add_to_cart', 'remove_from_cart', 'begin_checkout', 'purchase'].includes(s.type);
    return wire({
      visitor,
      session: s.session,
      ts: t,
      type: s.type,
      stage: s.stage,
      path: `/${s.stage}/${s.session}`,
      ...(cart ? { items: [{ item_id: s.item, price: 2.5, quantity: s.quantity }], currency: 'EUR' } : {}),
      ...(s.type === 'purchase' ? { transaction_id: s.tx } : {}),
      ...(s.type === 'page_leave' ? { duration_ms: s.gap } : {}),
      ...(s.type.startsWith('form_') ? { form: 'f', last_field: 'email' } : {}),
    });
  });
}

/** Splits a list at the given cut points into non-empty batches. */
function split<T>(list: T[], cuts: number[]): T[][] {
  const points = [...new Set(cuts.map((c) => c % list.length).filter((c) => c > 0))].sort((a, b) => a - b);
  const out: T[][] = [];
  let from = 0;
  for (const p of [...points, list.length]) {
    out.push(list.slice(from, p));
    from = p;
  }
  return out;
}

/** What the database would hold for an event sent at `ts` with no clock skew. */
function stored(e: WireEvent, seq: number): StoredEvent {
  return {
    seq,
    id: e.id,
    type: e.type,
    stage_index: STAGES.indexOf(e.stage),
    session: e.session,
    time: e.ts,
    path: new URL(e.url).pathname,
    path_id: pathIdOf(new URL(e.url).pathname),
    duration_ms: e.duration_ms ?? null,
    value: e.value ?? null,
    currency: e.currency ?? null,
    items: e.items ? JSON.stringify(e.items) : null,
    transaction_id: e.transaction_id ?? null,
  };
}

describe('derivation is independent of arrival order', () => {
  it('derives the same transitions, page views, carts and purchases from any permutation (ties on time included)', () => {
    fc.assert(
      fc.property(journey(0), fc.integer({ min: 0 }), (steps, seed) => {
        const events = toEvents('v', steps, 1_763_000_000_000).map(stored);
        const shuffled = fc.sample(fc.shuffledSubarray(events, { minLength: events.length }), { numRuns: 1, seed })[0]!;
        expect(deriveVisitor(shuffled.map((e, i) => ({ ...e, seq: i })))).toEqual(deriveVisitor(events));
      }),
      { numRuns: 300 },
    );
  });

  describe('through POST /v1/events', () => {
    let inOrder: { id: string; token: string };
    let shuffled: { id: string; token: string };
    beforeAll(async () => {
      inOrder = await registerSite();
      shuffled = await registerSite();
    });

    let run = 0;
    it('gives the transitions of in-order delivery when batches are split, shuffled and resent', async () => {
      await fc.assert(
        fc.asyncProperty(
          journey(2_000),
          fc.array(fc.nat(), { maxLength: 6 }),
          fc.integer({ min: 0 }),
          fc.boolean(),
          async (steps, cuts, seed, resend) => {
            const visitor = `v${++run}`;
            const events = toEvents(visitor, steps, Date.now() - 86_400_000);
            for (const batch of split(events, cuts)) await send(inOrder.id, batch);

            const batches = fc.sample(
              fc.shuffledSubarray(split(events, cuts), { minLength: split(events, cuts).length }),
              { numRuns: 1, seed },
            )[0]!;
            // At-least-once delivery: a batch may arrive twice.
            if (resend) batches.push(batches[0]!);
            for (const batch of batches) await send(shuffled.id, batch);

            const expected = await storedTransitions(inOrder.id, visitor);
            const actual = await storedTransitions(shuffled.id, visitor);
            expect(actual.map(({ since_ms, ...t }) => t)).toEqual(expected.map(({ since_ms, ...t }) => t));
            // Each batch's clock correction differs by the few ms the request took: durations agree to within that.
            actual.forEach((t, i) => {
              const e = expected[i]!.since_ms as number | null;
              if (e === null) expect(t.since_ms).toBeNull();
              else expect(Math.abs((t.since_ms as number) - e)).toBeLessThan(1_000);
            });
            // Not a vacuous comparison: a page view always gives the visitor a first stage (a journey of only
            // page_leave events rightly has none).
            if (steps.some((s) => s.type === 'page_view')) expect(actual.length).toBeGreaterThan(0);
          },
        ),
        { numRuns: 25 },
      );
    });
  });
});

/** The rows `deriveVisitor` (the full derivation in one pass) makes of the visitor's stored events, as derivedRows shows them. */
async function fullDerivation(site: string, visitor: string): Promise<Record<DerivedTable, unknown[][]>> {
  const { results } = await withSiteDb(site, (db) =>
    eventsStatement(db, site, visitor, { sql: '?5', params: [NO_TIME] }, null, -1).all<StoredEvent>(),
  );
  const d = deriveVisitor(results);
  const stage = (i: number | null) => (i === null ? null : DEFAULT_STAGES[i]);
  const rows = (table: DerivedTable, list: object[]) =>
    list.map((r) =>
      DERIVED[table]
        .filter((c) => c !== 'site' && c !== 'visitor')
        .map((c) => (r as Record<string, unknown>)[c] ?? null),
    );
  const byKey = (a: unknown[], b: unknown[]) => Number(a[1]) - Number(b[1]) || String(a[2]).localeCompare(String(b[2]));
  return {
    transitions: rows(
      'transitions',
      d.transitions.map((t) => ({ ...t, from_stage: stage(t.from_index), to_stage: stage(t.to_index) })),
    ),
    page_views: rows('page_views', d.pageViews).sort(byKey),
    carts: rows('carts', d.carts),
    purchases: rows('purchases', d.purchases),
  };
}

describe('incremental derivation equals the full one', () => {
  it('folds events page by page into the rows of the one-pass derivation (same-millisecond moves, purchases, leaves)', () => {
    const byKey = (a: { time: number; event_id: string }, b: { time: number; event_id: string }) =>
      a.time - b.time || (a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0);
    fc.assert(
      fc.property(journey(0), fc.nat(), (steps, cut) => {
        const events = toEvents('v', steps, 1_763_000_000_000).map(stored).sort(byEventTime);
        // Two pages split where a millisecond starts, the state saved and read back between them.
        const at = events[cut % events.length]!.time;
        const state = freshState();
        const first = foldPage(
          state,
          events.filter((e) => e.time < at),
        );
        const second = foldPage(
          loadState(saveState(state)),
          events.filter((e) => e.time >= at),
        );
        const full = deriveVisitor(events);
        // Rows of the first page that the second changed are the second's; the rest stand as the first left them.
        const rewritten = new Set(second.rewrittenViews.map((v) => v.event_id));
        const views = [
          ...first.pageViews.filter((v) => !rewritten.has(v.event_id)),
          ...second.rewrittenViews,
          ...second.pageViews,
        ];
        const stripLookAhead = <T extends object>(rows: T[], keys: string[]) =>
          rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !keys.includes(k))));
        expect(views.sort(byKey)).toEqual([...full.pageViews].sort(byKey));
        // Look-ahead across the pages is the database's job (store.ts): compared through D1 below.
        expect(stripLookAhead([...first.transitions, ...second.transitions], ['next_ms', 'onward_ms'])).toEqual(
          stripLookAhead(full.transitions, ['next_ms', 'onward_ms']),
        );
        const carts = [...first.carts.filter((c) => c.event_id !== second.reopened), ...second.carts];
        expect(stripLookAhead(carts, ['exit_path', 'exit_stage'])).toEqual(
          stripLookAhead(full.carts, ['exit_path', 'exit_stage']),
        );
        expect(stripLookAhead([...first.purchases, ...second.purchases], ['view_after'])).toEqual(
          stripLookAhead(full.purchases, ['view_after']),
        );
        // In one page, everything.
        const whole = foldPage(freshState(), events);
        expect([...whole.pageViews].sort(byKey)).toEqual([...full.pageViews].sort(byKey));
        expect(whole.transitions).toEqual(full.transitions);
        expect(whole.carts).toEqual(full.carts);
        expect(whole.purchases).toEqual(full.purchases);
      }),
      { numRuns: 500 },
    );
  });

  let site: { id: string; token: string };
  beforeAll(async () => {
    site = await registerSite();
  });
  const ref = () => ({ id: site.id, stages: [...DEFAULT_STAGES] });

  let run = 0;
  it('derives, batch by batch in any order and from saved states, the rows and rollups of a full rebuild', async () => {
    await fc.assert(
      fc.asyncProperty(
        journey(0),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.integer({ min: 0 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 4 }),
        fc.nat(),
        async (steps, cuts, seed, resend, perPage, late) => {
          const visitor = `inc${++run}`;
          const events = toEvents(visitor, steps, Date.now() - 86_400_000);
          const batches = fc.sample(
            fc.shuffledSubarray(split(events, cuts), { minLength: split(events, cuts).length }),
            {
              numRuns: 1,
              seed,
            },
          )[0]!;
          if (resend) batches.push(batches[0]!);
          for (const batch of batches) await send(site.id, batch);

          // Each batch derived from the saved state before its earliest event: the same rows as one pass over all.
          const incremental = await derivedRows(site.id, visitor);
          expect(incremental).toEqual(await fullDerivation(site.id, visitor));
          const sums = await rollups(site.id);
          // Each session's facts are those of its rows, whatever order its batches came in.
          const facts = await sessionFacts(site.id, visitor);
          expect(facts.stored).toEqual(facts.reference);
          expect(facts.stored.length).toBeGreaterThan(0);

          // A full rebuild in small pages (ties on time kept together) changes nothing, rollups included.
          await withSiteDb(site.id, (db) => rebuildVisitors(db, ref(), [visitor], perPage));
          expect(await derivedRows(site.id, visitor)).toEqual(incremental);
          expect(await rollups(site.id)).toEqual(sums);
          expect((await sessionFacts(site.id, visitor)).stored).toEqual(facts.stored);

          // A late event's re-derivation, paged, from the saved state before it: nothing changes either.
          const { results } = await siteDb(site.id)
            .prepare(`SELECT time FROM ${TABLE.events} WHERE site = ? AND visitor = ? ORDER BY time`)
            .bind(site.id, visitor)
            .all<{ time: number }>();
          await withSiteDb(site.id, (db) =>
            deriveVisitors(db, ref(), [{ visitor, time: results[late % results.length]!.time }], perPage),
          );
          expect(await derivedRows(site.id, visitor)).toEqual(incremental);
          expect(await rollups(site.id)).toEqual(sums);
          expect((await sessionFacts(site.id, visitor)).stored).toEqual(facts.stored);
          // Not vacuous: a page view always derives a row.
          if (steps.some((s) => s.type === 'page_view')) expect(incremental.page_views.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 30 },
    );
  });

  it("clears a session's facts when a late event leaves it no row", async () => {
    const visitor = `inc${++run}`;
    const t0 = Date.now() - 86_400_000;
    const event = (session: string, type: string, stage: string, at: number) =>
      wire({ visitor, session, ts: t0 + at, type, stage, path: `/${stage}` });
    // s2's only event moves the visitor into decision, until a late event of s1 moved them there first.
    await send(site.id, [event('s1', 'page_view', 'awareness', 0), event('s2', 'view_item', 'decision', 600_000)]);
    const before = await sessionFacts(site.id, visitor);
    expect(before.stored).toEqual(before.reference);
    expect(before.stored[1]).toEqual(['s2', t0 + 600_000, t0 + 600_000, 0, 1 << 2]);
    await send(site.id, [event('s1', 'view_item', 'decision', 300_000)]);
    const after = await sessionFacts(site.id, visitor);
    expect(after.stored).toEqual(after.reference);
    expect(after.stored[1]).toEqual(['s2', null, null, 0, 0]);
  });

  it('derives batches of one visitor posted at the same time as one pass would (a later writer derives again)', async () => {
    await fc.assert(
      fc.asyncProperty(journey(0), fc.array(fc.nat(), { minLength: 2, maxLength: 6 }), async (steps, cuts) => {
        const visitor = `inc${++run}`;
        const batches = split(toEvents(visitor, steps, Date.now() - 86_400_000), cuts);
        // All at once, as tabs of one browser may post; a batch answered 5xx is sent again, as the script does.
        await Promise.all(
          batches.map(async (batch) => {
            for (let attempt = 0; ; attempt++) {
              try {
                return await send(site.id, batch);
              } catch (error) {
                if (attempt >= 5) throw error;
              }
            }
          }),
        );
        expect(await derivedRows(site.id, visitor)).toEqual(await fullDerivation(site.id, visitor));
      }),
      { numRuns: 20 },
    );
  });
});
