// Report query parameters: the time range (`from`/`to`), `abandon_after`, export paging; invalid values are refused.
import type { SessionFilter } from './filter.ts';

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
export const DEFAULT_DAYS = 30;
export const DEFAULT_ABANDON_MINUTES = 30;
export const DEFAULT_EXPORT_LIMIT = 1000;
export const MAX_EXPORT_LIMIT = 10_000;

const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

export class QueryError extends Error {
  readonly code = 'invalid-query';
}

function isoTime(v: string, end: boolean): number {
  if (!ISO.test(v)) throw new QueryError(`not an ISO date: ${v}`);
  // A bare date is a whole UTC day: `to=2026-11-23` includes the 23rd.
  const date = DATE_ONLY.test(v);
  const t = Date.parse(date ? `${v}T00:00:00Z` : /Z|[+-]\d{2}:?\d{2}$/.test(v) ? v : `${v}Z`);
  if (!Number.isFinite(t)) throw new QueryError(`not a date: ${v}`);
  return date && end ? t + DAY : t;
}

/** Parses `from` / `to` (ISO 8601, UTC unless an offset is given); missing ones default to the last 30 days. */
export function parseRange(params: URLSearchParams, now = Date.now()): Range {
  const toParam = params.get('to');
  const fromParam = params.get('from');
  const to = toParam ? isoTime(toParam, true) : now;
  const from = fromParam ? isoTime(fromParam, false) : to - DEFAULT_DAYS * DAY;
  if (from >= to) throw new QueryError('from must be before to');
  return { from, to, now };
}

/** A positive integer parameter within bounds, or its default when absent. */
export function parsePositive(params: URLSearchParams, name: string, fallback: number, max: number): number {
  const v = params.get(name);
  if (v === null || v === '') return fallback;
  if (!/^\d+(\.\d+)?$/.test(v)) throw new QueryError(`${name} must be a positive number`);
  const n = Number(v);
  if (!(n > 0) || n > max) throw new QueryError(`${name} out of range`);
  return n;
}
