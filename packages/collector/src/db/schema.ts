// The storage's names in one place: tables, their columns in insert order, the rollups' widths and the indexes the
// reports pick. migrations/0001_schema.sql creates them (each commented there); src/db/schema.test.ts checks the two
// agree, and that no other code spells a table's name.
import { type Channel, type Device, type Dimension, DIMENSIONS, type Interval } from '@parcours/protocol';

/** Every table, by its name in SQL: code names a table through this object only. */
export const TABLE = {
  // Sites and their limits.
  sites: 'sites',
  site_stats: 'site_stats',
  visitor_days: 'visitor_days',
  daily_salts: 'daily_salts',
  // Stored events, and each session's dimensions.
  events: 'events',
  // The per-field entries of stored form events, kept with them by triggers (0001_schema.sql).
  form_fields: 'form_fields',
  // Each distinct path of a site once: events, the derived rows and page_days hold its id.
  paths: 'paths',
  sessions: 'sessions',
  // Derived rows, rebuilt per visitor.
  transitions: 'transitions',
  page_views: 'page_views',
  carts: 'carts',
  purchases: 'purchases',
  // Rollups of the derived rows.
  page_view_hours: 'page_view_hours',
  page_days: 'page_days',
  entry_hours: 'entry_hours',
  pair_hours: 'pair_hours',
  // Saved derivation states, one row per (site, visitor, position): the state after every event of the visitor with
  // time < position, so derivation resumes there (src/derive/state.ts).
  visitor_state: 'visitor_state',
  // Each visitor's derivation counter (never lowered while they have data; erasure deletes it), visitors whose
  // derivation is behind (the schedule catches up), and the guards' table that never holds a row.
  visitor_versions: 'visitor_versions',
  // Each site's erasure counter (never lowered, no personal data), which derivation's guard checks too.
  site_erasures: 'site_erasures',
  // Recent erasures by a keyed hash of the visitor, so queued batches received before them are dropped.
  erased_visitors: 'erased_visitors',
  dirty_visitors: 'dirty_visitors',
  guard_failures: 'guard_failures',
  // Webhooks, their deliveries, and the carts and alerts the schedule decides on.
  webhooks: 'webhooks',
  webhook_deliveries: 'webhook_deliveries',
  cart_abandonments: 'cart_abandonments',
  alerts: 'alerts',
  // Surveys the tag shows.
  surveys: 'surveys',
  // A site's move to another shard count, where it resumes (src/shard/move.ts).
  shard_moves: 'shard_moves',
} as const;

/** A shard's record of the migrations it applied to its SQLite (src/shard/site-shard.ts): not a table of the schema. */
export const SHARD_MIGRATIONS = 'shard_migrations';

/**
 * The indexes statements name in `INDEXED BY` (D1 keeps no planner statistics, so the reports choose), by their name
 * in SQL. The `sqlite_autoindex_*` ones are the primary keys of WITHOUT ROWID tables: (site, visitor, time, event_id).
 */
export const INDEX = {
  events_site_time: 'events_site_time',
  events_site_visitor_time: 'events_site_visitor_time',
  events_site_seq: 'events_site_seq',
  events_site_forms: 'events_site_forms',
  events_site_friction: 'events_site_friction',
  events_site_id: 'sqlite_autoindex_events_1',
  form_fields_key: 'sqlite_autoindex_form_fields_1',
  form_fields_site_field: 'form_fields_site_field',
  transitions_key: 'sqlite_autoindex_transitions_1',
  transitions_site_time: 'transitions_site_time',
  transitions_site_pair: 'transitions_site_pair',
  transitions_site_pair_first: 'transitions_site_pair_first',
  transitions_site_first: 'transitions_site_first',
  transitions_site_next: 'transitions_site_next',
  page_views_key: 'sqlite_autoindex_page_views_1',
  carts_key: 'sqlite_autoindex_carts_1',
  purchases_key: 'sqlite_autoindex_purchases_1',
  visitor_state_key: 'sqlite_autoindex_visitor_state_1',
  page_views_site_time: 'page_views_site_time',
  page_views_site_visible: 'page_views_site_visible',
  page_views_site_first_stage: 'page_views_site_first_stage',
  page_views_site_first: 'page_views_site_first',
  page_views_site_first_path: 'page_views_site_first_path',
  purchases_site_time: 'purchases_site_time',
  sessions_key: 'sqlite_autoindex_sessions_1',
  sessions_site_last_row: 'sessions_site_last_row',
  purchases_site_decision: 'purchases_site_decision',
  visitor_state_site_position: 'visitor_state_site_position',
  dirty_visitors_mark: 'dirty_visitors_mark',
} as const;

/** Width of an hour bucket: page_view_hours, entry_hours and pair_hours are keyed by floor(time / HOUR_MS). */
export const HOUR_MS = 3_600_000;
/** Width of a day bucket: page_days is keyed by floor(time / DAY_MS). */
export const DAY_MS = 86_400_000;

/**
 * The intervals a timeseries counts in (UTC; ISO weeks start on Monday, and 1970-01-05 was one): their width, where
 * they start, and the column of page_view_hours and pair_hours counting the rows that were their visitor's first of
 * the interval (page views: of any page; moves: into that stage). Each is a whole number of hours.
 */
export const INTERVALS = {
  hour: { width: HOUR_MS, origin: 0, firsts: 'hour_firsts' },
  day: { width: DAY_MS, origin: 0, firsts: 'day_firsts' },
  week: { width: 7 * DAY_MS, origin: 4 * DAY_MS, firsts: 'week_firsts' },
} as const satisfies Record<Interval, { width: number; origin: number; firsts: string }>;

/** SQL of the start of the interval holding the time `column` (times after 1970-01-05). */
export function intervalStart(column: string, interval: Interval): string {
  const { width, origin } = INTERVALS[interval];
  return `(${column} - (${column} - ${origin}) % ${width})`;
}

/**
 * SQL summing, for each interval, the rows that were their visitor's first of it: those whose previous row of the
 * kind (`previous`, a time; NULL for the first ever) came before the interval's start. The rollups' `*_firsts`.
 */
export function intervalFirsts(previous: string, time: string, sign: 1 | -1): string {
  return (Object.keys(INTERVALS) as Interval[])
    .map((i) => `${sign} * SUM(${previous} IS NULL OR ${previous} < ${intervalStart(time, i)})`)
    .join(', ');
}

/**
 * A period cut at a rollup's bucket width: its whole buckets [first, end) come from the rollup, the rows before
 * `first * width` and from `end * width` on (its partial first and last bucket) from the derived table. Answers
 * `[first, end, first * width, end * width]`, the order the reports bind them in.
 */
export function wholeBuckets(range: { from: number; to: number }, width: number): [number, number, number, number] {
  const first = Math.ceil(range.from / width);
  const end = Math.max(first, Math.floor(range.to / width));
  return [first, end, first * width, end * width];
}

/**
 * The fields of rows (EVENT_COLUMNS, DERIVED) that carry a path's text, with the column their table stores the path's
 * id in (an id of `paths`): a path is stored once per site, not once per row and index.
 */
const PATH_ID_COLUMNS: ReadonlyMap<string, string> = new Map([
  ['path', 'path_id'],
  ['exit_path', 'exit_path_id'],
]);

/** The column a row's field is stored in: the id column of a path field, else the field's own name. */
export function storedColumn(field: string): string {
  return PATH_ID_COLUMNS.get(field) ?? field;
}

/** Whether a row's field is a path's text stored as its id (see storedColumn). */
export function isPathField(field: string): boolean {
  return PATH_ID_COLUMNS.has(field);
}

/**
 * The columns of `events` an insert fills from a row, in the order a packed row lists them (`site` and
 * `received_at` are per batch). `seq` is SQLite's rowid: insertion order.
 */
export const EVENT_COLUMNS = [
  'id',
  'type',
  'stage',
  'stage_index',
  'visitor',
  'session',
  'time',
  'ts',
  'sent_at',
  'path',
  'form',
  'last_field',
  'duration_ms',
  'value',
  'currency',
  'data',
] as const;

/**
 * One row per (site, visitor, session): the session's dimensions, fixed by its first page view
 * (else its first event) and the request that carried it. Never a User-Agent or an address.
 * `started_at`, `first_event` and `from_view` rank candidates, so the row ends up the same
 * whatever order the session's batches arrive in.
 */
export const SESSIONS = {
  table: TABLE.sessions,
  key: ['site', 'visitor', 'session'],
  /** Columns in the order a packed row lists them (the site apart). */
  columns: ['visitor', 'session', 'started_at', 'first_event', 'from_view', ...DIMENSIONS],
} as const;

/**
 * Columns of `sessions` derivation keeps from the session's derived rows (0001_schema.sql): the times of its first and
 * last page view or move (NULL without any), its page views, and the stage positions it moved into (`1 << to_index`
 * each, summed). They never depend on the dimensions, which ingestion alone sets.
 */
export const SESSION_FACTS = ['first_row', 'last_row', 'views', 'entered'] as const;

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
 * The derived tables deriveVisitors rebuilds per visitor, with their rows' fields in insert order
 * (`site` and `visitor` first; a path field is stored in its id column, see storedColumn). Each carries `session`,
 * which the report filters match against `sessions`.
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

/** The columns of a derived table that its row carries (`site` and `visitor` are the round's). */
export type DerivedColumn<T extends DerivedTable> = Exclude<(typeof DERIVED)[T][number], 'site' | 'visitor'>;
