// Derivation resumed from a saved state: the rows of a run of events (a "page"), and what they change in earlier rows.
import { PAGE_LEAVE, PAGE_VIEW } from '@parcours/protocol';
import { ACTIVITY, applyCartEvent, closeCart, OPENS, openCart } from './carts.ts';
import { lookAhead } from './journey.ts';
import { freshSession, type OpenCart, pageKey, type SessionState, type VisitorState } from './state.ts';
import type { CartRow, PageViewRow, PurchaseRow, StoredEvent, TransitionRow } from './types.ts';

const PURCHASE = 'purchase';

/** The rows of one page of events, and the earlier rows the page changes. */
export interface Page {
  transitions: TransitionRow[];
  pageViews: PageViewRow[];
  /** Carts opened in the page, and the cart open at its start (whose row is replaced). */
  carts: CartRow[];
  purchases: PurchaseRow[];
  /** The cart open at the page's start: its stored row is replaced by the one in `carts`. */
  reopened: string | null;
  /** Sessions' last page views from before the page that the page changed (entry, bounce, visible time, exit). */
  rewrittenViews: PageViewRow[];
  /** Closed carts from before the page whose session got a new last page view: their exit page. */
  cartExits: Array<{ event_id: string; path: string; stage: number }>;
  /** Time of the page's first move into each stage: resolves the look-ahead of earlier moves. */
  firstMove: Map<number, number>;
  /** Time of the page's first page view: the next view of earlier purchases. */
  firstView: number | null;
  /** The state at the page's start: last move into each stage, last page view (which earlier rows still wait). */
  before: { lastEntry: Map<number, number>; lastView: number | null };
}

/** Marks the session's last page view as followed by a later stage or a purchase: no exit. */
function progress(s: SessionState): void {
  if (!s.last) return;
  s.progressed = true;
  s.last.is_exit = 0;
}

/**
 * Folds `events` (sorted by `byEventTime`, every event of the visitor from a millisecond on, up to a millisecond)
 * into `state`, which then stands after them. The rules are those of `deriveVisitor` (journey.ts, carts.ts), taken
 * event by event: deriving a visitor's events in one page or in many, from saved states, gives the same rows.
 */
export function foldPage(state: VisitorState, events: StoredEvent[]): Page {
  const before = { lastEntry: new Map(state.lastEntry), lastView: state.lastView };
  const transitions: TransitionRow[] = [];
  const pageViews: PageViewRow[] = [];
  const purchases: PurchaseRow[] = [];
  const reopened = state.cart?.row.event_id ?? null;
  const carts: CartRow[] = state.cart ? [state.cart.row] : [];
  const closed: Array<{ row: CartRow; session: string }> = [];
  /** Sessions' last views from before the page, for the sessions the page touches. */
  const earlier = new Map<string, PageViewRow>();
  const touched = new Set<string>();
  const newViews = new Set<string>();

  for (const e of events) {
    const s = state.sessions.get(e.session) ?? freshSession();
    state.sessions.set(e.session, s);
    if (!touched.has(e.session)) {
      touched.add(e.session);
      if (s.last) earlier.set(e.session, s.last);
    }
    if (s.msTime !== e.time) {
      s.msTime = e.time;
      s.msTop = -1;
      s.msPurchase = false;
    }

    // The journey: the stage moves on a page view, and on another event whose stage differs from its session's page.
    let target: number | null = null;
    if (e.type === PAGE_VIEW) {
      s.page = e.stage_index;
      target = e.stage_index;
    } else if (e.type !== PAGE_LEAVE && s.page !== e.stage_index) target = e.stage_index;
    if (target !== null && target !== state.current) {
      const pair = `${state.current} ${target}`;
      transitions.push({
        time: e.time,
        event_id: e.id,
        session: e.session,
        from_index: state.current,
        to_index: target,
        since_ms: state.lastMove === null ? null : e.time - state.lastMove,
        path: e.path,
        next_ms: null,
        onward_ms: null,
        prev_entry: state.lastEntry.get(target) ?? null,
        prev_pair: state.lastPair.get(pair) ?? null,
      });
      state.lastEntry.set(target, e.time);
      state.lastPair.set(pair, e.time);
      state.current = target;
      state.lastMove = e.time;
      if (!state.entered.has(target)) state.entered.set(target, e.time);
      s.msTop = Math.max(s.msTop, target);
      if (s.last && target > s.last.journey_index) progress(s);
    }

    // Page views: entry, bounce, visible time, exit (the session's last view, no later stage or purchase after it).
    if (e.type === PAGE_VIEW) {
      const journey = state.current ?? e.stage_index;
      const pathKey = pageKey(e.stage_index, e.path_id);
      const row: PageViewRow = {
        session: e.session,
        time: e.time,
        event_id: e.id,
        path: e.path,
        stage_index: e.stage_index,
        journey_index: journey,
        visible_ms: null,
        is_entry: s.views === 0 ? 1 : 0,
        is_bounce: s.views === 0 ? 1 : 0,
        is_exit: 0,
        prev_view: state.lastView,
        prev_stage_view: state.lastStageView.get(e.stage_index) ?? null,
        prev_path_view: state.lastPathView.get(pathKey) ?? null,
      };
      if (s.last) {
        s.last.is_bounce = 0;
        s.last.is_exit = 0;
      }
      // Moves and purchases of the session at this very millisecond count as after the view (times compare).
      s.progressed = s.msTop > journey || s.msPurchase;
      row.is_exit = s.progressed ? 0 : 1;
      s.views = Math.min(2, s.views + 1);
      s.last = row;
      s.open = true;
      newViews.add(e.session);
      state.lastView = e.time;
      state.lastStageView.set(e.stage_index, e.time);
      state.lastPathView.set(pathKey, e.time);
      pageViews.push(row);
    } else if (e.type === PAGE_LEAVE && s.open && s.last && e.duration_ms !== null) {
      // The first leave after a view closes it (an SPA may send one per route).
      s.last.visible_ms = e.duration_ms;
      s.open = false;
    }
    if (e.type === PURCHASE) {
      s.msPurchase = true;
      progress(s);
    }

    // Carts and purchases: a resent transaction id counts once.
    if (!OPENS.has(e.type) && !ACTIVITY.has(e.type)) continue;
    if (e.type === PURCHASE && e.transaction_id) {
      if (state.transactions.has(e.transaction_id)) continue;
      state.transactions.add(e.transaction_id);
    }
    if (!state.cart && OPENS.has(e.type)) {
      state.cart = openCart(e);
      carts.push(state.cart.row);
    }
    const cart: OpenCart | null = state.cart;
    if (!cart) continue;
    applyCartEvent(cart, e);
    // The exit page falls back on this event's page; the session's last page view replaces it at the page's end.
    cart.row.exit_path = e.path;
    cart.row.exit_stage = e.stage_index;
    if (e.type === PURCHASE) {
      purchases.push(
        closeCart(cart, e, state.current ?? e.stage_index, state.entered, state.lastPurchase, state.purchases),
      );
      state.purchases++;
      state.entered.clear();
      state.lastPurchase = e.time;
      closed.push({ row: cart.row, session: cart.lastSession });
      state.cart = null;
    }
  }

  // A cart's exit page: the last page view of the session of its last activity, as far as the events go.
  const exitFrom = (row: CartRow, session: string) => {
    const last = state.sessions.get(session)?.last;
    if (last) {
      row.exit_path = last.path;
      row.exit_stage = last.stage_index;
    }
  };
  const cartExits: Page['cartExits'] = [];
  for (const session of newViews) {
    const s = state.sessions.get(session)!;
    for (const id of s.carts) cartExits.push({ event_id: id, path: s.last!.path, stage: s.last!.stage_index });
  }
  for (const { row, session } of closed) {
    exitFrom(row, session);
    state.sessions.get(session)!.carts.push(row.event_id);
  }
  if (state.cart) exitFrom(state.cart.row, state.cart.lastSession);

  // Each purchase's nearest page views: the last at or before it (maybe before the page), the first after it.
  let i = 0;
  for (const p of purchases) {
    while (i < pageViews.length && pageViews[i]!.time <= p.time) i++;
    p.view_before = i > 0 ? pageViews[i - 1]!.time : before.lastView;
    p.view_after = i < pageViews.length ? pageViews[i]!.time : null;
  }

  return {
    transitions,
    pageViews,
    carts,
    purchases,
    reopened,
    rewrittenViews: [...earlier.values()],
    cartExits,
    firstMove: lookAhead(transitions),
    firstView: pageViews[0]?.time ?? null,
    before,
  };
}
