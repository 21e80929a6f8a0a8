// Report query parameters: the time range (`from`/`to`), `abandon_after`, `limit`, `cursor`, `by`, `interval`, dimension
// filters; anything malformed or unknown is refused.
import { DIMENSIONS, INTERVALS, type Dimension, type Interval } from '@parcours/protocol';
import { parseFilter, type SessionFilter } from './filter.ts';

/** A report's time window on event time: `from` inclusive, `to` exclusive, ms since epoch. */
export interface Range {
  from: number;
  to: number;
  /** The clock the report reads "now" from (carts: time since last activity). */
  now: number;
  /** The sessions whose rows the report keeps (`?channel=email`); absent: every session. */
  filter?: SessionFilter;
}

const DAY = 86_400_000;
/** Default window when `from` / `to` are missing. */
const DEFAULT_DAYS = 30;
const DEFAULT_ABANDON_MINUTES = 30;
/** At most a year of inactivity before a cart counts as abandoned. */
export const MAX_ABANDON_MINUTES = 525_600;
export const DEFAULT_EXPORT_LIMIT = 1000;
/** The lists of `friction` (pages), `forms` (forms) and `carts` (pages): `limit` rows by default, at most MAX_LIST_LIMIT. */
export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 1000;
export const MAX_EXPORT_LIMIT = 10_000;

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?(Z|[+-](\d{2}):?(\d{2}))?)?$/;
/** A positive decimal number written plainly (`30`, `0.05`): no sign, exponent, hex or spaces. */
const DECIMAL = /^\d{1,9}(?:\.\d{1,9})?$/;
const INTEGER = /^\d{1,9}$/;

export class QueryError extends Error {
  readonly code = 'invalid-query';
}

/** A value the request gave, as a message names it: its start only, when long (a 10 KB value is not sent back whole). */
const named = (v: string): string => (v.length > 64 ? `${v.slice(0, 64)}… (${v.length} characters)` : v);

const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

function isoTime(v: string, end: boolean): number {
  const m = ISO.exec(v);
  if (!m) throw new QueryError(`not an ISO 8601 date or time (2026-11-23, 2026-11-23T14:00:00Z): ${named(v)}`);
  const [year, month, day, hour, minute, second, offH, offM] = [1, 2, 3, 4, 5, 6, 8, 9].map((i) =>
    Number(m[i] ?? 0),
  ) as [number, number, number, number, number, number, number, number];
  // Date.parse rolls 2026-02-30 over into March and reads 24:00: a date that is not on the calendar is refused instead.
  if (
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysIn(year, month) ||
    hour > 23 ||
    minute > 59 ||
    second > 59 ||
    offH > 23 ||
    offM > 59
  )
    throw new QueryError(`not a calendar date: ${named(v)}`);
  // A bare date is a whole UTC day: `to=2026-11-23` includes the 23rd.
  const dateOnly = m[4] === undefined;
  const t = Date.parse(dateOnly ? `${v}T00:00:00Z` : m[7] ? v.replace(' ', 'T') : `${v.replace(' ', 'T')}Z`);
  if (!Number.isFinite(t)) throw new QueryError(`not a date: ${named(v)}`);
  return dateOnly && end ? t + DAY : t;
}

/** The one value of a parameter; null when absent or empty, refused when given twice (which one would count?). */
function single(params: URLSearchParams, name: string): string | null {
  const all = params.getAll(name);
  if (all.length > 1) throw new QueryError(`${name} given ${all.length} times`);
  return all[0] || null;
}

/** Parses `from` / `to` (ISO 8601, UTC unless an offset is given); missing ones default to the last 30 days. */
function parseRange(params: URLSearchParams, now = Date.now()): Range {
  const toParam = single(params, 'to');
  const fromParam = single(params, 'from');
  const to = toParam ? isoTime(toParam, true) : now;
  const from = fromParam ? isoTime(fromParam, false) : to - DEFAULT_DAYS * DAY;
  if (from >= to) throw new QueryError('from must be before to');
  return { from, to, now };
}

/** A positive number parameter (decimals allowed) up to `max`, or its default when absent. */
function parsePositive(params: URLSearchParams, name: string, fallback: number, max: number): number {
  const v = single(params, name);
  if (v === null) return fallback;
  const n = Number(v);
  if (!DECIMAL.test(v) || !(n > 0) || n > max)
    throw new QueryError(`${name} must be a number above 0 and at most ${max}, written plainly (30, 0.5)`);
  return n;
}

/** A positive integer parameter from 1 to `max`, or its default when absent. */
function parseCount(params: URLSearchParams, name: string, fallback: number, max: number): number {
  const v = single(params, name);
  if (v === null) return fallback;
  const n = Number(v);
  if (!INTEGER.test(v) || n < 1 || n > max) throw new QueryError(`${name} must be a whole number from 1 to ${max}`);
  return n;
}

/** A required parameter whose value is one of `allowed`; given twice, it says so as the other parameters do. */
function oneOf<T extends string>(params: URLSearchParams, name: string, allowed: readonly T[]): T {
  const v = single(params, name);
  if (v === null || !(allowed as readonly string[]).includes(v))
    throw new QueryError(`${name} must be one of ${allowed.join(', ')}`);
  return v as T;
}

/** What a report reads from its query string besides the period and the dimension filters. */
export interface QuerySpec {
  /** Reads `abandon_after` (minutes, default the site's own, 30 unless set, at most 525,600). */
  abandonAfter?: boolean;
  /** Reads `limit`: its default and largest value. */
  limit?: { fallback: number; max: number };
  /** Reads `cursor` (the export). */
  cursor?: boolean;
  /** Requires `by`, a dimension (`breakdown`); `'optional'`: reads it when given (`satisfaction`). */
  by?: boolean | 'optional';
  /** Requires `interval`, hour, day or week (`timeseries`); `'optional'`: reads it when given (`satisfaction`). */
  interval?: boolean | 'optional';
}

/** A report's parsed query. */
export interface ReportQuery {
  /** The period, with the dimension filter (`range.filter`) every report applies. */
  range: Range;
  abandonAfter: number;
  limit: number;
  cursor: string | null;
  /** `by` when the spec reads it, else null. */
  by: Dimension | null;
  /** `interval` when the spec reads it, else null. */
  interval: Interval | null;
}

const isDimension = (name: string): boolean => (DIMENSIONS as readonly string[]).includes(name);

/**
 * Parses and checks a report's whole query string: `from`/`to`, the dimension filters (any report,
 * see parseFilter), then only the parameters `spec` names. An unknown parameter, a repeated one or a
 * malformed value throws QueryError (`400 invalid-query`). `abandonAfter` is the site's default (admin
 * `abandon_after`), used when the query gives none.
 */
export function parseReportQuery(
  params: URLSearchParams,
  spec: QuerySpec,
  now = Date.now(),
  abandonAfter = DEFAULT_ABANDON_MINUTES,
): ReportQuery {
  const known = new Set(['from', 'to']);
  if (spec.abandonAfter) known.add('abandon_after');
  if (spec.limit) known.add('limit');
  if (spec.cursor) known.add('cursor');
  if (spec.by) known.add('by');
  if (spec.interval) known.add('interval');
  for (const name of params.keys())
    if (!known.has(name) && !isDimension(name))
      throw new QueryError(
        `unknown parameter ${named(name)}: this report reads ${[...known, 'a dimension'].join(', ')}`,
      );
  const filter = parseFilter(params);
  return {
    range: { ...parseRange(params, now), ...(filter ? { filter } : {}) },
    abandonAfter: spec.abandonAfter
      ? parsePositive(params, 'abandon_after', abandonAfter, MAX_ABANDON_MINUTES)
      : abandonAfter,
    limit: spec.limit ? parseCount(params, 'limit', spec.limit.fallback, spec.limit.max) : 0,
    cursor: spec.cursor ? single(params, 'cursor') : null,
    by: spec.by && (spec.by === true || params.has('by')) ? oneOf(params, 'by', DIMENSIONS) : null,
    interval:
      spec.interval && (spec.interval === true || params.has('interval')) ? oneOf(params, 'interval', INTERVALS) : null,
  };
}
