// A hand-built shop history: seven visitors with known journeys, whose report numbers the tests work out by hand.
import type { WireEvent } from '@parcours/protocol';
import { wire, type TestEvent } from './test-support.ts';

const S = 1000;
const MIN = 60 * S;
export const DAY = 86_400_000;

/**
 * The journeys, times relative to T (two days before `now`), default stages
 * (awareness 0, consideration 1, decision 2, retention 3, advocacy 4):
 * - A buys: blog → product (adds a mug, moves to decision) → checkout form submitted → purchase 12.50 EUR.
 * - B abandons a cart: product, adds 2 mugs + 1 cup, removes the cup, views /cart, leaves (25 EUR held).
 * - C bounces on a blog post.
 * - D compares, abandons the quote form at `email`, comes back an hour later to a guide (backward move).
 * - E, a customer who bought 30 EUR five days before T, comes back: account, cup, buys 12 EUR
 *   (the thank-you page resends the purchase under a new id: counted once), then refers a friend.
 * - F buys 100 USD straight from checkout (buy-now, no cart events).
 * - G added a cup five minutes before `now`: an open cart.
 */
export function shopJourneys(now: number): WireEvent[] {
  const T = now - 2 * DAY;
  const ev = (
    visitor: string,
    session: string,
    at: number,
    type: string,
    stage: string,
    path: string,
    extra: Partial<TestEvent> = {},
  ) => wire({ visitor, session, ts: at, type, stage, path, ...extra });
  const mug = (quantity: number) => ({ items: [{ item_id: 'mug', price: 12.5, quantity }], currency: 'EUR' });
  const cup = (quantity: number) => ({ items: [{ item_id: 'cup', price: 4, quantity }], currency: 'EUR' });

  return [
    // A
    ev('A', 'a1', T + 0 * S, 'page_view', 'awareness', '/blog/post'),
    ev('A', 'a1', T + 10 * S, 'page_leave', 'awareness', '/blog/post', { duration_ms: 8000 }),
    ev('A', 'a1', T + 20 * S, 'page_view', 'consideration', '/p/mug'),
    ev('A', 'a1', T + 30 * S, 'view_item', 'consideration', '/p/mug', mug(1)),
    ev('A', 'a1', T + 40 * S, 'add_to_cart', 'decision', '/p/mug', { ...mug(1), value: 12.5 }),
    ev('A', 'a1', T + 50 * S, 'page_leave', 'consideration', '/p/mug', { duration_ms: 25000 }),
    ev('A', 'a1', T + 60 * S, 'page_view', 'decision', '/checkout'),
    ev('A', 'a1', T + 70 * S, 'begin_checkout', 'decision', '/checkout', mug(1)),
    ev('A', 'a1', T + 80 * S, 'form_start', 'decision', '/checkout', { form: 'checkout' }),
    ev('A', 'a1', T + 90 * S, 'form_submit', 'decision', '/checkout', { form: 'checkout', duration_ms: 10000 }),
    ev('A', 'a1', T + 100 * S, 'purchase', 'decision', '/checkout', { ...mug(1), value: 12.5, transaction_id: 'T-A1' }),
    ev('A', 'a1', T + 110 * S, 'page_leave', 'decision', '/checkout', { duration_ms: 45000 }),
    // B
    ev('B', 'b1', T + 0 * S, 'page_view', 'consideration', '/p/mug'),
    ev('B', 'b1', T + 5 * S, 'add_to_cart', 'decision', '/p/mug', mug(2)),
    ev('B', 'b1', T + 8 * S, 'add_to_cart', 'decision', '/p/mug', cup(1)),
    ev('B', 'b1', T + 12 * S, 'remove_from_cart', 'decision', '/p/mug', cup(1)),
    ev('B', 'b1', T + 15 * S, 'page_view', 'decision', '/cart'),
    ev('B', 'b1', T + 20 * S, 'view_cart', 'decision', '/cart', { currency: 'EUR', value: 25 }),
    ev('B', 'b1', T + 25 * S, 'page_leave', 'decision', '/cart', { duration_ms: 9000 }),
    // C
    ev('C', 'c1', T + 0 * S, 'page_view', 'awareness', '/blog/post'),
    ev('C', 'c1', T + 30 * S, 'page_leave', 'awareness', '/blog/post', { duration_ms: 30000 }),
    // D
    ev('D', 'd1', T + 0 * S, 'page_view', 'consideration', '/pricing'),
    ev('D', 'd1', T + 10 * S, 'page_view', 'consideration', '/contact'),
    ev('D', 'd1', T + 20 * S, 'form_start', 'consideration', '/contact', { form: 'quote' }),
    ev('D', 'd1', T + 40 * S, 'form_abandon', 'consideration', '/contact', {
      form: 'quote',
      last_field: 'email',
      fields_touched: 2,
      duration_ms: 20000,
    }),
    ev('D', 'd1', T + 45 * S, 'page_leave', 'consideration', '/contact', { duration_ms: 35000 }),
    ev('D', 'd2', T + 3600 * S, 'page_view', 'awareness', '/blog/guide'),
    ev('D', 'd2', T + 3610 * S, 'page_leave', 'awareness', '/blog/guide', { duration_ms: 5000 }),
    // E: an earlier purchase five days before T, then the visit at T.
    ev('E', 'e0', T - 5 * DAY, 'page_view', 'decision', '/checkout'),
    ev('E', 'e0', T - 5 * DAY + 10 * S, 'purchase', 'decision', '/checkout', {
      value: 30,
      currency: 'EUR',
      transaction_id: 'T-E0',
    }),
    ev('E', 'e1', T + 0 * S, 'page_view', 'retention', '/account'),
    ev('E', 'e1', T + 10 * S, 'page_view', 'consideration', '/p/cup'),
    ev('E', 'e1', T + 20 * S, 'add_to_cart', 'decision', '/p/cup', cup(3)),
    ev('E', 'e1', T + 30 * S, 'page_view', 'decision', '/checkout'),
    ev('E', 'e1', T + 40 * S, 'purchase', 'decision', '/checkout', { ...cup(3), value: 12, transaction_id: 'T-E1' }),
    ev('E', 'e1', T + 50 * S, 'purchase', 'decision', '/checkout', { ...cup(3), value: 12, transaction_id: 'T-E1' }),
    ev('E', 'e1', T + 60 * S, 'page_view', 'advocacy', '/refer'),
    ev('E', 'e1', T + 70 * S, 'page_leave', 'advocacy', '/refer', { duration_ms: 8000 }),
    // F
    ev('F', 'f1', T + 0 * S, 'page_view', 'decision', '/checkout'),
    ev('F', 'f1', T + 5 * S, 'purchase', 'decision', '/checkout', {
      value: 100,
      currency: 'USD',
      transaction_id: 'T-F1',
    }),
    // G
    ev('G', 'g1', now - 6 * MIN, 'page_view', 'consideration', '/p/cup'),
    ev('G', 'g1', now - 5 * MIN, 'add_to_cart', 'decision', '/p/cup', cup(1)),
  ];
}
