// The stage rules of docs/PROTOCOL.md "Transitions", and what a visitor's page views and carts are derived to.
import { describe, expect, it } from 'vitest';
import { deriveVisitor } from './index.ts';
import type { StoredEvent } from './types.ts';

let seq = 0;
const ev = (time: number, type: string, stage_index: number, extra: Partial<StoredEvent> = {}): StoredEvent => ({
  seq: ++seq,
  id: `e${String(time).padStart(6, '0')}-${type}`,
  type,
  stage_index,
  session: 's1',
  time,
  path: `/p${stage_index}`,
  path_id: stage_index + 1,
  duration_ms: null,
  value: null,
  currency: null,
  items: null,
  transaction_id: null,
  ...extra,
});
const moves = (events: StoredEvent[]) =>
  deriveVisitor(events).transitions.map((t) => [t.from_index, t.to_index, t.since_ms]);

describe('stage transitions', () => {
  it('moves on page views, forward, skipping and backward, with the time spent before each move', () => {
    expect(
      moves([ev(0, 'page_view', 0), ev(1000, 'page_view', 2), ev(1500, 'page_view', 2), ev(4000, 'page_view', 1)]),
    ).toEqual([
      [null, 0, null],
      [0, 2, 1000],
      [2, 1, 3000],
    ]);
  });

  it('moves on an event whose stage differs from its page (add_to_cart on a product page), never on page_leave or inherited stages', () => {
    expect(
      moves([
        ev(0, 'page_view', 1),
        ev(100, 'form_start', 1),
        ev(200, 'view_item', 1),
        ev(300, 'page_leave', 3),
        ev(400, 'add_to_cart', 2),
        ev(500, 'add_to_cart', 2),
      ]),
    ).toEqual([
      [null, 1, null],
      [1, 2, 400],
    ]);
  });

  it('knows, for each move, when the visitor next reached the following stage and any later stage', () => {
    const t = deriveVisitor([
      ev(0, 'page_view', 0),
      ev(10, 'page_view', 2),
      ev(30, 'page_view', 1),
      ev(70, 'page_view', 2),
      ev(100, 'page_view', 3),
    ]).transitions;
    expect(t.map((m) => [m.to_index, m.next_ms, m.onward_ms])).toEqual([
      [0, 30, 10], // stage 1 first reached at 30; a later stage (2) already at 10
      [2, 90, 90], // stage 3 at 100
      [1, 40, 40], // back to 1 at 30, stage 2 again at 70
      [2, 30, 30],
      [3, null, null],
    ]);
  });

  it("judges an event against its own session's page", () => {
    expect(
      moves([
        ev(0, 'page_view', 1, { session: 'a' }),
        ev(10, 'page_view', 2, { session: 'b' }),
        ev(20, 'signup', 1, { session: 'a' }),
      ]),
    ).toEqual([
      [null, 1, null],
      [1, 2, 10],
    ]);
  });
});

describe('page views', () => {
  it('marks entries, bounces, visible time and exits (last page, no later stage after it)', () => {
    const { pageViews } = deriveVisitor([
      ev(0, 'page_view', 0, { session: 'a' }),
      ev(50, 'page_leave', 0, { session: 'a', duration_ms: 40 }),
      ev(100, 'page_view', 1, { session: 'a' }),
      ev(200, 'add_to_cart', 2, { session: 'a' }),
      ev(1000, 'page_view', 1, { session: 'b' }),
    ]);
    expect(pageViews.map((p) => [p.session, p.time, p.is_entry, p.is_bounce, p.visible_ms, p.is_exit])).toEqual([
      ['a', 0, 1, 0, 40, 0],
      // The last page of session a, but the visitor reached decision after it: not an exit.
      ['a', 100, 0, 0, null, 0],
      ['b', 1000, 1, 1, null, 1],
    ]);
  });
});

describe('carts and purchases', () => {
  const items = (id: string, price: number, quantity: number) => JSON.stringify([{ item_id: id, price, quantity }]);

  it('holds what was added minus what was removed, until a purchase closes the cart', () => {
    const { carts, purchases } = deriveVisitor([
      ev(0, 'add_to_cart', 2, { items: items('a', 10, 2), currency: 'EUR' }),
      ev(10, 'add_to_cart', 2, { items: items('b', 3, 1), currency: 'EUR' }),
      ev(20, 'remove_from_cart', 2, { items: items('a', 10, 1) }),
      ev(30, 'purchase', 2, { value: 13, currency: 'EUR', transaction_id: 'x' }),
      ev(40, 'purchase', 2, { value: 13, currency: 'EUR', transaction_id: 'x' }),
      ev(50, 'add_to_cart', 2, { items: items('c', 7, 1), currency: 'EUR' }),
    ]);
    expect(carts.map((c) => [c.started_at, c.quantity, c.value, c.checkout_at, c.purchased_at])).toEqual([
      [0, 2, 13, 30, 30],
      [50, 1, 7, null, null],
    ]);
    // The resent transaction x counts once; the decision clock started when the cart moved the visitor to decision.
    expect(purchases.map((p) => [p.time, p.nth, p.value, p.decision_ms])).toEqual([[30, 1, 13, 30]]);
  });
});
