// Derived data: what reports read (transitions, page views, carts, purchases, their rollups) for the visitors a batch touched.
import type { Site } from '../db/sites.ts';
import { foldCarts } from './carts.ts';
import { byEventTime, walkJourney } from './journey.ts';
import { foldPage } from './fold.ts';
import { type ClaimedMark, type DirtyMark, earliestPerVisitor, markStatements } from './dirty.ts';
import { loadBefore } from './horizon.ts';
import { freshState, loadState, saveState, type VisitorState } from './state.ts';
import {
  eventsStatement,
  firstPagesStatements,
  horizonStatement,
  isStale,
  NO_TIME,
  type PageToStore,
  type PageWrite,
  pageStatements,
  positionsToDrop,
  savedStatement,
  statesStatement,
} from './store.ts';
import { guardFailed } from '../db/guards.ts';
import type { StoredEvent, VisitorDerived } from './types.ts';

/** Visitors derived per round: bounds the rows one round holds in memory and writes in one transaction. */
const VISITORS_PER_ROUND = 50;
/** Events read and derived at a time per visitor: a late event far back in a long history is re-derived page by page. */
const EVENTS_PER_PAGE = 250;
/** Events one round reads at a time, all its visitors together (a page is smaller when a round has many visitors). */
const EVENTS_PER_ROUND = 2_500;
const MIN_EVENTS_PER_PAGE = 25;
/**
 * Events one request derives, all its visitors together: a late event far back in a long history, or a heavy visitor,
 * costs a request at most this; derivation goes on from where it stopped in the schedule (dirty_visitors).
 */
const EVENTS_PER_REQUEST = 10_000;
/** Events one scheduled run derives for the visitors it takes (each run every minute goes on from there). */
export const EVENTS_PER_SCHEDULED_RUN = 50_000;
/**
 * Events of one visitor in one millisecond derived at most (a millisecond is never split between pages): the first
 * ones in id order; more are stored but not derived. A tag sends its events at least a millisecond apart.
 */
const EVENTS_OF_ONE_MS = 2_500;
/** Rounds re-run when another derivation of the same visitors wrote first (each time one of them wins). */
const MAX_RETRIES = 8;
/** Up to this many ms times the attempt, at random, before deriving again: concurrent writers spread out. */
const RETRY_JITTER_MS = 15;

/** Everything derived from one visitor's stored events, in any order, in one pass: the full derivation, what any resumed one must equal. */
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

/** Where a visitor's derivation must start again: the earliest event time of theirs that a batch stored (or resent). */
export interface NewEvent {
  visitor: string;
  time: number;
}

/** How a derivation may go, besides its page size. */
export interface DeriveOptions {
  /** Events it derives at most; the rest is marked dirty for the schedule. */
  eventBudget?: number;
  /** Tests only: awaited before each round trip of writes (to interleave another derivation or an erasure there). */
  beforeWrite?: () => Promise<void>;
}

/**
 * Brings the derived rows of these events' visitors up to date: each visitor is re-derived from the earliest of
 * their events here onward, starting from the state saved at or before it, so the cost follows the events from
 * that point, not the visitor's whole history. The rows come out identical to `rebuildVisitors`, whatever order
 * the events arrived in. Events before the site's retention horizon are never derived. Past the request's budget
 * (EVENTS_PER_REQUEST) the visitors left are marked dirty, and the schedule goes on; so are they when derivation
 * fails (the events are stored: the caller's request has nothing to undo).
 */
export async function deriveVisitors(
  db: D1Database,
  site: Pick<Site, 'id' | 'stages'>,
  events: NewEvent[],
  eventsPerPage = EVENTS_PER_PAGE,
  options: DeriveOptions = {},
): Promise<void> {
  let left: DirtyMark[];
  try {
    left = await deriveNewEvents(db, site, events, eventsPerPage, options);
  } catch (error) {
    left = markedAfter(error, events);
  }
  if (left.length) await db.batch(markStatements(db, site.id, left));
}

/** After a failed derivation of stored events: logs it, and answers the marks that hand it to the schedule. */
function markedAfter(error: unknown, events: NewEvent[]): DirtyMark[] {
  console.error('derivation failed, visitors marked for the schedule', error instanceof Error ? error.message : error);
  return earliestPerVisitor(events);
}

/** deriveVisitors, the first read carrying `leading` when given; answers what is left for the schedule. */
async function deriveNewEvents(
  db: D1Database,
  site: Pick<Site, 'id' | 'stages'>,
  events: NewEvent[],
  eventsPerPage: number,
  options: DeriveOptions,
  leading?: Leading,
): Promise<DirtyMark[]> {
  const times = new Map<string, number[]>();
  for (const e of events) times.set(e.visitor, [...(times.get(e.visitor) ?? []), e.time]);
  const { left } = await deriveFrom(
    db,
    site,
    [...times.keys()],
    (visitor, floor) => {
      const kept = times.get(visitor)!.filter((t) => t >= floor);
      return kept.length ? Math.min(...kept) : null;
    },
    eventsPerPage,
    options,
    leading,
  );
  return left;
}

/** Writes run in front of derivation's first read, in the same D1 batch; their results once that batch ran. */
interface Leading {
  statements: D1PreparedStatement[];
  results: D1Result[] | null;
}

/**
 * Runs `writes` (the insert of a batch's events, its counters and sessions), then derives as `deriveVisitors` does:
 * the writes go in the same D1 batch as derivation's first read, so they cost no round trip of their own, commit in
 * one transaction with that read, and derivation sees what they wrote. Answers the writes' results in order, or null
 * when the batch carrying them failed (then nothing of it was stored, and nothing was derived); a failed quota guard
 * among the writes is thrown instead (the caller reads the quota again). Once the writes are stored, a failure of
 * derivation is not the request's: the visitors are marked dirty and the schedule derives them (only if even the
 * mark cannot be stored is the failure thrown: a resend derives again).
 */
export async function writeThenDerive(
  db: D1Database,
  site: Pick<Site, 'id' | 'stages'>,
  writes: D1PreparedStatement[],
  events: NewEvent[],
  options: DeriveOptions = {},
): Promise<D1Result[] | null> {
  if (!events.length) return writes.length ? db.batch(writes).catch(() => null) : [];
  const leading: Leading = { statements: writes, results: null };
  let left: DirtyMark[];
  try {
    left = await deriveNewEvents(db, site, events, EVENTS_PER_PAGE, options, leading);
  } catch (error) {
    if (leading.results === null) {
      if (guardFailed(error, 'quota_race')) throw error;
      return null;
    }
    await db.batch(markStatements(db, site.id, markedAfter(error, events))).catch(() => {
      throw error;
    });
    return leading.results;
  }
  // Past the budget: the events are stored, a failed mark must not fail the request (a resend derives again).
  if (left.length)
    await db.batch(markStatements(db, site.id, left)).catch((e: unknown) => console.error('mark failed', e));
  return leading.results;
}

/**
 * Derives these marked visitors of a site from each mark's `since` (the schedule's catching up), within `budget`
 * events; answers what is still left, and the events derived.
 */
export async function deriveMarked(
  db: D1Database,
  site: Pick<Site, 'id' | 'stages'>,
  marks: ClaimedMark[],
  budget: number,
): Promise<{ left: DirtyMark[]; derived: number }> {
  const since = new Map(marks.map((m) => [m.visitor, m.since]));
  const cutOf = (visitor: string, floor: number) => Math.max(since.get(visitor)!, floor);
  const spent = await deriveFrom(db, site, [...since.keys()], cutOf, EVENTS_PER_PAGE, { eventBudget: budget });
  return { left: spent.left, derived: budget - spent.events };
}

/**
 * Derives these visitors again from their first event, ignoring saved states: a repair, and the reference of the
 * tests. After retention, from the site's horizon, starting from their state there as their derived rows tell it.
 */
export async function rebuildVisitors(
  db: D1Database,
  site: Pick<Site, 'id' | 'stages'>,
  visitors: string[],
  eventsPerPage = EVENTS_PER_PAGE,
): Promise<void> {
  await deriveFrom(db, site, [...new Set(visitors)], (_, floor) => floor, eventsPerPage, {
    eventBudget: Number.POSITIVE_INFINITY,
  });
}

/** What is left of a derivation's event budget, shared by its rounds. */
interface Budget {
  events: number;
  /** Visitors not derived to the end within it, from where each stopped. */
  left: DirtyMark[];
}

async function deriveFrom(
  db: D1Database,
  site: Pick<Site, 'id' | 'stages'>,
  visitors: string[],
  /** Where a visitor's derivation starts, given the site's retention horizon (NO_TIME: none); null: not at all. */
  cutOf: (visitor: string, floor: number) => number | null,
  eventsPerPage: number,
  options: DeriveOptions,
  /** Writes for the first read to carry: the first round's, on its first attempt. */
  leading?: Leading,
): Promise<Budget> {
  const budget: Budget = { events: options.eventBudget ?? EVENTS_PER_REQUEST, left: [] };
  for (let i = 0; i < visitors.length; i += VISITORS_PER_ROUND) {
    const part = visitors.slice(i, i + VISITORS_PER_ROUND);
    // Budget spent (the leading writes went with the first round): the visitors left start where their events do.
    if (budget.events <= 0) {
      for (const visitor of part) {
        const since = cutOf(visitor, NO_TIME);
        if (since !== null) budget.left.push({ visitor, since });
      }
      continue;
    }
    for (let attempt = 0; ; attempt++) {
      try {
        const perPage = Math.min(
          eventsPerPage,
          Math.max(MIN_EVENTS_PER_PAGE, Math.floor(EVENTS_PER_ROUND / part.length)),
        );
        await deriveRound(db, site, part, cutOf, perPage, budget, options, leading);
        break;
      } catch (error) {
        // Another batch of the same visitors derived first: read their state again and derive from there.
        if (attempt >= MAX_RETRIES || !isStale(error)) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * RETRY_JITTER_MS * (attempt + 1)));
      }
    }
  }
  return budget;
}

/** A visitor's derivation under way: where the next page starts, the state there, the version of the saved states. */
interface Job {
  visitor: string;
  from: number;
  /** No saved state to resume from at or after the site's retention horizon: the state there, from the derived rows. */
  seeded: boolean;
  first: boolean;
  tail: PageWrite['tail'];
  state: VisitorState;
  version: number;
  positions: number[];
  /** The next page's events as read (one more than a page, to find where it ends). */
  rows: StoredEvent[];
  /** Set when `rows` are every event before this time (a millisecond with more than a page of events). */
  until: number | null;
}

/** What a derivation of one visitor starts from, as read in one round trip. */
interface Start {
  saved: { position: number; state: string } | undefined;
  positions: Array<{ position: number }>;
  version: number;
  newest: { lastEntry: string; lastView: number | null } | undefined;
  rows: StoredEvent[];
}

/**
 * One round trip: the site's retention horizon and erasure counter, and per visitor the state to resume from (at or
 * after the horizon), the saved positions, the derivation counter, the newest state's last moves (three statements
 * for all the visitors), and the first page of events (none before the horizon; a statement per visitor).
 */
async function readStarts(
  db: D1Database,
  site: string,
  cuts: Array<[visitor: string, cut: number]>,
  perPage: number,
  /** Writes not run yet go first in this batch (one transaction), and the reads see them. */
  leading?: Leading,
): Promise<{ floor: number; erasures: number; starts: Map<string, Start> }> {
  const visitors = cuts.map(([visitor]) => visitor);
  const reads = [
    horizonStatement(db, site),
    statesStatement(db, site, cuts),
    savedStatement(db, site, visitors),
    ...firstPagesStatements(db, site, cuts, perPage + 1),
  ];
  const lead = leading && leading.results === null ? leading.statements : [];
  const out = await db.batch<Record<string, unknown>>([...lead, ...reads]);
  if (leading && leading.results === null) leading.results = out.slice(0, lead.length) as D1Result[];
  const [horizon, states, saved, ...firstPages] = out.slice(lead.length);
  const starts = new Map<string, Start>(
    visitors.map((visitor) => [visitor, { saved: undefined, positions: [], version: 0, newest: undefined, rows: [] }]),
  );
  for (const { part, ...event } of firstPages.flatMap((r) => r.results) as unknown as Array<
    StoredEvent & { part: number }
  >)
    starts.get(visitors[part]!)!.rows.push(event);
  for (const row of states!.results as Array<{ visitor: string; position: number; state: string }>)
    starts.get(row.visitor)!.saved = { position: row.position, state: row.state };
  type Saved = {
    visitor: string;
    position: number | null;
    version: number | null;
    lastEntry: string | null;
    lastView: number | null;
  };
  for (const { visitor, position, version, lastEntry, lastView } of saved!.results as Saved[]) {
    const start = starts.get(visitor)!;
    if (version !== null) start.version = version;
    else if (position !== null) {
      // Only the newest state's row carries its last moves and view.
      if (lastEntry !== null) start.newest = { lastEntry, lastView };
      start.positions.push({ position });
    }
  }
  const { floor, erasures } = horizon!.results[0] as { floor: number; erasures: number };
  return { floor, erasures, starts };
}

async function deriveRound(
  db: D1Database,
  site: Pick<Site, 'id' | 'stages'>,
  visitors: string[],
  cutOf: (visitor: string, floor: number) => number | null,
  perPage: number,
  budget: Budget,
  options: DeriveOptions,
  leading?: Leading,
): Promise<void> {
  // Read as if the horizon were before every event (each read starts at the horizon if later); the horizon read with
  // them then gives the real cuts. Only a visitor with events on both sides of the horizon reads again (its cut is
  // its first event after the horizon); one with none after it is not derived. Every write checks the horizon is
  // still this one, else the round runs again.
  const guess = new Map(visitors.map((v) => [v, cutOf(v, NO_TIME)!]));
  const { floor, erasures, starts } = await readStarts(db, site.id, [...guess], perPage, leading);
  const again: Array<[string, number]> = [];
  const round: Array<[string, number]> = [];
  for (const [visitor, guessed] of guess) {
    const cut = cutOf(visitor, floor);
    if (cut === null) continue;
    round.push([visitor, cut]);
    if (cut !== Math.max(guessed, floor)) again.push([visitor, cut]);
  }
  if (again.length) for (const [v, s] of (await readStarts(db, site.id, again, perPage)).starts) starts.set(v, s);

  let jobs: Job[] = round.map(([visitor]) => {
    const { saved, positions, version, newest, rows } = starts.get(visitor)!;
    const from = saved?.position ?? floor;
    return {
      visitor,
      from,
      seeded: !saved && floor > NO_TIME,
      first: true,
      tail:
        newest && positions.some((p) => p.position > from)
          ? { lastEntry: new Map(JSON.parse(newest.lastEntry)), lastView: newest.lastView }
          : null,
      state: saved ? loadState(saved.state) : freshState(),
      version,
      positions: positions.map((p) => p.position).filter((p) => p >= floor && p <= from),
      rows,
      until: null,
    };
  });

  // Visitors starting at the retention horizon with events to derive: their state there, one more round trip.
  const seeded = jobs.filter((j) => j.seeded && j.rows.length);
  if (seeded.length) {
    const states = await loadBefore(
      db,
      site.id,
      seeded.map((j) => j.visitor),
      floor,
    );
    for (const job of seeded) job.state = states.get(job.visitor)!;
  }

  while (jobs.length) {
    const pages: PageToStore[] = [];
    const next: Job[] = [];
    const ties: Job[] = [];
    for (const job of jobs) {
      if (budget.events <= 0) {
        // The request's budget is spent: the state saved at `from` is where the schedule goes on.
        budget.left.push({ visitor: job.visitor, since: job.from });
        continue;
      }
      // A page ends where a millisecond starts: rows of one time are never split between pages.
      let page = job.rows;
      let end: number | null = job.until;
      if (end === null && page.length > perPage) {
        end = page[perPage]!.time;
        page = page.filter((e) => e.time < end!);
        if (!page.length) {
          ties.push(job);
          continue;
        }
      }
      if (!page.length) continue; // nothing from the cut on: already derived
      budget.events -= page.length;
      const derived = foldPage(job.state, page);
      const position = end ?? page[page.length - 1]!.time + 1;
      const positions = [...job.positions, position];
      const drop = positionsToDrop(positions);
      pages.push({
        w: {
          visitor: job.visitor,
          from: job.from,
          floor,
          first: job.first,
          tail: job.tail,
          position,
          state: saveState(job.state),
          version: job.version,
          erasures,
          drop,
        },
        folded: derived,
      });
      Object.assign(job, { from: position, first: false, version: job.version + 1, until: null });
      job.positions = positions.filter((p) => !drop.includes(p));
      if (end !== null) next.push(job);
    }
    // The pages' writes and the next pages' reads in one round trip (the reads see the writes).
    const writes = pageStatements(db, site.id, site.stages, pages);
    const tieReads = ties.map((j) =>
      eventsStatement(db, site.id, j.visitor, { sql: '?5', params: [j.from] }, j.rows[0]!.time + 1, EVENTS_OF_ONE_MS),
    );
    const pageReads = next.map((j) =>
      eventsStatement(db, site.id, j.visitor, { sql: '?5', params: [j.from] }, null, perPage + 1),
    );
    if (!writes.length && !tieReads.length && !pageReads.length) return;
    if (writes.length) await options.beforeWrite?.();
    const out = await db.batch<Record<string, unknown>>([...writes, ...tieReads, ...pageReads]);
    const read = out.slice(writes.length).map((r) => r.results as unknown as StoredEvent[]);
    ties.forEach((j, i) => {
      // Every event of one millisecond (up to EVENTS_OF_ONE_MS): then the page ends right after it.
      j.until = j.rows[0]!.time + 1;
      j.rows = read[i]!;
    });
    next.forEach((j, i) => {
      j.rows = read[ties.length + i]!;
    });
    jobs = [...ties, ...next];
  }
}
