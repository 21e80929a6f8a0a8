// Small SQL helpers the reports share: medians computed inside SQLite, rates that are never NaN, money rounding.

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

/**
 * Select-list of a median over a window: `value`'s median within `partition`, for rows grouped by
 * the same columns. Rows whose value is NULL sort first (SQLite), so the middle of the non-null
 * values sits after them. Use with `ROW_NUMBER() OVER (PARTITION BY p ORDER BY value) AS rn`,
 * `COUNT(value) OVER (PARTITION BY p) AS n` and `COUNT(*) OVER (PARTITION BY p) AS total`.
 */
export const MEDIAN_OF_WINDOW = (value: string) =>
  `AVG(CASE WHEN ${value} IS NOT NULL AND rn - (total - n) IN ((n + 1) / 2, (n + 2) / 2) THEN ${value} END)`;

/** The window columns MEDIAN_OF_WINDOW reads, for `value` within `partition`. */
export const MEDIAN_WINDOW_COLUMNS = (partition: string, value: string) =>
  `ROW_NUMBER() OVER (PARTITION BY ${partition} ORDER BY ${value}) AS rn, COUNT(${value}) OVER (PARTITION BY ${partition}) AS n, COUNT(*) OVER (PARTITION BY ${partition}) AS total`;

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
 */
export async function mediansAtOffset(db: D1Database, groups: OffsetMedian[]): Promise<Map<string, number>> {
  const wanted = groups.filter((g) => g.n > 0);
  if (!wanted.length) return new Map();
  const results = await db.batch<{ d: number }>(
    wanted.map((g) => db.prepare(`${g.select} LIMIT ${g.n % 2 ? 1 : 2} OFFSET ${Math.floor((g.n - 1) / 2)}`).bind(...g.binds)),
  );
  const out = new Map<string, number>();
  wanted.forEach((g, i) => {
    const values = results[i]!.results.map((r) => r.d);
    if (values.length) out.set(g.key, Math.round(values.reduce((a, b) => a + b, 0) / values.length));
  });
  return out;
}

/** Per group: rows, rows with a value, and the exact median of the values (null when none). */
export interface GroupMedian {
  total: number;
  n: number;
  median: number | null;
}

/** Two significant digits of a non-negative integer, ordered like the integer: 15 234 -> 515, 9 -> 109. */
const BUCKET = (v: string) => `CASE WHEN ${v} IS NULL THEN NULL ELSE length(${v}) * 100 + CAST(substr(${v}, 1, 2) AS INTEGER) END`;

/**
 * Counts and exact medians per group over `inner` (a SELECT yielding integer `g` and a
 * non-negative integer or NULL `d`), without sorting every row: a first pass counts the values
 * per two-significant-digit bucket, a second reads only the values of the bucket that holds
 * the middle. Two scans of `inner` instead of a window sort of all of its rows.
 */
export async function groupMedians(db: D1Database, inner: string, binds: unknown[]): Promise<Map<number, GroupMedian>> {
  const { results: buckets } = await db
    .prepare(`SELECT g, ${BUCKET('d')} AS b, COUNT(*) AS c, MIN(d) AS lo, MAX(d) AS hi FROM (${inner}) GROUP BY g, b ORDER BY g, b`)
    .bind(...binds)
    .all<{ g: number; b: number | null; c: number; lo: number | null; hi: number | null }>();
  const groups = new Map<number, { total: number; n: number; buckets: typeof buckets }>();
  for (const row of buckets) {
    const group = groups.get(row.g) ?? { total: 0, n: 0, buckets: [] };
    group.total += row.c;
    if (row.b !== null) {
      group.n += row.c;
      group.buckets.push(row);
    }
    groups.set(row.g, group);
  }
  // The 1-based ranks of the middle value(s) among a group's sorted values, and the bucket each falls in.
  const wanted: Array<{ g: number; rank: number; bucket: (typeof buckets)[number]; before: number }> = [];
  for (const [g, group] of groups) {
    if (!group.n) continue;
    for (const rank of new Set([Math.floor((group.n + 1) / 2), Math.floor((group.n + 2) / 2)])) {
      let before = 0;
      for (const bucket of group.buckets) {
        if (rank <= before + bucket.c) {
          wanted.push({ g, rank, bucket, before });
          break;
        }
        before += bucket.c;
      }
    }
  }
  const exact = wanted.filter((w) => w.bucket.lo !== w.bucket.hi);
  let values: Array<{ g: number; d: number }> = [];
  if (exact.length) {
    // Group keys and bounds come from the database as integers: inlined, they spare the 100-parameter limit.
    const ranges = [...new Set(exact.map((w) => `(g = ${Math.trunc(w.g)} AND d BETWEEN ${Math.trunc(w.bucket.lo!)} AND ${Math.trunc(w.bucket.hi!)})`))];
    values = (await db.prepare(`SELECT g, d FROM (${inner}) WHERE ${ranges.join(' OR ')} ORDER BY g, d`).bind(...binds).all<{ g: number; d: number }>()).results;
  }
  const middle = new Map<number, number[]>();
  for (const w of wanted) {
    const inBucket = values.filter((x) => x.g === w.g && x.d >= w.bucket.lo! && x.d <= w.bucket.hi!);
    const v = w.bucket.lo === w.bucket.hi ? w.bucket.lo! : inBucket[w.rank - w.before - 1]!.d;
    middle.set(w.g, [...(middle.get(w.g) ?? []), v]);
  }
  const out = new Map<number, GroupMedian>();
  for (const [g, group] of groups) {
    const m = middle.get(g);
    out.set(g, { total: group.total, n: group.n, median: m?.length ? Math.round(m.reduce((a, b) => a + b, 0) / m.length) : null });
  }
  return out;
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

/** The site a report reads: its id and ordered stage names. */
export interface ReportSite {
  id: string;
  stages: readonly string[];
}
