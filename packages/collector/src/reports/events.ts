// The events export: stored events as NDJSON lines (as received plus `received_at`), oldest first, paged by cursor.
import { sessionCondition } from './filter.ts';
import type { Range } from './query.ts';
import type { ReportSite } from './sql.ts';

export interface EventsPage {
  /** One JSON document per event, without the trailing newline. */
  lines: string[];
  /** Pass as `?cursor=` to read the next page; null when nothing remains. */
  next: string | null;
}

/** Events of the period stored after `cursor` (insertion order), at most `limit` of them. */
export async function exportEvents(db: D1Database, site: ReportSite, range: Range, cursor: number, limit: number): Promise<EventsPage> {
  const { results } = await db
    .prepare(
      `SELECT seq, json_set(data, '$.received_at', received_at) AS line FROM events
        WHERE site = ?1 AND seq > ?2 AND time >= ?3 AND time < ?4${sessionCondition(site.id, range.filter)} ORDER BY seq LIMIT ?5`,
    )
    .bind(site.id, cursor, range.from, range.to, limit + 1)
    .all<{ seq: number; line: string }>();
  const page = results.slice(0, limit);
  return { lines: page.map((r) => r.line), next: results.length > limit ? String(page[page.length - 1]!.seq) : null };
}
