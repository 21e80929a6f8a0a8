// Derived data: rebuilds what reports read (transitions, page views, carts, purchases) for the visitors a batch touched.
import type { Site } from '../db/sites.ts';
import { foldCarts } from './carts.ts';
import { byEventTime, walkJourney } from './journey.ts';
import { loadEvents, maxSeqStatements, replaceStatements } from './store.ts';
import type { StoredEvent, VisitorDerived } from './types.ts';

/** Visitors derived per round: bounds the rows one round holds in memory and writes in one transaction. */
const VISITORS_PER_ROUND = 200;
/** Rounds re-run when events of the same visitors landed while we were deriving. */
const MAX_RETRIES = 3;

/** Everything derived from one visitor's stored events, in any order. */
export function deriveVisitor(events: StoredEvent[]): VisitorDerived {
  const sorted = [...events].sort(byEventTime);
  const journey = walkJourney(sorted);
  const { carts, purchases } = foldCarts(sorted, journey.transitions, journey.stageAfter, journey.lastPathOfSession);
  // Each purchase's nearest page views: kpis tell from them whether the buyer viewed a page in a period.
  const views = journey.pageViews.map((p) => p.time).sort((a, b) => a - b);
  for (const p of purchases) {
    let i = 0;
    while (i < views.length && views[i]! <= p.time) i++;
    p.view_before = i > 0 ? views[i - 1]! : null;
    p.view_after = i < views.length ? views[i]! : null;
  }
  return { transitions: journey.transitions, pageViews: journey.pageViews, carts, purchases };
}

/**
 * Recomputes the derived rows of these visitors from all their stored events, so the result
 * is the same whatever order their events arrived in. Called by ingestion after each insert.
 */
export async function deriveVisitors(
  db: D1Database,
  site: Pick<Site, 'id' | 'stages'>,
  visitors: string[],
): Promise<void> {
  const unique = [...new Set(visitors)];
  for (let i = 0; i < unique.length; i += VISITORS_PER_ROUND) {
    await deriveRound(db, site, unique.slice(i, i + VISITORS_PER_ROUND));
  }
}

/**
 * Runs `writes` (the insert of a batch's events, its counters and sessions), then derives `visitors`: the writes go in
 * the same D1 batch as derivation's first read, so they cost no round trip of their own, commit in one transaction
 * with that read, and derivation sees what they wrote. Answers the writes' results in order, or null when the batch
 * carrying them failed (then nothing of it was stored, and nothing was derived). A failure of derivation after that
 * is thrown.
 */
export async function writeThenDerive(
  db: D1Database,
  site: Pick<Site, 'id' | 'stages'>,
  writes: D1PreparedStatement[],
  visitors: string[],
): Promise<D1Result[] | null> {
  const unique = [...new Set(visitors)];
  const first = unique.slice(0, VISITORS_PER_ROUND);
  let loaded: Awaited<ReturnType<typeof loadEvents>>;
  try {
    loaded = await loadEvents(db, site.id, first, writes);
  } catch {
    return null;
  }
  if (first.length) await deriveRound(db, site, first, loaded.events);
  for (let i = first.length; i < unique.length; i += VISITORS_PER_ROUND)
    await deriveRound(db, site, unique.slice(i, i + VISITORS_PER_ROUND));
  return loaded.leading;
}

/** Derives one round of visitors; `loaded` are their events when the caller has just read them. */
async function deriveRound(
  db: D1Database,
  site: Pick<Site, 'id' | 'stages'>,
  visitors: string[],
  loaded?: Map<string, StoredEvent[]>,
): Promise<void> {
  for (let attempt = 0; attempt <= MAX_RETRIES; attempt++) {
    const events = (attempt === 0 && loaded) || (await loadEvents(db, site.id, visitors)).events;
    let seen = 0;
    const derived = new Map<string, VisitorDerived>();
    for (const [visitor, list] of events) {
      for (const e of list) seen = Math.max(seen, e.seq);
      derived.set(visitor, deriveVisitor(list));
    }
    // Another batch of the same visitors may have been stored after we read: its own derivation
    // could have finished before ours and been overwritten by our older view. The highest seq,
    // read in the same transaction right after our writes, tells; then we derive again.
    const checks = maxSeqStatements(db, site.id, visitors);
    const results = await db.batch<{ m: number | null }>([
      ...replaceStatements(db, site.id, site.stages, derived),
      ...checks,
    ]);
    const latest = Math.max(0, ...results.slice(results.length - checks.length).map((r) => r.results[0]?.m ?? 0));
    if (latest <= seen) return;
  }
}
