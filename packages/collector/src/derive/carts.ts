// A visitor's carts and purchases from their cart events: items held, value, checkout, purchase, decision time.
import type { Item } from '@parcours/protocol';
import type { OpenCart } from './state.ts';
import type { CartRow, PurchaseRow, StoredEvent, TransitionRow } from './types.ts';

/** Cart events that count as activity on an open cart (a purchase closes it instead). */
export const ACTIVITY = new Set(['add_to_cart', 'remove_from_cart', 'view_cart', 'begin_checkout', 'add_payment_info']);
/** Events that open a cart when none is open: adding, or a buy-now flow that goes straight to checkout. */
export const OPENS = new Set(['add_to_cart', 'begin_checkout', 'add_payment_info', 'purchase']);

function parseItems(json: string | null): Item[] {
  if (!json) return [];
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? (v as Item[]) : [];
  } catch {
    return [];
  }
}

/** The lines an event adds or removes: its items, or its bare `value` as one line when it names none. */
function linesOf(e: StoredEvent): Array<{ key: string; price: number; quantity: number; name?: string }> {
  const items = parseItems(e.items);
  if (items.length) {
    return items.map((i) => ({
      key: i.item_id ?? i.item_name ?? '',
      price: i.price ?? 0,
      quantity: i.quantity ?? 1,
      name: i.item_name,
    }));
  }
  return e.value !== null ? [{ key: '\u0000value', price: Math.abs(e.value), quantity: 1 }] : [];
}

function settle(cart: OpenCart): void {
  let quantity = 0;
  let value = 0;
  for (const l of cart.lines.values()) {
    quantity += l.quantity;
    value += l.price * l.quantity;
  }
  cart.row.quantity = quantity;
  cart.row.value = Math.round(value * 100) / 100;
  cart.row.items = [...cart.lines].map(([key, l]) => ({
    item_id: key,
    ...(l.name === undefined ? {} : { item_name: l.name }),
    price: l.price,
    quantity: l.quantity,
  }));
}

/** A purchase's value: its `value`, else its items' sum. A negative value (stored before amounts were checked) is not one. */
function purchaseValue(e: StoredEvent): number | null {
  if (e.value !== null && e.value >= 0) return e.value;
  const items = parseItems(e.items);
  return items.length ? items.reduce((s, i) => s + (i.price ?? 0) * (i.quantity ?? 1), 0) : null;
}

/**
 * Folds a visitor's events (sorted by event time) into carts and purchases. A cart is the
 * visitor's items since their previous purchase; a resent transaction id is counted once.
 */
export function foldCarts(
  events: StoredEvent[],
  transitions: TransitionRow[],
  stageAfter: Map<string, number>,
  lastPathOfSession: Map<string, { path: string; stage: number }>,
): { carts: CartRow[]; purchases: PurchaseRow[] } {
  const carts: CartRow[] = [];
  const purchases: PurchaseRow[] = [];
  const seenTransactions = new Set<string>();
  // First time the visitor entered each stage since their previous purchase: the decision clock.
  const entered = new Map<number, number>();
  let t = 0;
  let open: OpenCart | null = null;
  let lastPurchase: number | null = null;

  for (const e of events) {
    while (
      t < transitions.length &&
      transitions[t]!.time <= e.time &&
      (transitions[t]!.time < e.time || transitions[t]!.event_id <= e.id)
    ) {
      const tr = transitions[t++]!;
      if (!entered.has(tr.to_index)) entered.set(tr.to_index, tr.time);
    }
    if (!OPENS.has(e.type) && !ACTIVITY.has(e.type)) continue;
    if (e.type === 'purchase' && e.transaction_id) {
      if (seenTransactions.has(e.transaction_id)) continue;
      seenTransactions.add(e.transaction_id);
    }
    if (!open && OPENS.has(e.type)) {
      open = openCart(e);
      carts.push(open.row);
    }
    if (!open) continue;
    applyCartEvent(open, e);
    const exit = lastPathOfSession.get(open.lastSession);
    open.row.exit_path = exit?.path ?? e.path;
    open.row.exit_stage = exit?.stage ?? e.stage_index;

    if (e.type === 'purchase') {
      purchases.push(
        closeCart(open, e, stageAfter.get(e.id) ?? e.stage_index, entered, lastPurchase, purchases.length),
      );
      entered.clear();
      lastPurchase = e.time;
      open = null;
    }
  }
  return { carts, purchases };
}

/** A cart opened by `e`: a buy-now flow carries its items on the checkout or purchase event itself. */
export function openCart(e: StoredEvent): OpenCart {
  const open: OpenCart = {
    row: {
      event_id: e.id,
      session: e.session,
      started_at: e.time,
      last_activity: e.time,
      checkout_at: null,
      purchased_at: null,
      quantity: 0,
      value: 0,
      currency: null,
      exit_path: null,
      exit_stage: null,
      max_idle_ms: 0,
      items: [],
    },
    lines: new Map(),
    lastSession: e.session,
  };
  if (e.type !== 'add_to_cart')
    for (const l of linesOf(e)) open.lines.set(l.key, { price: l.price, quantity: l.quantity, name: l.name });
  return open;
}

/** What a cart event does to the open cart: idle time, lines held, currency, checkout, last activity; then its totals. */
export function applyCartEvent(open: OpenCart, e: StoredEvent): void {
  // Idle time while it held items, until this activity or purchase: what abandonment is measured on.
  if (open.row.quantity > 0) open.row.max_idle_ms = Math.max(open.row.max_idle_ms, e.time - open.row.last_activity);
  if (e.currency) open.row.currency = e.currency;
  if (e.type === 'add_to_cart') {
    for (const l of linesOf(e)) {
      const held = open.lines.get(l.key);
      open.lines.set(l.key, {
        price: l.price,
        quantity: (held?.quantity ?? 0) + l.quantity,
        name: l.name ?? held?.name,
      });
    }
  } else if (e.type === 'remove_from_cart') {
    for (const l of linesOf(e)) {
      const held = open.lines.get(l.key);
      if (!held) continue;
      held.quantity = Math.max(0, held.quantity - l.quantity);
      if (held.quantity === 0) open.lines.delete(l.key);
    }
  } else if ((e.type === 'begin_checkout' || e.type === 'add_payment_info') && open.row.checkout_at === null) {
    open.row.checkout_at = e.time;
  }
  if (ACTIVITY.has(e.type)) {
    open.row.last_activity = e.time;
    open.lastSession = e.session;
  }
  settle(open);
}

/**
 * Closes the open cart with purchase `e` and answers the purchase's row (its nearest page views filled later).
 * `stage` is the visitor's stage right after it; `entered` the first entry into each stage since the previous purchase.
 */
export function closeCart(
  open: OpenCart,
  e: StoredEvent,
  stage: number,
  entered: Map<number, number>,
  lastPurchase: number | null,
  earlierPurchases: number,
): PurchaseRow {
  open.row.purchased_at = e.time;
  // A purchase went through checkout even when no begin_checkout was sent (buy-now, missed event).
  open.row.checkout_at ??= e.time;
  open.row.last_activity = Math.max(open.row.last_activity, e.time);
  // Since the visitor entered the purchase's stage; a customer who never left it since buying: since that purchase.
  const since = entered.get(stage) ?? lastPurchase;
  return {
    time: e.time,
    event_id: e.id,
    session: e.session,
    value: purchaseValue(e),
    currency: e.currency ?? open.row.currency,
    nth: earlierPurchases + 1,
    decision_ms: since === null ? null : e.time - since,
    view_before: null,
    view_after: null,
  };
}
