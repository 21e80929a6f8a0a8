// A visitor's derivation state at a point of their history: what the fold over their earlier events remembers, saved as JSON.
//
// What its size grows with, and why that is not bounded yet. Bounded: the stage maps (lastEntry, lastPair,
// lastStageView, entered: the site's stages, at most 20, 400 pairs) and the open cart (its lines, bounded by the
// item quotas). Growing, one entry each for the visitor's whole history, whatever its age:
// - `lastPathView`, per distinct (stage, path) viewed, keyed by the path's id (`pageKey`: a few bytes whatever the
//   path's length): a page view's prev_path_view (is it the visitor's first view of
//   that page, page_days.first_views) needs the last view of its path at any age. Reading it from page_views instead
//   needs an index (site, visitor, path, time) on page_views: its key is (site, visitor, time, event_id), so a lookup
//   scans the visitor's views, the cost this state exists to avoid.
// - `sessions`, per session: an event of any earlier session may still come (session ids are the script's; another
//   tab back online sends an old one), and its rows depend on the session's last page view, its view count (entry,
//   bounce), its page's stage and the closed carts whose exit page is its last view. Pruning an old session needs the
//   same from derived rows: page_views by (site, visitor, session, time) (no such index) and each closed cart's last
//   session (carts keep the session that opened it, not the last one active). Each holds its last page view's row, path
//   text included.
// - `transactions`, per purchase with a transaction id: a resend under a new event id is counted once only if every
//   earlier id is known; purchases does not store transaction_id, so it cannot be read back.
// Each saved row is then O(sessions + distinct pages + transactions) (32 KB at 40,000 page views in 80 sessions:
// bench/RESULTS.md, "Derivation against a visitor's history"), at most 16 rows a visitor (store.ts, positionsToDrop).
// Bounding it exactly takes a migration: purchases.transaction_id and carts.last_session stored, and page_views
// indexed by (site, visitor, path, time) and (site, visitor, session, time) (bytes on every page view, for every
// site); then the state keeps recent sessions and paths only and the rest is read back on a miss.
import type { CartRow, PageViewRow } from './types.ts';

/**
 * The key of a page in `lastPathView`: its stage and its path's id in `paths` (a number where the path may be 2,000
 * characters: the state holds one key per distinct page the visitor viewed).
 */
export const pageKey = (stage: number, pathId: number): string => `${stage} ${pathId}`;

/** What derivation remembers of one session. */
export interface SessionState {
  /** Stage of the session's current page (null: no page view yet): an event on a page of its own stage does not move. */
  page: number | null;
  /** Page views so far, counted up to 2: the first is the entry, a single one a bounce. */
  views: number;
  /** The session's last page view: the only row of the session that later events still change. */
  last: PageViewRow | null;
  /** The last page view has not been closed by a page_leave yet. */
  open: boolean;
  /** The visitor reached a later stage than the last page view's, or bought, after it: that view is no exit. */
  progressed: boolean;
  /** Time of the session's latest event, and at that millisecond the highest stage moved into and whether a purchase came. */
  msTime: number;
  msTop: number;
  msPurchase: boolean;
  /** Closed carts whose last activity was in this session: their exit page is the session's last page view. */
  carts: string[];
}

/** A cart not closed by a purchase yet. */
export interface OpenCart {
  row: CartRow;
  lines: Map<string, { price: number; quantity: number; name?: string }>;
  lastSession: string;
}

export interface VisitorState {
  /** The visitor's stage, and when they last moved. */
  current: number | null;
  lastMove: number | null;
  /** Time of the latest move into each stage, and between each pair of stages (`from to`). */
  lastEntry: Map<number, number>;
  lastPair: Map<string, number>;
  /** Time of the latest page view: any, per page stage, per `stage path`. */
  lastView: number | null;
  lastStageView: Map<number, number>;
  lastPathView: Map<string, number>;
  sessions: Map<string, SessionState>;
  /** Transaction ids already counted, first entry into each stage since the last purchase, the last purchase, purchases counted. */
  transactions: Set<string>;
  entered: Map<number, number>;
  lastPurchase: number | null;
  purchases: number;
  cart: OpenCart | null;
}

export function freshState(): VisitorState {
  return {
    current: null,
    lastMove: null,
    lastEntry: new Map(),
    lastPair: new Map(),
    lastView: null,
    lastStageView: new Map(),
    lastPathView: new Map(),
    sessions: new Map(),
    transactions: new Set(),
    entered: new Map(),
    lastPurchase: null,
    purchases: 0,
    cart: null,
  };
}

/** A session the visitor has no event of yet. */
export function freshSession(): SessionState {
  return {
    page: null,
    views: 0,
    last: null,
    open: false,
    progressed: false,
    msTime: Number.NaN,
    msTop: -1,
    msPurchase: false,
    carts: [],
  };
}

/** The state as stored in visitor_state.state: maps and sets as arrays of entries. */
export function saveState(s: VisitorState): string {
  return JSON.stringify({
    ...s,
    lastEntry: [...s.lastEntry],
    lastPair: [...s.lastPair],
    lastStageView: [...s.lastStageView],
    lastPathView: [...s.lastPathView],
    sessions: [...s.sessions],
    transactions: [...s.transactions],
    entered: [...s.entered],
    cart: s.cart && { ...s.cart, lines: [...s.cart.lines] },
  });
}

export function loadState(json: string): VisitorState {
  const v = JSON.parse(json);
  return {
    ...v,
    lastEntry: new Map(v.lastEntry),
    lastPair: new Map(v.lastPair),
    lastStageView: new Map(v.lastStageView),
    lastPathView: new Map(v.lastPathView),
    sessions: new Map(v.sessions),
    transactions: new Set(v.transactions),
    entered: new Map(v.entered),
    cart: v.cart && { ...v.cart, lines: new Map(v.cart.lines) },
  };
}
