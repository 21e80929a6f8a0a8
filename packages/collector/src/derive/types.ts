// Shapes shared by the derive steps: a stored event as loaded, and the derived rows written back.

/** One stored event of a visitor, as the derivation reads it. */
export interface StoredEvent {
  seq: number;
  id: string;
  type: string;
  stage_index: number;
  session: string;
  time: number;
  path: string;
  /** The path's id in the site's `paths`: what derivation's state keys a page by (a number, not a long text). */
  path_id: number;
  duration_ms: number | null;
  value: number | null;
  currency: string | null;
  /** JSON of `items`, loaded for cart events only. */
  items: string | null;
  transaction_id: string | null;
}

export interface TransitionRow {
  time: number;
  event_id: string;
  session: string;
  from_index: number | null;
  to_index: number;
  since_ms: number | null;
  path: string;
  /** ms until the visitor next moved into stage to_index + 1, null if they never did. */
  next_ms: number | null;
  /** ms until the visitor next moved into any stage after to_index, null if they never did. */
  onward_ms: number | null;
  /** Time of the visitor's previous move into to_index, null for the first: counts visitors without grouping. */
  prev_entry: number | null;
  /** Time of the visitor's previous move from from_index to to_index, null for the first. */
  prev_pair: number | null;
}

export interface PageViewRow {
  session: string;
  time: number;
  event_id: string;
  path: string;
  stage_index: number;
  journey_index: number;
  visible_ms: number | null;
  is_entry: 0 | 1;
  is_bounce: 0 | 1;
  is_exit: 0 | 1;
  /** Time of the visitor's previous page view, null for the first. */
  prev_view: number | null;
  /** Time of the visitor's previous page view of the same stage_index, null for the first. */
  prev_stage_view: number | null;
  /** Time of the visitor's previous view of the same (path, stage_index), null for the first. */
  prev_path_view: number | null;
}

export interface CartRow {
  /** The event that opened the cart. */
  event_id: string;
  /** That event's session: a filter on dimensions keeps the carts of the sessions that opened them. */
  session: string;
  started_at: number;
  last_activity: number;
  checkout_at: number | null;
  purchased_at: number | null;
  quantity: number;
  value: number;
  currency: string | null;
  exit_path: string | null;
  exit_stage: number | null;
  /**
   * Longest time the cart held items with no cart activity, up to its last activity (its purchase, if any): a purchased
   * cart whose max_idle_ms reached `abandon_after` was recovered (the carts report's `recovered`).
   */
  max_idle_ms: number;
  /** What it holds (not stored: the schedule reads it for `cart.abandoned`). */
  items: Array<{ item_id: string; item_name?: string; price: number; quantity: number }>;
}

export interface PurchaseRow {
  time: number;
  event_id: string;
  /** The purchase event's session: last-touch attribution and filters read its dimensions. */
  session: string;
  value: number | null;
  currency: string | null;
  nth: number;
  decision_ms: number | null;
  /** Time of the visitor's last page view at or before the purchase, and of their first one after it (null: none). */
  view_before: number | null;
  view_after: number | null;
}

/** Everything derived from one visitor's events. */
export interface VisitorDerived {
  transitions: TransitionRow[];
  pageViews: PageViewRow[];
  carts: CartRow[];
  purchases: PurchaseRow[];
}
