// The carts report: carts started in the period, how far they got, which are open or abandoned, and where.
import { pathTextSql } from '../db/insert-sql.ts';
import { TABLE } from '../db/schema.ts';
import type { CartsReport, Money } from '@parcours/protocol';
import { inKeyOrder, sessionMatches } from './filter.ts';
import { DEFAULT_LIST_LIMIT, type Range } from './query.ts';
import { cents, MAX_CURRENCIES, rate, type ReportSite } from './sql.ts';

/** A money amount whose currency is unknown is reported under ISO 4217's "no currency" code. */
export const NO_CURRENCY = 'XXX';

/**
 * SQL conditions over `carts` for the period: bound parameters are ?1 site, ?2 from, ?3 to,
 * ?4 the abandonment threshold (the reference clock, min(to, now), minus `abandon_after`), and for `recovered`
 * ?5 `abandon_after` in ms.
 */
export const CART_SQL = {
  started: 'site = ?1 AND started_at >= ?2 AND started_at < ?3',
  unpaid: '(purchased_at IS NULL OR purchased_at >= ?3) AND quantity > 0',
  abandoned: '(purchased_at IS NULL OR purchased_at >= ?3) AND quantity > 0 AND last_activity <= ?4',
  /** Bought in the period after sitting idle with items for `abandon_after` (?5, in ms): abandoned, then bought. */
  recovered: 'purchased_at IS NOT NULL AND purchased_at < ?3 AND max_idle_ms >= ?5',
};

/** The bound parameters of CART_SQL for a period and an `abandon_after` in minutes. */
export function cartBinds(site: ReportSite, range: Range, abandonAfterMinutes: number): unknown[] {
  const reference = Math.min(range.to, range.now);
  return [site.id, range.from, range.to, reference - abandonAfterMinutes * 60_000];
}

/**
 * Carts started in the period, each in its state at the end of the period: purchased, else
 * abandoned when it still holds items and saw no cart activity for `abandon_after` minutes
 * before min(to, now), else open while it holds items (an emptied cart is neither). A purchased cart that sat
 * idle with items for `abandon_after` before it was bought is also `recovered`. `pages`: the
 * `limit` exit pages with most abandons; `abandoned_value`: the MAX_CURRENCIES largest currencies.
 */
export async function carts(
  db: D1Database,
  site: ReportSite,
  range: Range,
  abandonAfterMinutes: number,
  limit = DEFAULT_LIST_LIMIT,
): Promise<CartsReport> {
  const binds = cartBinds(site, range, abandonAfterMinutes);
  // A cart belongs to the session that opened it; carts are few, their sessions are checked row by row.
  const started = `${CART_SQL.started}${sessionMatches(site.id, range.filter, TABLE.carts)}`;
  const byKey = inKeyOrder(range.filter, 'carts');
  const idleMs = abandonAfterMinutes * 60_000;
  const [totals, values, pages, recoveredValues] = await db.batch([
    db
      .prepare(
        `SELECT COUNT(*) AS started,
                IFNULL(SUM(checkout_at IS NOT NULL AND checkout_at < ?3), 0) AS checked_out,
                IFNULL(SUM(purchased_at IS NOT NULL AND purchased_at < ?3), 0) AS purchased,
                IFNULL(SUM(${CART_SQL.unpaid} AND last_activity > ?4), 0) AS open,
                IFNULL(SUM(${CART_SQL.abandoned}), 0) AS abandoned,
                IFNULL(SUM(${CART_SQL.recovered}), 0) AS recovered
           FROM ${TABLE.carts}${byKey} WHERE ${started}`,
      )
      .bind(...binds, idleMs),
    db
      .prepare(
        `SELECT IFNULL(currency, '${NO_CURRENCY}') AS currency, SUM(value) AS value FROM ${TABLE.carts}${byKey}
          WHERE ${started} AND ${CART_SQL.abandoned} GROUP BY 1 ORDER BY value DESC, currency LIMIT ?5`,
      )
      .bind(...binds, MAX_CURRENCIES),
    db
      .prepare(
        `SELECT ${pathTextSql('exit_path_id')} AS path, COUNT(*) AS abandons FROM ${TABLE.carts}${byKey}
          WHERE ${started} AND ${CART_SQL.abandoned} GROUP BY exit_path_id ORDER BY abandons DESC, path LIMIT ?5`,
      )
      .bind(...binds, limit),
    db
      .prepare(
        `SELECT IFNULL(currency, '${NO_CURRENCY}') AS currency, SUM(value) AS value FROM ${TABLE.carts}${byKey}
          WHERE ${started} AND ${CART_SQL.recovered} GROUP BY 1 ORDER BY value DESC, currency LIMIT ?6`,
      )
      .bind(...binds, idleMs, MAX_CURRENCIES),
  ]);
  const t = (totals!.results[0] ?? {}) as Record<string, number>;
  const abandoned = t.abandoned ?? 0;
  const recovered = t.recovered ?? 0;
  const amounts = (rows: unknown[]) => (rows as Money[]).map((m) => ({ currency: m.currency, value: cents(m.value) }));
  return {
    carts: {
      started: t.started ?? 0,
      checked_out: t.checked_out ?? 0,
      purchased: t.purchased ?? 0,
      open: t.open ?? 0,
      abandoned,
      abandonment_rate: rate(abandoned, t.started ?? 0),
      abandoned_value: amounts(values!.results),
      recovered,
      recovered_value: amounts(recoveredValues!.results),
      recovery_rate: rate(recovered, recovered + abandoned),
    },
    pages: (pages!.results as Array<{ path: string | null; abandons: number }>).map((p) => ({
      path: p.path ?? '',
      abandons: p.abandons,
    })),
  };
}
