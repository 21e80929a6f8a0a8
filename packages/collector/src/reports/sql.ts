// Small SQL helpers the reports share: medians read from ordered indexes, rates that are never NaN, money rounding.

/** A numerator over a denominator as a fraction in [0, 1]; 0 when the denominator is 0. */
export function rate(numerator: number, denominator: number): number {
  if (!(denominator > 0)) return 0;
  return Math.min(1, Math.max(0, numerator / denominator));
}

/**
 * Most currencies a money list holds (`abandoned_value`, `average_basket`): the largest first. A shop
 * sells in a handful; any three letters are a valid currency code, so an unbounded list could be 17,576 long.
 */
export const MAX_CURRENCIES = 20;

/** Money rounded to cents. */
export function cents(value: number): number {
  return Math.round(value * 100) / 100;
}

/** One group's median to read from an index ordered by the value: `select` yields the value ordered ascending. */
export interface OffsetMedian {
  key: string;
  /** Non-null values of the group. */
  n: number;
  /** `SELECT value FROM ... WHERE <group, non-null value> ORDER BY value`, served by an index in that order. */
  select: string;
  binds: unknown[];
}

/**
 * Medians read straight from ordered indexes: the middle value (or two) of each group at an
 * offset, so nothing is sorted and nothing but one or two values per group leaves the database.
 * Rounded to the millisecond unless `round` is false (a form field's hesitation keeps the mean of its middle two).
 */
export async function mediansAtOffset(
  db: D1Database,
  groups: OffsetMedian[],
  round = true,
): Promise<Map<string, number>> {
  const wanted = groups.filter((g) => g.n > 0);
  if (!wanted.length) return new Map();
  const results = await db.batch<{ d: number }>(
    wanted.map((g) =>
      db.prepare(`${g.select} LIMIT ${g.n % 2 ? 1 : 2} OFFSET ${Math.floor((g.n - 1) / 2)}`).bind(...g.binds),
    ),
  );
  const out = new Map<string, number>();
  wanted.forEach((g, i) => {
    const values = results[i]!.results.map((r) => r.d);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    if (values.length) out.set(g.key, round ? Math.round(mean) : mean);
  });
  return out;
}

/**
 * Columns of a ranked row source giving each group's median in one pass, for a filtered report whose values no ordered
 * index can give: `rank` is the value's 1-based rank in its group (ascending, NULLs last) and `count` the group's
 * non-null values (window functions over the rows). `medianPart(rank, count, value)` is then the value when it is the
 * middle one (or one of the middle two), else NULL: AVG of it over the group is the median, as mediansAtOffset reads it.
 */
export function rankedMedian(partition: string, value: string): { rank: string; count: string } {
  return {
    rank: `ROW_NUMBER() OVER (PARTITION BY ${partition} ORDER BY ${value} IS NULL, ${value})`,
    count: `COUNT(${value}) OVER (PARTITION BY ${partition})`,
  };
}

/** See rankedMedian: SQL of `value` when ranked in the middle of its group's non-null values. */
export function medianPart(rank: string, count: string, value: string): string {
  return `CASE WHEN ${rank} IN ((${count} + 1) / 2, ${count} / 2 + 1) THEN ${value} END`;
}

/**
 * SQL (a SELECT, columns `keys` and `median`) of each group's median of `value` over the rows of the CTE `rows`, grouped
 * by `keys`: the non-null values ranked in one sort (ROW_NUMBER), the middle one or two kept by joining the CTE `counts`
 * (the same `keys` columns and `n`, the group's non-null values), then averaged. One window, not rankedMedian's two: the
 * count comes from a grouping the report makes anyway, and a second window cost as much again (about 1 µs a row).
 */
export function groupMedians(rows: string, keys: readonly string[], value: string, counts: string, n: string): string {
  const group = keys.join(', ');
  const inRows = keys.map((k) => `r.${k}`).join(', ');
  return `SELECT ${inRows}, AVG(r.${value}) AS median FROM (
            SELECT ${group}, ${value}, ROW_NUMBER() OVER (PARTITION BY ${group} ORDER BY ${value}) AS rk
              FROM ${rows} WHERE ${value} IS NOT NULL
          ) r JOIN ${counts} c ON ${keys.map((k) => `c.${k} = r.${k}`).join(' AND ')} AND r.rk IN ((c.${n} + 1) / 2, c.${n} / 2 + 1)
          GROUP BY ${inRows}`;
}

/**
 * A move that is its visitor's first entry into its stage within the period: its previous entry
 * into that stage (`prev_entry`) lies before the period, or there is none. Counting these rows
 * counts the visitors who entered, with no grouping by visitor. Binds: ?2 = from.
 */
export const FIRST_ENTRY_IN_PERIOD = '(prev_entry IS NULL OR prev_entry < ?2)';

/** `column IN (0, 1, ...)` over a site's stage positions: lets SQLite seek each stage's time range in an index. */
export function stagePositions(column: string, site: ReportSite): string {
  return `${column} IN (${site.stages.map((_, k) => k).join(',')})`;
}

/** `column IN (-1, 0, 1, ...)`: pair_hours' from_index, a stage position or -1 (a visitor's first stage). */
export function fromPositions(column: string, site: ReportSite): string {
  return `${column} IN (-1,${site.stages.map((_, k) => k).join(',')})`;
}

/** A mask with one bit per stage position of the site (`1 << k`): what a session's `entered` fact may hold of it. */
export function stageBits(site: ReportSite): number {
  return (1 << site.stages.length) - 1;
}

/** Aggregate SQL OR-ing a stage mask over a group, bit by bit (SQLite has no bitwise aggregate). */
export function anyStage(mask: string, site: ReportSite): string {
  return site.stages.map((_, k) => `(MAX(${mask} >> ${k} & 1) << ${k})`).join(' + ');
}

/** Aggregate SQL of a JSON array: per stage position k, the rows of the group whose stage mask has bit k. */
export function stageCounts(mask: string, site: ReportSite): string {
  return `json_array(${site.stages.map((_, k) => `SUM(${mask} >> ${k} & 1)`).join(', ')})`;
}

/** The site a report reads: its id and ordered stage names. */
export interface ReportSite {
  id: string;
  stages: readonly string[];
}
