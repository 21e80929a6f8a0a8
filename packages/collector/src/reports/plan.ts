// Which indexes a report scans: in group order when the period covers most of the site's history, in time order otherwise.

/**
 * Whether the period covers at least half of the time span of the site's page views. Then
 * scanning group-ordered indexes (all of the site's rows, no sort) beats scanning the period's
 * rows in time order and sorting them; for a short period of a long history the time order wins.
 * D1 keeps no planner statistics, so the reports choose with `INDEXED BY` from this answer.
 */
export async function periodIsWide(db: D1Database, site: string, range: { from: number; to: number }): Promise<boolean> {
  const span = await db
    .prepare(
      `SELECT (SELECT MIN(time) FROM page_views INDEXED BY page_views_site_time WHERE site = ?1) AS first,
              (SELECT MAX(time) FROM page_views INDEXED BY page_views_site_time WHERE site = ?1) AS last`,
    )
    .bind(site)
    .first<{ first: number | null; last: number | null }>();
  if (span?.first == null || span.last == null) return true;
  const covered = Math.min(range.to, span.last + 1) - Math.max(range.from, span.first);
  return covered * 2 >= span.last + 1 - span.first;
}
