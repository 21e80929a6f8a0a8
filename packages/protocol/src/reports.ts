// The reports API's answers (`GET /v1/sites/{site}/{report}`): the one definition the collector answers and the dashboard reads.

/** Money is a list of these, one per currency. */
export interface Money {
  currency: string;
  value: number;
}

export interface FunnelReport {
  stages: Array<{
    stage: string;
    visitors: number;
    rate_from_previous: number | null;
    median_ms_from_previous: number | null;
  }>;
}

export interface TransitionsReport {
  transitions: Array<{ from: string | null; to: string; count: number; visitors: number; median_ms: number | null }>;
}

/** One element or field of a page that friction events name: what kind, which (`target`, or `field` for field errors), how often. */
export interface FrictionTarget {
  kind: 'rage_click' | 'dead_click' | 'error_click' | 'field_error';
  target: string;
  count: number;
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
  rage_clicks: number;
  dead_clicks: number;
  error_clicks: number;
  quick_backs: number;
  field_errors: number;
  score: number;
  /** The page's most frequent targets, most events first. */
  targets: FrictionTarget[];
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
    /**
     * Per field, from the `fields` of the form's events (sent by the script's forms with friction): median time from
     * first focus to first input, refocuses and validation errors in total, and the abandons that ended at it.
     */
    fields: FormField[];
  }>;
}

export interface FormField {
  field: string;
  /** Median over the form events that give it; null when none does (never typed in). */
  hesitation_ms: number | null;
  refocuses: number;
  errors: number;
  abandons: number;
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
    /** Purchased carts that had sat idle with items for `abandon_after` first: abandoned, then bought. */
    recovered: number;
    recovered_value: Money[];
    /** recovered / (recovered + abandoned): the share of carts once abandoned that were bought after all. */
    recovery_rate: number;
  };
  pages: Array<{ path: string; abandons: number }>;
}

export interface KpisReport {
  stages: Array<{
    stage: string;
    views: number;
    visitors: number;
    bounce_rate: number;
    median_visible_ms: number | null;
    to_next_stage: number;
  }>;
  decision: { conversion_rate: number; average_basket: Money[]; median_decision_ms: number | null };
  retention: { repurchase_rate: number };
}

/** Dimension of `breakdown?by=`, one row per value (see docs/PROTOCOL.md "Dimensions and filters"). */
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

/**
 * The three scores of a set of `feedback` answers (docs/PROTOCOL.md "Satisfaction"); each null without an answer of
 * its kind. `nps`: promoters (9–10) minus detractors (0–6), in points of percentage (−100 to 100); `csat`: the share of
 * 4–5, in percent (0 to 100); `ces`: the mean (1 to 7). One decimal (two for `ces`).
 */
export interface SatisfactionScores {
  nps: number | null;
  csat: number | null;
  ces: number | null;
  /** Answers of every kind. */
  responses: number;
}

/** The pages seen in the sessions that answered, worst `satisfaction` first. */
export interface SatisfactionPage extends SatisfactionScores {
  path: string;
  /** Mean of the answers, each put on 0 to 1 ((score − lowest) / (highest − lowest) of its scale). */
  satisfaction: number;
}

export interface SatisfactionReport {
  overall: SatisfactionScores & {
    /** Surveys answered over surveys shown (per session and survey); null when none was shown. */
    response_rate: number | null;
  };
  /** Every stage of the site, in order: the answers given on it. */
  stages: Array<SatisfactionScores & { stage: string }>;
  pages: SatisfactionPage[];
  /** Answers of sessions with a friction signal (rage, dead or error click, quick back, field error), and without. */
  friction: { with: SatisfactionScores; without: SatisfactionScores };
  /** With `?by=<dimension>`: the answers per value of the session's dimension, most responses first. */
  by?: string;
  rows?: Array<SatisfactionScores & { value: string }>;
  /** With `?interval=hour|day|week`: the scores per interval of the period (UTC, `t` its ISO start), oldest first. */
  interval?: 'hour' | 'day' | 'week';
  trend?: Array<SatisfactionScores & { t: string }>;
}
