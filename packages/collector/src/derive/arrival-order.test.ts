// Late and out-of-order delivery gives the derived rows of in-order delivery: property tests with fast-check.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { WireEvent } from '@parcours/protocol';
import { registerSite } from '../../test/helpers.ts';
import { send, storedTransitions, wire } from '../../test/test-support.ts';
import { deriveVisitor } from './index.ts';
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
      gap: fc.integer({ min: minGap, max: minGap + 90_000 }),
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
