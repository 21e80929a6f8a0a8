// The events export: stored events as NDJSON lines (as received plus `received_at`), oldest first, paged by an opaque per-site cursor.
import { INDEX, TABLE } from '../db/schema.ts';
import { sessionCondition } from './filter.ts';
import type { Range } from './query.ts';
import type { ReportSite } from './sql.ts';

/** Most bytes of NDJSON one export page holds (lines and newlines); a single larger line still makes a page alone. */
export const EXPORT_PAGE_BYTES = 5_000_000;

export interface EventsPage {
  /** One JSON document per event, without the trailing newline. */
  lines: string[];
  /** Pass as `?cursor=` to read the next page; null when nothing remains. */
  next: string | null;
}

/** Thrown for a cursor that is not one this site's export gave (malformed, another site's, or its event is gone). */
export class CursorError extends Error {}

export const toBase64Url = (s: string) =>
  btoa(String.fromCharCode(...new TextEncoder().encode(s)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

export function fromBase64Url(s: string): string {
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(s)) throw new CursorError('malformed cursor');
  try {
    const bytes = Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new CursorError('malformed cursor');
  }
}

/**
 * The cursor after an event: its id, base64url. Opaque to the reader and meaningful only within its
 * own site (it names one of the site's events), it says nothing the page did not show: never the
 * global insertion number, which would tell how much every other site stores.
 */
export const cursorAfter = (eventId: string): string => toBase64Url(eventId);

/**
 * Events of the period stored after the cursor's event (insertion order), at most `limit` of them and
 * about `maxBytes` of NDJSON. Throws CursorError for a cursor this site's export did not give.
 */
export async function exportEvents(
  db: D1Database,
  site: ReportSite,
  range: Range,
  cursor: string | null,
  limit: number,
  maxBytes = EXPORT_PAGE_BYTES,
): Promise<EventsPage> {
  let after = 0;
  if (cursor) {
    const row = await db
      .prepare(`SELECT seq FROM ${TABLE.events} WHERE site = ?1 AND id = ?2`)
      .bind(site.id, fromBase64Url(cursor))
      .first<{ seq: number }>();
    if (!row) throw new CursorError('unknown cursor');
    after = row.seq;
  }
  const take = Math.max(1, Math.floor(limit));
  // Bytes are summed in the database, so no more than one line past the page's size ever leaves it: a page of
  // 10,000 events of 100 KB each would not fit a Worker's memory. `upto` is the page's size through that line; the
  // first two rows always come, so that a first line over the size alone still shows whether more follow.
  const { results } = await db
    .prepare(
      `SELECT id, line, upto FROM (
         SELECT id, line, SUM(length(CAST(line AS BLOB)) + 1) OVER (ORDER BY seq ROWS UNBOUNDED PRECEDING) AS upto,
                length(CAST(line AS BLOB)) + 1 AS size, ROW_NUMBER() OVER (ORDER BY seq) AS rn
           FROM (SELECT seq, id, json_set(data, '$.received_at', received_at) AS line FROM ${TABLE.events} INDEXED BY ${INDEX.events_site_seq}
                  WHERE site = ?1 AND seq > ?2 AND time >= ?3 AND time < ?4${sessionCondition(site.id, range.filter)} ORDER BY seq LIMIT ?5)
       ) WHERE upto - size < ?6 OR rn <= 2 ORDER BY rn`,
    )
    .bind(site.id, after, range.from, range.to, take + 1, maxBytes)
    .all<{ id: string; line: string; upto: number }>();
  // The first line always goes, even alone over the size; the others while the page stays within it.
  const page = results.filter((r, i) => i < take && (i === 0 || r.upto <= maxBytes));
  return {
    lines: page.map((r) => r.line),
    next: results.length > page.length ? cursorAfter(page[page.length - 1]!.id) : null,
  };
}
