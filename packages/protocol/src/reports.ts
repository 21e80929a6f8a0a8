// The reports API's answers (`GET /v1/sites/{site}/{report}`): the one definition the collector answers and the dashboard reads.

/** Money is a list of these, one per currency. */
export interface Money {
  currency: string;
  value: number;
}

export interface FunnelReport {
  stages: Array<{ stage: string; visitors: number; rate_from_previous: number | null; median_ms_from_previous: number | null }>;
}

export interface TransitionsReport {
  transitions: Array<{ from: string | null; to: string; count: number; visitors: number; median_ms: number | null }>;
}

export interface FrictionPage {
  path: string;
  stage: string;
  views: number;
  visitors: number;
  exits: number;
  exit_rate: number;
  form_abandons: number;
  cart_abandons: number;
  score: number;
}

export interface FrictionReport {
  pages: FrictionPage[];
}

export interface FormsReport {
  forms: Array<{
    form: string;
    path: string;
    starts: number;
    submits: number;
    abandons: number;
    abandon_rate: number;
    last_fields: Array<{ field: string; abandons: number }>;
  }>;
}

export interface CartsReport {
  carts: {
    started: number;
    checked_out: number;
    purchased: number;
    open: number;
    abandoned: number;
    abandonment_rate: number;
    abandoned_value: Money[];
  };
  pages: Array<{ path: string; abandons: number }>;
}

export interface KpisReport {
  stages: Array<{ stage: string; views: number; visitors: number; bounce_rate: number; median_visible_ms: number | null; to_next_stage: number }>;
  decision: { conversion_rate: number; average_basket: Money[]; median_decision_ms: number | null };
  retention: { repurchase_rate: number };
}

/** Dimension of `breakdown?by=`, one row per value (see DESIGN.md "Dimensions"). */
export interface BreakdownRow {
  value: string;
  visitors: number;
  sessions: number;
  /** Per stage of the site: visitors who entered it in the period in a session of this value. */
  entered: Record<string, number>;
  /** Purchases of sessions of this value (last touch) and their value per currency. */
  purchases: number;
  revenue: Money[];
  /** Purchases whose visitor's first session has this value (first touch). */
  first_touch_purchases: number;
  first_touch_revenue: Money[];
  conversion_rate: number;
  abandoned_carts: number;
}

export interface BreakdownReport {
  by: string;
  rows: BreakdownRow[];
}

export interface TimeseriesPoint {
  /** ISO start of the interval (UTC). */
  t: string;
  visitors: number;
  sessions: number;
  page_views: number;
  entered: Record<string, number>;
  purchases: number;
  revenue: Money[];
  abandoned_carts: number;
}

export interface TimeseriesReport {
  interval: 'hour' | 'day' | 'week';
  points: TimeseriesPoint[];
}
