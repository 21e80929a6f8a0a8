// Report filters on session dimensions (`?channel=paid_search,paid_social&device=mobile`): parsing, and the SQL keeping matching sessions' rows.
import { CHANNELS, DEVICES, DIMENSIONS, type Dimension } from '@parcours/protocol';
import { DIMENSION_COLUMNS, INDEX, TABLE } from '../db/schema.ts';
import { MAX_DIMENSION_VALUE } from '../dimensions/session-dimensions.ts';
import { QueryError } from './query.ts';

/** Dimensions a report keeps, each with the values any of which a session must have; all of them at once. */
export type SessionFilter = ReadonlyArray<{ dimension: Dimension; values: readonly string[] }>;

/** Most values one dimension may list. */
export const MAX_FILTER_VALUES = 20;
/**
 * Most bytes (UTF-8, as SQL literals) a filter's values may hold together. The values are inlined into each statement, up
 * to three times in one (friction ranks every page in a single statement): this keeps every filtered statement far
 * below D1's 100 KB, where seven free-text dimensions of 20 values of 200 characters (up to 600 bytes each) would not.
 */
export const MAX_FILTER_BYTES = 20_000;

/** Values a dimension may take when it has a closed list (others take any text). */
const CLOSED: Partial<Record<Dimension, readonly string[]>> = { channel: CHANNELS, device: DEVICES };
const COUNTRY = /^[A-Z]{2}$/;
const CONTROL = /[\p{Cc}\p{Cf}]/u;

const utf8 = new TextEncoder();

const isDimension = (name: string): name is Dimension => (DIMENSIONS as readonly string[]).includes(name);

/** Checks one dimension value as a filter or `breakdown` would name it; throws QueryError when malformed. */
function checkValue(dimension: Dimension, value: string): string {
  if (!value || value.length > MAX_DIMENSION_VALUE || CONTROL.test(value))
    throw new QueryError(
      `a ${dimension} value is 1 to ${MAX_DIMENSION_VALUE} characters, none of them a control or format character`,
    );
  const closed = CLOSED[dimension];
  if (closed && !closed.includes(value)) throw new QueryError(`${dimension} is one of ${closed.join(', ')}`);
  if (dimension === 'country' && !COUNTRY.test(value))
    throw new QueryError('country is two capital letters (ISO 3166-1 alpha-2; XX when unknown)');
  return value;
}

/**
 * The filter of a report's query: every parameter named after a dimension, its value a
 * comma-separated list of values (parseReportQuery refuses any other parameter the report does not
 * read, an unknown dimension included). A dimension given twice, an empty or over-long value,
 * control characters, a channel or device not in its list, a country not two capital letters or
 * values over MAX_FILTER_BYTES in all throw QueryError (`400 invalid-query`). Undefined without filters.
 */
export function parseFilter(params: URLSearchParams): SessionFilter | undefined {
  const out: Array<{ dimension: Dimension; values: string[] }> = [];
  for (const name of new Set(params.keys())) {
    if (!isDimension(name)) continue;
    const all = params.getAll(name);
    if (all.length > 1) throw new QueryError(`${name} given ${all.length} times`);
    const values = [...new Set(all[0]!.split(',').map((v) => checkValue(name, v)))];
    if (values.length > MAX_FILTER_VALUES) throw new QueryError(`${name} lists at most ${MAX_FILTER_VALUES} values`);
    out.push({ dimension: name, values });
  }
  // Measured as inlined: quoted, quotes doubled, separated.
  const bytes = out.reduce((n, f) => n + f.values.reduce((m, v) => m + utf8.encode(sqlText(v)).length + 2, 0), 0);
  if (bytes > MAX_FILTER_BYTES)
    throw new QueryError(`the filter's values hold more than ${MAX_FILTER_BYTES} bytes in all`);
  return out.length ? out : undefined;
}

/** A text as an SQL string literal: SQLite has no backslash escapes, a doubled quote is the only one. */
export function sqlText(v: string): string {
  return `'${v.replaceAll("'", "''")}'`;
}

/**
 * ` AND <the session matches>` for a WHERE clause over `sessions` (its columns `alias.` prefixed), or '' without a
 * filter. Values are inlined as literals (checked by parseFilter: no control characters, at most 200
 * characters each) so that the condition joins any report statement without renumbering its bound parameters.
 */
export function filterWhere(filter: SessionFilter | undefined, alias = ''): string {
  if (!filter?.length) return '';
  return ` AND ${filter.map((f) => `${alias}${DIMENSION_COLUMNS[f.dimension]} IN (${f.values.map(sqlText).join(', ')})`).join(' AND ')}`;
}

/**
 * ` AND <the row's session matches>` for a WHERE clause over a table with `visitor` and `session`
 * columns (`alias.` prefixed), or '' without a filter (see filterWhere). SQLite reads the matching sessions first and
 * each one's rows through the table's primary key (site, visitor, ...): the way for the large tables.
 */
export function sessionCondition(site: string, filter: SessionFilter | undefined, alias = ''): string {
  if (!filter?.length) return '';
  return ` AND (${alias}visitor, ${alias}session) IN (SELECT visitor, session FROM ${TABLE.sessions} WHERE site = ${sqlText(site)}${filterWhere(filter)})`;
}

/**
 * ` AND <the row's session matches>` checked row by row, a primary-key look-up into `sessions` each, or '' without a
 * filter: the way for rows that are few in the period (purchases, carts), where reading every matching session first
 * (sessionCondition) would cost more than the rows themselves. `alias` names the table the row comes from.
 */
export function sessionMatches(site: string, filter: SessionFilter | undefined, alias: string): string {
  if (!filter?.length) return '';
  return ` AND EXISTS (SELECT 1 FROM ${TABLE.sessions} m WHERE m.site = ${sqlText(site)} AND m.visitor = ${alias}.visitor AND m.session = ${alias}.session${filterWhere(filter, 'm.')})`;
}

/**
 * `INDEXED BY` a table's primary key (site, visitor, ...) when a filter checks each row's session (sessionMatches), else
 * ''. Read in key order, the rows' look-ups into `sessions` walk it in its own key order, each page once, where the
 * period's time order jumps across the whole table (the filtered carts report at 1M events: 4.6× less CPU).
 */
export function inKeyOrder(filter: SessionFilter | undefined, table: keyof typeof BY_KEY): string {
  return filter?.length ? BY_KEY[table] : '';
}

/** The tables inKeyOrder reads, through their primary key. */
const BY_KEY = {
  carts: ` INDEXED BY ${INDEX.carts_key} `,
  purchases: ` INDEXED BY ${INDEX.purchases_key} `,
};
