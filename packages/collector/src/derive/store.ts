// SQL of the derivation: read a visitor's saved state and events from a point on, replace their derived rows from there.
import { CART_EVENTS } from '@parcours/protocol';
import { guardFailed, guardStatement } from '../db/guards.ts';
import { MAX_JSON_PER_STATEMENT, pathIdSql, pathTextSql } from '../db/insert-sql.ts';
import {
  DAY_MS,
  DERIVED,
  type DerivedColumn,
  type DerivedTable,
  HOUR_MS,
  INDEX,
  INTERVALS,
  intervalFirsts,
  isPathField,
  SESSION_FACTS,
  storedColumn,
  TABLE,
} from '../db/schema.ts';
import type { Page } from './fold.ts';
import { firstAbove } from './journey.ts';

const CART_TYPES = CART_EVENTS.map((t) => `'${t}'`).join(',');

/** Splits a list into chunks of at most `size`. */
export function chunk<T>(list: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/**
 * INSERTs of `rows` (each the JSON array of `columns`, `site` first), many rows per statement: the rows travel as one
 * bound JSON array unpacked by json_each, so a statement binds one parameter whatever its row count (D1 allows 100),
 * and holds at most MAX_JSON_PER_STATEMENT characters of them. A path field's text is stored as its id in `paths`.
 */
export function inserts(
  db: D1Database,
  table: string,
  columns: readonly string[],
  rows: unknown[][],
  verb = 'INSERT',
): D1PreparedStatement[] {
  const value = (c: string, i: number) =>
    isPathField(c) ? pathIdSql(`r.value ->> 0`, `r.value ->> ${i}`) : `json_extract(r.value, '$[${i}]')`;
  const sql = `${verb} INTO ${table} (${columns.map(storedColumn).join(',')}) SELECT ${columns.map(value).join(',')} FROM json_each(?1) AS r`;
  const out: D1PreparedStatement[] = [];
  let part: string[] = [];
  let size = 0;
  const flush = () => {
    if (part.length) out.push(db.prepare(sql).bind(`[${part.join(',')}]`));
    part = [];
    size = 0;
  };
  for (const row of rows) {
    const json = JSON.stringify(row);
    if (size + json.length > MAX_JSON_PER_STATEMENT) flush();
    part.push(json);
    size += json.length + 1;
  }
  flush();
  return out;
}

/** A time before any event: where a derivation from scratch starts. */
export const NO_TIME = Number.MIN_SAFE_INTEGER;

/**
 * Which derived rows a statement reads, of several visitors at once: one JSON array per visitor (or per visitor and
 * stage), `[visitor, ...]`, bound as `?2` and read by json_each as `j`; `on` is SQL over the row `r` and `j.value ->> i`.
 * The entries select disjoint rows (a row counted twice would be added twice to a rollup).
 */
interface RowSet {
  on: string;
  entries: unknown[][];
}

/**
 * Rows by time: `[visitor, from, to, event_id]`, the visitor's rows with from <= time <= to, and that event id unless
 * null. One condition for both kinds below, so a rollup reads the two kinds in one statement.
 */
const BY_TIME =
  'r.time >= j.value ->> 1 AND r.time <= j.value ->> 2 AND (j.value ->> 3 IS NULL OR r.event_id = j.value ->> 3)';
/** Each visitor's rows from their time on (`[visitor, from]`). */
const fromTime = (entries: Array<[string, number]>): RowSet => ({
  on: BY_TIME,
  entries: entries.map(([visitor, from]) => [visitor, from, Number.MAX_SAFE_INTEGER, null]),
});
/** The rows with these (visitor, time, event_id) keys. */
const withKeys = (entries: Array<[string, number, string]>): RowSet => ({
  on: BY_TIME,
  entries: entries.map(([visitor, time, id]) => [visitor, time, time, id]),
});
/** Moves into a stage in a range of time: `[visitor, stage, from, to)`. */
const movesInto = (entries: Array<[string, number, number, number]>): RowSet => ({
  on: 'r.to_index = j.value ->> 1 AND r.time >= j.value ->> 2 AND r.time < j.value ->> 3',
  entries,
});

/**
 * SQL joining the rows of `rows` in `table` (aliased `r`): json_each first (CROSS JOIN keeps that order), then the
 * table through its primary key (site, visitor, ...). D1 keeps no planner statistics: left to choose, SQLite scans
 * the site instead.
 */
const join = (table: Keyed, rows: RowSet) =>
  `json_each(?2) AS j CROSS JOIN ${TABLE[table]} AS r ${BY_KEY[table]}
     ON r.site = ?1 AND r.visitor = j.value ->> 0 AND ${rows.on}`;

/** The tables `join` reads, each through its primary key (site, visitor, ...). */
const BY_KEY = {
  transitions: `INDEXED BY ${INDEX.transitions_key} `,
  page_views: `INDEXED BY ${INDEX.page_views_key} `,
  purchases: `INDEXED BY ${INDEX.purchases_key} `,
  carts: `INDEXED BY ${INDEX.carts_key} `,
  visitor_state: `INDEXED BY ${INDEX.visitor_state_key} `,
};
type Keyed = keyof typeof BY_KEY;

/** A statement over `rows` (?1 site, ?2 the entries), or none when there are none. */
function over(db: D1Database, site: string, rows: RowSet, sql: string): D1PreparedStatement[] {
  return rows.entries.length ? [db.prepare(sql).bind(site, JSON.stringify(rows.entries))] : [];
}

/** The rollups' columns of each interval's first rows (intervalFirsts), and their upsert. */
const FIRSTS = Object.values(INTERVALS)
  .map((i) => i.firsts)
  .join(', ');
const ADD_FIRSTS = Object.values(INTERVALS)
  .map(({ firsts: c }) => `${c} = ${c} + excluded.${c}`)
  .join(', ');

/**
 * Adds (`sign` 1) or subtracts (-1) these page views to page_view_hours. Run with -1 before rows are deleted or changed
 * and with 1 after, in the same batch: the rollup then always equals the sum of page_views, whatever order batches
 * arrive in.
 */
function pageViewHours(db: D1Database, site: string, rows: RowSet, sign: 1 | -1): D1PreparedStatement[] {
  return over(
    db,
    site,
    rows,
    `INSERT INTO ${TABLE.page_view_hours} (site, stage_index, hour, views, entries, bounces, timed, first_stage_views, first_views,
                                            ${FIRSTS})
     SELECT r.site, r.stage_index, CAST(r.time / ${HOUR_MS} AS INTEGER), ${sign} * COUNT(*), ${sign} * SUM(r.is_entry),
            ${sign} * SUM(r.is_entry AND r.is_bounce), ${sign} * COUNT(r.visible_ms),
            ${sign} * (COUNT(*) - COUNT(r.prev_stage_view)), ${sign} * (COUNT(*) - COUNT(r.prev_view)),
            ${intervalFirsts('r.prev_view', 'r.time', sign)}
       FROM ${join('page_views', rows)} GROUP BY 1, 2, 3
     ON CONFLICT (site, stage_index, hour) DO UPDATE SET views = views + excluded.views, entries = entries + excluded.entries,
        bounces = bounces + excluded.bounces, timed = timed + excluded.timed,
        first_stage_views = first_stage_views + excluded.first_stage_views, first_views = first_views + excluded.first_views,
        ${ADD_FIRSTS}`,
  );
}

/** Adds (1) or subtracts (-1) these page views to page_days, as pageViewHours does. */
function pageDays(db: D1Database, site: string, rows: RowSet, sign: 1 | -1): D1PreparedStatement[] {
  return over(
    db,
    site,
    rows,
    `INSERT INTO ${TABLE.page_days} (site, path_id, stage_index, day, views, exits, first_views)
     SELECT r.site, r.path_id, r.stage_index, CAST(r.time / ${DAY_MS} AS INTEGER), ${sign} * COUNT(*), ${sign} * SUM(r.is_exit),
            ${sign} * (COUNT(*) - COUNT(r.prev_path_view))
       FROM ${join('page_views', rows)} GROUP BY 1, 2, 3, 4
     ON CONFLICT (site, path_id, stage_index, day) DO UPDATE SET views = views + excluded.views, exits = exits + excluded.exits,
        first_views = first_views + excluded.first_views`,
  );
}

/** Adds (1) or subtracts (-1) these moves, when first entries into their stage, to entry_hours, as pageViewHours does. */
function entryHours(db: D1Database, site: string, rows: RowSet, sign: 1 | -1): D1PreparedStatement[] {
  return over(
    db,
    site,
    rows,
    `INSERT INTO ${TABLE.entry_hours} (site, to_index, hour, entered, nexts, onwards)
     SELECT r.site, r.to_index, CAST(r.time / ${HOUR_MS} AS INTEGER), ${sign} * COUNT(*), ${sign} * COUNT(r.next_ms),
            ${sign} * COUNT(r.onward_ms)
       FROM ${join('transitions', rows)} AND r.prev_entry IS NULL GROUP BY 1, 2, 3
     ON CONFLICT (site, to_index, hour) DO UPDATE SET entered = entered + excluded.entered, nexts = nexts + excluded.nexts,
        onwards = onwards + excluded.onwards`,
  );
}

/** Adds (1) or subtracts (-1) these moves to pair_hours (from NULL as -1), as pageViewHours does. */
function pairHours(db: D1Database, site: string, rows: RowSet, sign: 1 | -1): D1PreparedStatement[] {
  return over(
    db,
    site,
    rows,
    `INSERT INTO ${TABLE.pair_hours} (site, to_index, from_index, hour, moves, first_moves, ${FIRSTS})
     SELECT r.site, r.to_index, IFNULL(r.from_index, -1), CAST(r.time / ${HOUR_MS} AS INTEGER), ${sign} * COUNT(*),
            ${sign} * (COUNT(*) - COUNT(r.prev_pair)), ${intervalFirsts('r.prev_entry', 'r.time', sign)}
       FROM ${join('transitions', rows)} GROUP BY 1, 2, 3, 4
     ON CONFLICT (site, to_index, from_index, hour) DO UPDATE SET moves = moves + excluded.moves, first_moves = first_moves + excluded.first_moves,
        ${ADD_FIRSTS}`,
  );
}

/** Deletes these rows of a table keyed (site, visitor, ...`key`): found through its primary key, deleted by it. */
function deleteRows(db: D1Database, site: string, table: Keyed, key: string[], rows: RowSet): D1PreparedStatement[] {
  const columns = ['site', 'visitor', ...key];
  return over(
    db,
    site,
    rows,
    `DELETE FROM ${TABLE[table]} WHERE (${columns.join(', ')}) IN
       (SELECT ${columns.map((c) => `r.${c}`).join(', ')} FROM ${join(table, rows)})`,
  );
}

/**
 * A visitor's events from time `from` on (until `until`, excluded, if given), in `byEventTime` order, at most `limit`.
 * `from` may be SQL: the position of a saved state, read in the same statement.
 */
export function eventsStatement(
  db: D1Database,
  site: string,
  visitor: string,
  from: { sql: string; params: unknown[] },
  until: number | null,
  limit: number,
): D1PreparedStatement {
  return db
    .prepare(
      `SELECT ${EVENT_FIELDS} FROM ${TABLE.events} INDEXED BY ${INDEX.events_site_visitor_time}
        WHERE site = ?1 AND visitor = ?2 AND time >= ${from.sql} AND time < ?3
        ORDER BY time, id LIMIT ?4`,
    )
    .bind(site, visitor, until ?? Number.MAX_SAFE_INTEGER, limit, ...from.params);
}

/** What derivation reads of a stored event (a StoredEvent). */
const EVENT_FIELDS = `seq, id, type, stage_index, session, time, ${pathTextSql('path_id')} AS path, path_id, duration_ms, value, currency,
  CASE WHEN type IN (${CART_TYPES}) THEN json_extract(data, '$.items') END AS items,
  CASE WHEN type = 'purchase' THEN json_extract(data, '$.transaction_id') END AS transaction_id`;

/** Terms a compound SELECT may have on D1 (SQLite's SQLITE_MAX_COMPOUND_SELECT there: a sixth fails). */
const D1_COMPOUND_TERMS = 5;

/**
 * The first page of events of each visitor (`[visitor, cut]`), five visitors a statement (a UNION ALL of one SELECT
 * each): their events from the saved state a derivation from the cut resumes from (the horizon without one; see
 * `statesStatement`) on, in `byEventTime` order, at most `limit` each; each row with `part`, its visitor's index in
 * `cuts`.
 */
export function firstPagesStatements(
  db: D1Database,
  site: string,
  cuts: Array<[string, number]>,
  limit: number,
): D1PreparedStatement[] {
  return chunk(
    cuts.map((cut, part) => [part, cut] as const),
    D1_COMPOUND_TERMS,
  ).map((group) => {
    const parts = group.map(([part], k) => {
      // Expressions of bound parameters only: SQLite seeks the index with them as with a parameter.
      const visitor = `json_extract(?2, '$[${k}][0]')`;
      const from = `IFNULL((SELECT MAX(position) FROM ${TABLE.visitor_state} WHERE site = ?1 AND visitor = ${visitor}
        AND position <= MAX(json_extract(?2, '$[${k}][1]'), ${HORIZON_SQL}) AND position >= ${HORIZON_SQL}), ${HORIZON_SQL})`;
      return `SELECT * FROM (SELECT ${part} AS part, ${EVENT_FIELDS} FROM ${TABLE.events} INDEXED BY ${INDEX.events_site_visitor_time}
         WHERE site = ?1 AND visitor = ${visitor} AND time >= ${from} ORDER BY time, id LIMIT ?3)`;
    });
    return db
      .prepare(`${parts.join(' UNION ALL ')} ORDER BY part, time, id`)
      .bind(site, JSON.stringify(group.map(([, cut]) => cut)), limit);
  });
}

/**
 * SQL of the retention horizon (`retained_from`) of the site bound at `param`: NO_TIME where retention never ran (or
 * no site row, as in benches). Derivation reads it in the same statements as the states and events it goes with.
 */
const horizonOf = (param: string) =>
  `IFNULL((SELECT retained_from FROM ${TABLE.sites} WHERE id = ${param}), ${NO_TIME})`;
const HORIZON_SQL = horizonOf('?1');

/** SQL of the erasure counter of the site bound at ?1 (0 before its first erasure). */
const ERASURES_SQL = `IFNULL((SELECT erasures FROM ${TABLE.site_erasures} WHERE site = ?1), 0)`;

/** The site's retention horizon (NO_TIME without one) and erasure counter: what every derivation's guard checks. */
export function horizonStatement(db: D1Database, site: string): D1PreparedStatement {
  return db.prepare(`SELECT ${HORIZON_SQL} AS floor, ${ERASURES_SQL} AS erasures`).bind(site);
}

/**
 * The saved state a derivation of each visitor from their cut (`[visitor, cut]`; at the horizon if before it)
 * resumes from: the latest at or before it, and not before the site's retention horizon: a state from before the
 * horizon would need the events between it and the horizon, which may be deleted. One row per visitor with one.
 */
export function statesStatement(db: D1Database, site: string, cuts: Array<[string, number]>): D1PreparedStatement {
  return db
    .prepare(
      `SELECT s.visitor, s.position, s.state FROM json_each(?2) AS j CROSS JOIN ${TABLE.visitor_state} AS s
          ON s.site = ?1 AND s.visitor = j.value ->> 0 AND s.position = (SELECT MAX(x.position) FROM ${TABLE.visitor_state} AS x
             WHERE x.site = ?1 AND x.visitor = j.value ->> 0 AND x.position <= MAX(j.value ->> 1, ${HORIZON_SQL})
               AND x.position >= ${HORIZON_SQL})`,
    )
    .bind(site, JSON.stringify(cuts));
}

/**
 * Per visitor: every saved position, the derivation counter, and what the newest saved state says of their last
 * moves and page view (see PageWrite.tail), as rows of (visitor, position, version, lastEntry, lastView): a row per
 * position (the newest one with lastEntry, lastView), and one with the version.
 */
export function savedStatement(db: D1Database, site: string, visitors: string[]): D1PreparedStatement {
  return db
    .prepare(
      `SELECT s.visitor, s.position, NULL AS version,
              CASE WHEN s.position = (SELECT MAX(x.position) FROM ${TABLE.visitor_state} AS x
                                       WHERE x.site = ?1 AND x.visitor = s.visitor)
                   THEN json_extract(s.state, '$.lastEntry') END AS lastEntry,
              CASE WHEN s.position = (SELECT MAX(x.position) FROM ${TABLE.visitor_state} AS x
                                       WHERE x.site = ?1 AND x.visitor = s.visitor)
                   THEN json_extract(s.state, '$.lastView') END AS lastView
         FROM json_each(?2) AS j CROSS JOIN ${TABLE.visitor_state} AS s ON s.site = ?1 AND s.visitor = j.value
       UNION ALL
       SELECT v.visitor, NULL, v.version, NULL, NULL
         FROM json_each(?2) AS j CROSS JOIN ${TABLE.visitor_versions} AS v ON v.site = ?1 AND v.visitor = j.value`,
    )
    .bind(site, JSON.stringify(visitors));
}

/** What one page's write needs to know besides the page. */
export interface PageWrite {
  visitor: string;
  /** Where the page starts: its rows are those from this time on. */
  from: number;
  /**
   * The site's retention horizon as read when the derivation began (NO_TIME: none): rows before it are never changed,
   * and the writes fail (to derive again) if it has moved since, as events before the new one may be deleted.
   */
  floor: number;
  /** The first page of this derivation: every row from `from` on is replaced, saved states after it dropped. */
  first: boolean;
  /**
   * What the derivation before this one found from `from` on (a late event), as its newest saved state tells: the last
   * move into each stage and the last page view. Earlier rows whose look-ahead it resolved there are reset when this
   * derivation finds nothing; null when nothing was derived from `from` on.
   */
  tail: { lastEntry: Map<number, number>; lastView: number | null } | null;
  /** Where the page ends, the state saved there, the derivation counter read, saved positions to drop. */
  position: number;
  state: string;
  version: number;
  /** The site's erasure counter as read when the derivation began (see `guard`). */
  erasures: number;
  drop: number[];
}

/** One page of one visitor to store: what to write, and the page. */
export interface PageToStore {
  w: PageWrite;
  folded: Page;
}

/**
 * Fails the batch (nothing of it stored) unless each visitor's derivation counter (`[visitor, version]`) is still the
 * one read, the site's erasure counter too, and the site's retention horizon still where it was. A visitor's counter
 * only grows while they have data (each page written adds 1); erasure deletes it but adds 1 to the site's, which never
 * goes back: so a derivation that read before another wrote, or before an erasure, never passes, even once the
 * visitor's counter has climbed back to the one it read.
 */
function guard(
  db: D1Database,
  site: string,
  versions: Array<[string, number]>,
  floor: number,
  erasures: number,
): D1PreparedStatement {
  return guardStatement(
    db,
    'visitor_state_changed',
    `EXISTS (SELECT 1 FROM json_each(?2) AS j WHERE IFNULL((SELECT version FROM ${TABLE.visitor_versions}
               WHERE site = ?1 AND visitor = j.value ->> 0), 0) <> j.value ->> 1)
      OR ${HORIZON_SQL} <> ?3 OR ${ERASURES_SQL} <> ?4`,
    [site, JSON.stringify(versions), floor, erasures],
  );
}

/** Another derivation of the visitor (or their erasure) wrote first: derive again from what is stored now. */
export const isStale = (error: unknown) => guardFailed(error, 'visitor_state_changed');

/** Earlier moves a page resolves the look-ahead of: `column` of moves into a stage in [since, from), set to `found - time`. */
interface Look {
  visitor: string;
  stage: number;
  since: number;
  from: number;
  found: number | null;
}

/**
 * Sets `column` (next_ms, onward_ms) of each look's moves to its `found - time` (null: none found), where the
 * previous derivation found nothing or something from `from` on.
 */
function resolveLooks(db: D1Database, site: string, column: string, looks: Look[]): D1PreparedStatement[] {
  const rows = movesInto(looks.map((l) => [l.visitor, l.stage, l.since, l.from]));
  return over(
    db,
    site,
    { ...rows, entries: looks.map((l) => [l.visitor, l.stage, l.since, l.from, l.found]) },
    `UPDATE ${TABLE.transitions} SET ${column} = (SELECT j.value ->> 4 FROM json_each(?2) AS j
        WHERE j.value ->> 0 = ${TABLE.transitions}.visitor AND j.value ->> 1 = ${TABLE.transitions}.to_index) - time
      WHERE (site, visitor, time, event_id) IN (SELECT r.site, r.visitor, r.time, r.event_id
        FROM ${join('transitions', rows)}
         AND (r.${column} IS NULL OR r.time + r.${column} >= j.value ->> 3))`,
  );
}

/**
 * Statements storing one derived page of each of several visitors (one batch, one transaction): each kind of
 * statement once for all of them, its rows bound as one JSON parameter. Every page has the same `floor` and
 * `erasures` (one round of derivation read them once).
 */
export function pageStatements(
  db: D1Database,
  site: string,
  stages: readonly string[],
  pages: PageToStore[],
): D1PreparedStatement[] {
  if (!pages.length) return [];
  const { floor, erasures } = pages[0]!.w;
  const out: D1PreparedStatement[] = [
    guard(
      db,
      site,
      pages.map((p) => [p.w.visitor, p.w.version]),
      floor,
      erasures,
    ),
  ];
  const after = fromTime(pages.map((p) => [p.w.visitor, p.w.from]));
  const firsts = pages.filter((p) => p.w.first);
  const firstFrom = fromTime(firsts.map((p) => [p.w.visitor, p.w.from]));
  const rewrittenKeys: Array<[string, number, string]> = [];
  const reopened: Array<[string, string]> = [];
  const byColumn: Record<'next_ms' | 'onward_ms', Look[]> = { next_ms: [], onward_ms: [] };
  /** Per visitor and stage, the moves whose look-ahead this batch may change (one range: the union of the looks'). */
  const looked: Array<[string, number, number, number]> = [];
  const viewAfter: unknown[][] = [];
  const cartExits: unknown[][] = [];
  const rows: Record<DerivedTable, unknown[][]> = { transitions: [], page_views: [], carts: [], purchases: [] };
  const states: unknown[][] = [];
  const drops: Array<[string, number]> = [];

  for (const { w, folded } of pages) {
    const { visitor, from } = w;
    // Rows before the retention horizon stay as they were, even where a state saved before retention ran would change
    // them: a session's last page view, a cart opened before it (its row keeps what it had at the horizon).
    const carts = folded.carts.filter((c) => c.started_at >= floor);
    const page: Page = {
      ...folded,
      carts,
      reopened: carts.some((c) => c.event_id === folded.reopened) ? folded.reopened : null,
      rewrittenViews: folded.rewrittenViews.filter((v) => v.time >= floor),
    };
    for (const v of page.rewrittenViews) rewrittenKeys.push([visitor, v.time, v.event_id]);
    if (page.reopened) reopened.push([visitor, page.reopened]);

    // Earlier moves still waiting for the next stage (or any later one) find it in this page: moves into k after the
    // visitor's last move into k + 1 (or into any stage above k) before the page. With a tail, what an earlier
    // derivation found there is reset when this one finds nothing.
    const lastInto = page.before.lastEntry;
    for (const [stage, last] of lastInto) {
      const higher = [...lastInto].filter(([s]) => s > stage).map(([, t]) => t);
      const looks = [
        { column: 'next_ms', since: lastInto.get(stage + 1) ?? NO_TIME, found: page.firstMove.get(stage + 1) ?? null },
        {
          column: 'onward_ms',
          since: higher.length ? Math.max(...higher) : NO_TIME,
          found: firstAbove(page.firstMove, stage),
        },
      ] as const;
      // Only what the previous derivation resolved from `from` on may need a reset: a move into the stage it waited
      // for. As events are only ever added, a move into a stage from `from` on stays one (maybe earlier): this is for
      // a tail that lost events (a repair after events were deleted), and costs nothing when no move of the tail
      // could matter.
      const tail = w.first ? w.tail : null;
      const moved = (above: (s: number) => boolean) =>
        tail !== null && [...tail.lastEntry].some(([s, t]) => above(s) && t >= from);
      const resets = [moved((s) => s === stage + 1), moved((s) => s > stage)];
      let lowest: number | null = null;
      for (const [i, { column, since, found }] of looks.entries()) {
        if (last < since || (found === null && !resets[i])) continue;
        const lo = Math.max(since, floor);
        byColumn[column].push({ visitor, stage, since: lo, from, found });
        lowest = lowest === null ? lo : Math.min(lowest, lo);
      }
      if (lowest !== null) looked.push([visitor, stage, lowest, from]);
    }
    // Earlier purchases after the visitor's last page view before the page: their next view.
    if (page.firstView !== null || (w.first && (w.tail?.lastView ?? NO_TIME) >= from))
      viewAfter.push([visitor, Math.max(page.before.lastView ?? NO_TIME, floor), from, page.firstView]);
    for (const c of page.cartExits) cartExits.push([visitor, c.event_id, c.path, c.stage]);

    // Each row as the JSON array of its table's columns (schema.ts), site and visitor first. A row lacking a column of
    // its table does not compile.
    const add = <T extends DerivedTable>(table: T, row: Record<DerivedColumn<T>, unknown>) =>
      rows[table].push(
        DERIVED[table].map((c) =>
          c === 'site' ? site : c === 'visitor' ? visitor : ((row as Record<string, unknown>)[c] ?? null),
        ),
      );
    for (const t of page.transitions) {
      const from_stage = t.from_index === null ? null : (stages[t.from_index] ?? String(t.from_index));
      add('transitions', { ...t, from_stage, to_stage: stages[t.to_index] ?? String(t.to_index) });
    }
    for (const p of [...page.pageViews, ...page.rewrittenViews]) add('page_views', p);
    for (const c of page.carts) add('carts', c);
    for (const p of page.purchases) add('purchases', p);
    states.push([site, visitor, w.position, w.version + 1, w.state]);
    for (const position of w.drop) drops.push([visitor, position]);
  }

  const rewritten = withKeys(rewrittenKeys);
  // The pages' views from `from` on and the earlier views they rewrite (disjoint: those are before `from`).
  const viewed: RowSet = { on: BY_TIME, entries: [...after.entries, ...rewritten.entries] };
  const views = (sign: 1 | -1) =>
    out.push(...pageViewHours(db, site, viewed, sign), ...pageDays(db, site, viewed, sign));
  const moves = (sign: 1 | -1) => out.push(...entryHours(db, site, after, sign), ...pairHours(db, site, after, sign));

  // Out with the rows from `from` on (later pages add to what the first one left), and with the earlier rows replaced.
  views(-1);
  moves(-1);
  for (const table of ['transitions', 'page_views', 'purchases'] as const)
    out.push(...deleteRows(db, site, table, ['time', 'event_id'], firstFrom));
  out.push(
    ...deleteRows(db, site, 'carts', ['event_id'], {
      ...firstFrom,
      on: 'r.started_at >= j.value ->> 1',
    }),
    ...deleteRows(db, site, 'visitor_state', ['position'], {
      ...firstFrom,
      on: 'r.position > j.value ->> 1',
    }),
  );
  // States from before the horizon are never resumed from again.
  if (floor > NO_TIME)
    out.push(
      ...deleteRows(db, site, 'visitor_state', ['position'], {
        on: `r.position < ${HORIZON_SQL}`,
        entries: firsts.map((p) => [p.w.visitor]),
      }),
    );
  out.push(...deleteRows(db, site, 'page_views', ['time', 'event_id'], rewritten));
  out.push(
    ...deleteRows(db, site, 'carts', ['event_id'], {
      on: 'r.event_id = j.value ->> 1',
      entries: reopened,
    }),
  );

  const lookedRows = movesInto(looked);
  out.push(
    ...entryHours(db, site, lookedRows, -1),
    ...resolveLooks(db, site, 'next_ms', byColumn.next_ms),
    ...resolveLooks(db, site, 'onward_ms', byColumn.onward_ms),
    ...entryHours(db, site, lookedRows, 1),
  );
  out.push(
    ...over(
      db,
      site,
      { on: '', entries: viewAfter },
      `UPDATE ${TABLE.purchases} SET view_after = (SELECT j.value ->> 3 FROM json_each(?2) AS j
          WHERE j.value ->> 0 = ${TABLE.purchases}.visitor)
        WHERE (site, visitor, time, event_id) IN (SELECT r.site, r.visitor, r.time, r.event_id
          FROM ${join('purchases', { on: 'r.time >= j.value ->> 1 AND r.time < j.value ->> 2', entries: [] })}
           AND (r.view_after IS NULL OR r.view_after >= j.value ->> 2))`,
    ),
    ...over(
      db,
      site,
      { on: '', entries: cartExits },
      `UPDATE ${TABLE.carts}
          SET (exit_path_id, exit_stage) = (SELECT ${pathIdSql('?1', 'j.value ->> 2')}, j.value ->> 3 FROM json_each(?2) AS j
                WHERE j.value ->> 0 = ${TABLE.carts}.visitor AND j.value ->> 1 = ${TABLE.carts}.event_id)
        WHERE (site, visitor, event_id) IN (SELECT ?1, j.value ->> 0, j.value ->> 1 FROM json_each(?2) AS j)
          AND started_at >= ${HORIZON_SQL}`,
    ),
  );

  // In with the pages' rows and the earlier rows they changed.
  for (const table of TABLES) out.push(...inserts(db, TABLE[table], DERIVED[table], rows[table]));
  views(1);
  moves(1);
  out.push(
    ...sessionFacts(
      db,
      site,
      pages.map(({ w, folded }) => [
        w.visitor,
        w.from,
        [...new Set([...folded.pageViews, ...folded.transitions].map((r) => r.session))],
      ]),
    ),
  );

  // The states after the pages, each at a version of its own; saved states no longer worth keeping go.
  out.push(
    ...over(
      db,
      site,
      { on: '', entries: pages.map((p) => [p.w.visitor]) },
      `INSERT INTO ${TABLE.visitor_versions} (site, visitor, version) SELECT ?1, j.value ->> 0, 1 FROM json_each(?2) AS j WHERE 1
       ON CONFLICT (site, visitor) DO UPDATE SET version = version + 1`,
    ),
    ...inserts(
      db,
      TABLE.visitor_state,
      ['site', 'visitor', 'position', 'version', 'state'],
      states,
      'INSERT OR REPLACE',
    ),
    ...deleteRows(db, site, 'visitor_state', ['position'], {
      on: 'r.position = j.value ->> 1',
      entries: drops,
    }),
  );
  return out;
}

const TABLES = Object.keys(DERIVED) as DerivedTable[];

/**
 * Sets the facts of a session (`first_row`, `last_row`, `views`, `entered`: see SESSION_FACTS) from its page views and
 * moves, for each `[visitor, from, sessions]` of the write: the sessions whose last row was at or after `from` (rows
 * replaced, maybe gone) and those given (they have rows from `from` on). Others kept every row as it was. Run after the
 * rows are in, in the same batch.
 */
function sessionFacts(db: D1Database, site: string, entries: Array<[string, number, string[]]>): D1PreparedStatement[] {
  // A session's rows start at its first row as it was (rows before `from` were kept) or at `from` (rows written anew):
  // the look-up starts there in the visitor's rows (keyed by time), never at the start of a long history.
  const from = `(SELECT MIN(j.value ->> 1) FROM json_each(?2) AS j WHERE j.value ->> 0 = ${TABLE.sessions}.visitor)`;
  const since = `MIN(COALESCE(${TABLE.sessions}.first_row, ${from}), ${from})`;
  const own = (table: string, alias: string) =>
    `FROM ${table} ${alias} WHERE ${alias}.site = ${TABLE.sessions}.site AND ${alias}.visitor = ${TABLE.sessions}.visitor AND ${alias}.time >= ${since} AND ${alias}.session = ${TABLE.sessions}.session`;
  return over(
    db,
    site,
    { on: '', entries },
    `UPDATE ${TABLE.sessions} SET (${SESSION_FACTS.join(', ')}) = (
       SELECT MIN(t), MAX(t), IFNULL(SUM(v), 0), IFNULL(SUM(DISTINCT m), 0) FROM (
         SELECT p.time AS t, 1 AS v, NULL AS m ${own(TABLE.page_views, 'p')}
         UNION ALL SELECT r.time, 0, 1 << r.to_index ${own(TABLE.transitions, 'r')}))
      WHERE site = ?1 AND visitor IN (SELECT j.value ->> 0 FROM json_each(?2) AS j)
        AND EXISTS (SELECT 1 FROM json_each(?2) AS j WHERE j.value ->> 0 = ${TABLE.sessions}.visitor
              AND (${TABLE.sessions}.last_row >= j.value ->> 1 OR ${TABLE.sessions}.session IN (SELECT value FROM json_each(j.value -> 2))))`,
  );
}

/**
 * Statements erasing one visitor from a site (run them in one batch): the rollups lose their rows' counts, then every
 * derived row, saved derivation state, mark for the schedule, session, daily count, form field entry and stored event
 * of theirs goes.
 * So does their derivation counter, and the site's erasure counter goes one up instead: a derivation that read before
 * the erasure cannot write their rows back (see `guard`). The last statement deletes the events: its `changes` is the
 * number of events erased.
 */
export function eraseVisitorStatements(db: D1Database, site: string, visitor: string): D1PreparedStatement[] {
  const tables = [
    ...TABLES.map((t) => TABLE[t]),
    TABLE.visitor_state,
    TABLE.visitor_versions,
    TABLE.dirty_visitors,
    TABLE.sessions,
    TABLE.visitor_days,
    TABLE.events,
  ];
  return [
    ...visitorRollups(db, site, [visitor], -1),
    db
      .prepare(
        `INSERT INTO ${TABLE.site_erasures} (site, erasures) VALUES (?1, 1)
         ON CONFLICT (site) DO UPDATE SET erasures = erasures + 1`,
      )
      .bind(site),
    // The per-field entries of their form events, found through the events (before these go).
    db
      .prepare(
        `DELETE FROM ${TABLE.form_fields} WHERE (site, time, seq) IN (SELECT site, time, seq FROM ${TABLE.events}
           INDEXED BY ${INDEX.events_site_visitor_time} WHERE site = ?1 AND visitor = ?2)`,
      )
      .bind(site, visitor),
    ...tables.map((table) => db.prepare(`DELETE FROM ${table} WHERE site = ? AND visitor = ?`).bind(site, visitor)),
  ];
}

/**
 * Adds (1) or subtracts (-1) every derived row of these visitors to the rollups: erasure takes them out, a move's copy
 * of a visitor's history (src/shard/move-rows.ts) puts them in.
 */
export function visitorRollups(db: D1Database, site: string, visitors: string[], sign: 1 | -1): D1PreparedStatement[] {
  const all: RowSet = { on: '1', entries: visitors.map((v) => [v]) };
  return [
    ...pageViewHours(db, site, all, sign),
    ...pageDays(db, site, all, sign),
    ...entryHours(db, site, all, sign),
    ...pairHours(db, site, all, sign),
  ];
}

/** Age windows (how much older than the newest saved state) in each of which the oldest and newest states are kept. */
const KEPT_AGES = [0, 60_000, 5 * 60_000, 30 * 60_000, 2 * HOUR_MS, 12 * HOUR_MS, 3 * DAY_MS, 30 * DAY_MS, Infinity];

/**
 * The saved positions to drop. Kept, in each age window (up to a minute older than the newest, up to five minutes,
 * half an hour, two hours, ...), the oldest and the newest: states age from window to window as new ones come, so a
 * late batch (another tab, a phone back online) finds one not much older than its events, and at most 16 are kept.
 */
export function positionsToDrop(positions: number[]): number[] {
  const sorted = [...new Set(positions)].sort((a, b) => b - a);
  const newest = sorted[0];
  if (newest === undefined) return [];
  const keep = new Set<number>();
  for (let i = 1; i < KEPT_AGES.length; i++) {
    const inWindow = sorted.filter((p) => newest - p >= KEPT_AGES[i - 1]! && newest - p < KEPT_AGES[i]!);
    if (inWindow.length) keep.add(inWindow[0]!).add(inWindow[inWindow.length - 1]!);
  }
  return sorted.filter((p) => !keep.has(p));
}
