// Visitors whose derived rows are behind their stored events (dirty_visitors): a request stored their
// events, then derivation failed or reached the request's budget. The request still answers 2xx (its events are stored:
// a script that resent them would resend forever); the schedule derives these visitors from `since` and clears the mark.
import { INDEX, TABLE } from '../db/schema.ts';

/** Where a visitor's derivation must go on: their earliest event time not derived yet. */
export interface DirtyMark {
  visitor: string;
  since: number;
}

/** A mark as the schedule reads it: `mark` tells whether anyone marked the visitor again since. */
export interface ClaimedMark extends DirtyMark {
  mark: number;
}

/** A random token per marking (53 bits): the schedule clears a mark only if it is still the one it derived for. */
const newMark = () => Math.floor(Math.random() * Number.MAX_SAFE_INTEGER);

/**
 * Statements marking these visitors of a site dirty from `since`; a visitor already marked keeps the earlier time. A
 * visitor with no stored event is not marked: a derivation that failed while the visitor was being erased would
 * otherwise leave a row naming them (the erasure deletes marks in its transaction; one statement either runs before
 * it, and is deleted, or after it, and finds no event).
 */
export function markStatements(db: D1Database, site: string, marks: DirtyMark[]): D1PreparedStatement[] {
  return marks.map(({ visitor, since }) =>
    db
      .prepare(
        `INSERT INTO ${TABLE.dirty_visitors} (site, visitor, since, mark)
         SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (
           SELECT 1 FROM ${TABLE.events} INDEXED BY ${INDEX.events_site_visitor_time} WHERE site = ?1 AND visitor = ?2)
         ON CONFLICT (site, visitor) DO UPDATE SET mark = excluded.mark, since = MIN(since, excluded.since)`,
      )
      .bind(site, visitor, since, newMark()),
  );
}

/** The earliest event time of each visitor among these events. */
export function earliestPerVisitor(events: Array<{ visitor: string; time: number }>): DirtyMark[] {
  const since = new Map<string, number>();
  for (const { visitor, time } of events) since.set(visitor, Math.min(time, since.get(visitor) ?? time));
  return [...since].map(([visitor, at]) => ({ visitor, since: at }));
}

/** Up to `limit` marks by site, taken in the order of their random tokens: no site's backlog holds back the others'. */
export async function readMarks(db: D1Database, limit: number): Promise<Map<string, ClaimedMark[]>> {
  const { results } = await db
    .prepare(
      `SELECT site, visitor, since, mark FROM ${TABLE.dirty_visitors} INDEXED BY ${INDEX.dirty_visitors_mark} ORDER BY mark LIMIT ?1`,
    )
    .bind(limit)
    .all<ClaimedMark & { site: string }>();
  const bySite = new Map<string, ClaimedMark[]>();
  for (const { site, ...m } of results) bySite.set(site, [...(bySite.get(site) ?? []), m]);
  return bySite;
}

/** Clears these marks, each only if nobody marked the visitor again since it was read. */
export function clearStatements(db: D1Database, site: string, marks: ClaimedMark[]): D1PreparedStatement[] {
  return marks.map((m) =>
    db
      .prepare(`DELETE FROM ${TABLE.dirty_visitors} WHERE site = ?1 AND visitor = ?2 AND mark = ?3`)
      .bind(site, m.visitor, m.mark),
  );
}
