// The storage's names in one place: tables, their columns in insert order, and the dimensions of a session.
import { type Channel, type Device, type Dimension, DIMENSIONS } from '@parcours/protocol';

/**
 * One row per (site, visitor, session): the session's dimensions, fixed by its first page view
 * (else its first event) and the request that carried it. Never a User-Agent or an address.
 * `started_at`, `first_event` and `from_view` rank candidates, so the row ends up the same
 * whatever order the session's batches arrive in (migration 0040).
 */
export const SESSIONS = {
  table: 'sessions',
  key: ['site', 'visitor', 'session'],
  /** Columns in the order a packed row lists them (the site apart). */
  columns: ['visitor', 'session', 'started_at', 'first_event', 'from_view', ...DIMENSIONS],
} as const;

/** The column of `sessions` each dimension is stored in. */
export const DIMENSION_COLUMNS: Record<Dimension, (typeof SESSIONS.columns)[number]> = {
  channel: 'channel',
  source: 'source',
  medium: 'medium',
  campaign: 'campaign',
  referrer: 'referrer',
  landing: 'landing',
  device: 'device',
  browser: 'browser',
  os: 'os',
  country: 'country',
};

/** A session's dimension values. */
export interface SessionDimensions {
  channel: Channel;
  source: string;
  medium: string;
  campaign: string;
  referrer: string;
  landing: string;
  device: Device;
  browser: string;
  os: string;
  country: string;
}

/** A candidate row of `sessions`: one event of the session and what it and its request say. */
export interface SessionRow extends SessionDimensions {
  visitor: string;
  session: string;
  started_at: number;
  first_event: string;
  from_view: 0 | 1;
}

/**
 * The derived tables deriveVisitors rebuilds per visitor, with their columns in insert order
 * (`site` and `visitor` first). Each carries `session`, which the report filters match against `sessions`.
 */
export const DERIVED = {
  transitions: [
    'site',
    'visitor',
    'session',
    'time',
    'event_id',
    'from_stage',
    'to_stage',
    'from_index',
    'to_index',
    'since_ms',
    'path',
    'next_ms',
    'onward_ms',
    'prev_entry',
    'prev_pair',
  ],
  page_views: [
    'site',
    'visitor',
    'session',
    'time',
    'event_id',
    'path',
    'stage_index',
    'journey_index',
    'visible_ms',
    'is_entry',
    'is_bounce',
    'is_exit',
    'prev_view',
    'prev_stage_view',
    'prev_path_view',
  ],
  carts: [
    'site',
    'visitor',
    'session',
    'event_id',
    'started_at',
    'last_activity',
    'checkout_at',
    'purchased_at',
    'quantity',
    'value',
    'currency',
    'exit_path',
    'exit_stage',
    'max_idle_ms',
  ],
  purchases: [
    'site',
    'visitor',
    'session',
    'time',
    'event_id',
    'value',
    'currency',
    'nth',
    'decision_ms',
    'view_before',
    'view_after',
  ],
} as const;

export type DerivedTable = keyof typeof DERIVED;

/**
 * Saved derivation states, one row per (site, visitor, position): the state after every event of the visitor with
 * time < position, so derivation resumes there (migration 0045, src/derive/state.ts).
 */
export const VISITOR_STATE = 'visitor_state';
