// The schedule's catching up on derivation: visitors a request marked dirty (its derivation failed after their events
// were stored, or reached the request's budget) are derived from where they stopped, and their marks cleared.
import { getSite } from '../db/sites.ts';
import { clearStatements, markStatements, readMarks } from '../derive/dirty.ts';
import { deriveMarked, EVENTS_PER_SCHEDULED_RUN } from '../derive/index.ts';

/** Marked visitors taken per run. */
const MARKS_PER_RUN = 200;

/**
 * One run: derives up to MARKS_PER_RUN marked visitors, within EVENTS_PER_SCHEDULED_RUN events over all; a visitor
 * still not derived to the end is marked again from where this run stopped. A mark is cleared only if nobody marked
 * the visitor again meanwhile. A site whose derivation fails keeps its marks, drawn anew, for a later run. Answers the visitors
 * derived to the end.
 */
export async function deriveDirtyVisitors(db: D1Database): Promise<number> {
  let budget = EVENTS_PER_SCHEDULED_RUN;
  let done = 0;
  for (const [id, marks] of await readMarks(db, MARKS_PER_RUN)) {
    const site = await getSite(db, id);
    if (!site) {
      // The site is gone, and its events with it: nothing to derive.
      await db.batch(clearStatements(db, id, marks));
      continue;
    }
    if (budget <= 0) break;
    try {
      const { left, derived } = await deriveMarked(db, site, marks, budget);
      budget -= derived;
      await db.batch([...clearStatements(db, id, marks), ...markStatements(db, id, left)]);
      done += marks.length - new Set(left.map((l) => l.visitor)).size;
    } catch (error) {
      console.error(`derive ${id}`, error instanceof Error ? error.message : error);
      // New tokens for its marks: kept with their old (lowest) ones, a site whose derivation keeps failing would fill
      // every later run's MARKS_PER_RUN, and no other site's visitors would be derived again.
      await db.batch(markStatements(db, id, marks)).catch(() => {});
    }
  }
  return done;
}
