// SQL of the derivation: read a visitor's saved state and events from a point on, replace their derived rows from there.
import { CART_EVENTS } from '@parcours/protocol';
import { guardFailed, guardStatement } from '../db/guards.ts';
import { MAX_JSON_PER_STATEMENT } from '../db/insert-sql.ts';
import { DAY_MS, DERIVED, type DerivedColumn, type DerivedTable, HOUR_MS, INDEX, TABLE } from '../db/schema.ts';
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
 * INSERTs of `rows`, many rows per statement: the rows travel as one bound JSON array unpacked
 * by json_each, so a statement binds one parameter whatever its row count (D1 allows 100).
 */
function inserts(db: D1Database, table: DerivedTable, columns: string[], rows: unknown[][]): D1PreparedStatement[] {
  const sql = `INSERT INTO ${TABLE[table]} (${columns.join(',')}) SELECT ${columns.map((_, i) => `json_extract(r.value, '$[${i}]')`).join(',')} FROM json_each(?1) AS r`;
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

/** Which of a visitor's derived rows a statement reads: SQL over the row's columns (`site` ?1, `visitor` ?2) and its parameters from ?3. */
interface RowSet {
  where: string;
  params: unknown[];
}

/** The visitor's rows from time `from` on. */
const fromTime = (from: number): RowSet => ({ where: 'time >= ?3', params: [from] });
/** The visitor's rows with these (time, event_id) keys. */
const withKeys = (keys: Array<{ time: number; event_id: string }>): RowSet => ({
  where: `(time, event_id) IN (SELECT value ->> 0, value ->> 1 FROM json_each(?3))`,
  params: [JSON.stringify(keys.map((k) => [k.time, k.event_id]))],
});
/** The visitor's moves into `stage` in [from, to). */
const movesInto = (stage: number, from: number, to: number): RowSet => ({
  where: 'to_index = ?3 AND time >= ?4 AND time < ?5',
  params: [stage, from, to],
});

/**
 * Adds (`sign` 1) or subtracts (-1) these page views to page_view_hours, read through the primary key (site, visitor, ...):
 * without statistics SQLite would scan a site-wide index instead. Run with -1 before rows are deleted or changed and with
 * 1 after, in the same batch: the rollup then always equals the sum of page_views, whatever order batches arrive in.
 */
function pageViewHours(db: D1Database, site: string, visitor: string, rows: RowSet, sign: 1 | -1): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO ${TABLE.page_view_hours} (site, stage_index, hour, views, entries, bounces, timed, first_stage_views, first_views)
       SELECT site, stage_index, CAST(time / ${HOUR_MS} AS INTEGER), ${sign} * COUNT(*), ${sign} * SUM(is_entry),
              ${sign} * SUM(is_entry AND is_bounce), ${sign} * COUNT(visible_ms), ${sign} * (COUNT(*) - COUNT(prev_stage_view)),
              ${sign} * (COUNT(*) - COUNT(prev_view))
         FROM ${TABLE.page_views} INDEXED BY ${INDEX.page_views_key} WHERE site = ?1 AND visitor = ?2 AND ${rows.where} GROUP BY 1, 2, 3
       ON CONFLICT (site, stage_index, hour) DO UPDATE SET views = views + excluded.views, entries = entries + excluded.entries,
          bounces = bounces + excluded.bounces, timed = timed + excluded.timed,
          first_stage_views = first_stage_views + excluded.first_stage_views, first_views = first_views + excluded.first_views`,
    )
    .bind(site, visitor, ...rows.params);
}

/** Adds (1) or subtracts (-1) these page views to page_days, as pageViewHours does. */
function pageDays(db: D1Database, site: string, visitor: string, rows: RowSet, sign: 1 | -1): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO ${TABLE.page_days} (site, path, stage_index, day, views, exits, first_views)
       SELECT site, path, stage_index, CAST(time / ${DAY_MS} AS INTEGER), ${sign} * COUNT(*), ${sign} * SUM(is_exit),
              ${sign} * (COUNT(*) - COUNT(prev_path_view))
         FROM ${TABLE.page_views} INDEXED BY ${INDEX.page_views_key} WHERE site = ?1 AND visitor = ?2 AND ${rows.where} GROUP BY 1, 2, 3, 4
       ON CONFLICT (site, path, stage_index, day) DO UPDATE SET views = views + excluded.views, exits = exits + excluded.exits,
          first_views = first_views + excluded.first_views`,
    )
    .bind(site, visitor, ...rows.params);
}

/** Adds (1) or subtracts (-1) these moves, when first entries into their stage, to entry_hours, as pageViewHours does. */
function entryHours(db: D1Database, site: string, visitor: string, rows: RowSet, sign: 1 | -1): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO ${TABLE.entry_hours} (site, to_index, hour, entered, nexts, onwards)
       SELECT site, to_index, CAST(time / ${HOUR_MS} AS INTEGER), ${sign} * COUNT(*), ${sign} * COUNT(next_ms), ${sign} * COUNT(onward_ms)
         FROM ${TABLE.transitions} INDEXED BY ${INDEX.transitions_key}
        WHERE site = ?1 AND visitor = ?2 AND ${rows.where} AND prev_entry IS NULL GROUP BY 1, 2, 3
       ON CONFLICT (site, to_index, hour) DO UPDATE SET entered = entered + excluded.entered, nexts = nexts + excluded.nexts,
          onwards = onwards + excluded.onwards`,
    )
    .bind(site, visitor, ...rows.params);
}

/** Adds (1) or subtracts (-1) these moves to pair_hours (from NULL as -1), as pageViewHours does. */
function pairHours(db: D1Database, site: string, visitor: string, rows: RowSet, sign: 1 | -1): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO ${TABLE.pair_hours} (site, to_index, from_index, hour, moves, first_moves)
       SELECT site, to_index, IFNULL(from_index, -1), CAST(time / ${HOUR_MS} AS INTEGER), ${sign} * COUNT(*), ${sign} * (COUNT(*) - COUNT(prev_pair))
         FROM ${TABLE.transitions} INDEXED BY ${INDEX.transitions_key}
        WHERE site = ?1 AND visitor = ?2 AND ${rows.where} GROUP BY 1, 2, 3, 4
       ON CONFLICT (site, to_index, from_index, hour) DO UPDATE SET moves = moves + excluded.moves, first_moves = first_moves + excluded.first_moves`,
    )
    .bind(site, visitor, ...rows.params);
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
      `SELECT seq, id, type, stage_index, session, time, path, duration_ms, value, currency,
              CASE WHEN type IN (${CART_TYPES}) THEN json_extract(data, '$.items') END AS items,
              CASE WHEN type = 'purchase' THEN json_extract(data, '$.transaction_id') END AS transaction_id
         FROM ${TABLE.events} INDEXED BY ${INDEX.events_site_visitor_time}
        WHERE site = ?1 AND visitor = ?2 AND time >= ${from.sql} AND time < ?3
        ORDER BY time, id LIMIT ?4`,
    )
    .bind(site, visitor, until ?? Number.MAX_SAFE_INTEGER, limit, ...from.params);
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
 * The saved state a derivation from time `cut` (at the horizon if before it) resumes from: the latest at or before
 * it, and not before the site's retention horizon: a state from before the horizon would need the events between it
 * and the horizon, which may be deleted.
 */
export function stateStatement(db: D1Database, site: string, visitor: string, cut: number): D1PreparedStatement {
  return db
    .prepare(
      `SELECT position, state FROM ${TABLE.visitor_state} WHERE site = ?1 AND visitor = ?2
          AND position <= MAX(?3, ${HORIZON_SQL}) AND position >= ${HORIZON_SQL}
        ORDER BY position DESC LIMIT 1`,
    )
    .bind(site, visitor, cut);
}

/** SQL (parameters ?5, ?6 and ?7: site, visitor, cut) of the position of that state, the horizon without one. */
export const STATE_POSITION = {
  sql: `IFNULL((SELECT MAX(position) FROM ${TABLE.visitor_state} WHERE site = ?5 AND visitor = ?6
           AND position <= MAX(?7, ${horizonOf('?5')}) AND position >= ${horizonOf('?5')}), ${horizonOf('?5')})`,
};

/** What the visitor's newest saved state says of their last moves and page view (see PageWrite.tail). */
export function newestStatement(db: D1Database, site: string, visitor: string): D1PreparedStatement {
  return db
    .prepare(
      `SELECT json_extract(state, '$.lastEntry') AS lastEntry, json_extract(state, '$.lastView') AS lastView
         FROM ${TABLE.visitor_state} WHERE site = ?1 AND visitor = ?2 ORDER BY position DESC LIMIT 1`,
    )
    .bind(site, visitor);
}

/** Every saved position of the visitor. */
export function positionsStatement(db: D1Database, site: string, visitor: string): D1PreparedStatement {
  return db.prepare(`SELECT position FROM ${TABLE.visitor_state} WHERE site = ?1 AND visitor = ?2`).bind(site, visitor);
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

/**
 * Fails the batch (nothing of it stored) unless the visitor's derivation counter is still the one read, the site's
 * erasure counter too, and the site's retention horizon still where it was. The visitor's counter only grows while
 * they have data (each page written adds 1); erasure deletes it but adds 1 to the site's, which never goes back: so a
 * derivation that read before another wrote, or before an erasure, never passes, even once the visitor's counter has
 * climbed back to the one it read.
 */
function guard(db: D1Database, site: string, w: PageWrite): D1PreparedStatement {
  return guardStatement(
    db,
    'visitor_state_changed',
    `IFNULL((SELECT version FROM ${TABLE.visitor_versions} WHERE site = ?1 AND visitor = ?2), 0) <> ?3
      OR ${HORIZON_SQL} <> ?4 OR ${ERASURES_SQL} <> ?5`,
    [site, w.visitor, w.version, w.floor, w.erasures],
  );
}

/** The visitor's derivation counter (0 before their first derivation). */
export function versionStatement(db: D1Database, site: string, visitor: string): D1PreparedStatement {
  return db
    .prepare(`SELECT version FROM ${TABLE.visitor_versions} WHERE site = ?1 AND visitor = ?2`)
    .bind(site, visitor);
}

/** Adds 1 to the visitor's derivation counter (a write of their derived rows). */
function bumpVersion(db: D1Database, site: string, visitor: string): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO ${TABLE.visitor_versions} (site, visitor, version) VALUES (?1, ?2, 1)
       ON CONFLICT (site, visitor) DO UPDATE SET version = version + 1`,
    )
    .bind(site, visitor);
}

/** Another derivation of the visitor (or their erasure) wrote first: derive again from what is stored now. */
export const isStale = (error: unknown) => guardFailed(error, 'visitor_state_changed');

/** Statements storing one derived page of a visitor (run them in one batch, with others). */
export function pageStatements(
  db: D1Database,
  site: string,
  stages: readonly string[],
  w: PageWrite,
  folded: Page,
): D1PreparedStatement[] {
  const { visitor, from, floor } = w;
  const out: D1PreparedStatement[] = [guard(db, site, w)];
  // Rows before the retention horizon stay as they were, even where a state saved before retention ran would change
  // them: a session's last page view, a cart opened before it (its row keeps what it had at the horizon).
  const carts = folded.carts.filter((c) => c.started_at >= floor);
  const page: Page = {
    ...folded,
    carts,
    reopened: carts.some((c) => c.event_id === folded.reopened) ? folded.reopened : null,
    rewrittenViews: folded.rewrittenViews.filter((v) => v.time >= floor),
  };
  const run = (sql: string, ...params: unknown[]) => out.push(db.prepare(sql).bind(site, visitor, ...params));
  const after = fromTime(from);
  const rewritten = withKeys(page.rewrittenViews);
  const views = (sign: 1 | -1) => {
    out.push(pageViewHours(db, site, visitor, after, sign), pageDays(db, site, visitor, after, sign));
    if (page.rewrittenViews.length)
      out.push(pageViewHours(db, site, visitor, rewritten, sign), pageDays(db, site, visitor, rewritten, sign));
  };
  const moves = (sign: 1 | -1) =>
    out.push(entryHours(db, site, visitor, after, sign), pairHours(db, site, visitor, after, sign));

  // Out with the rows from `from` on (later pages add to what the first one left), and with the earlier rows replaced.
  views(-1);
  moves(-1);
  if (w.first) {
    for (const table of ['transitions', 'page_views', 'purchases'] as const)
      run(`DELETE FROM ${TABLE[table]} WHERE site = ?1 AND visitor = ?2 AND time >= ?3`, from);
    run(`DELETE FROM ${TABLE.carts} WHERE site = ?1 AND visitor = ?2 AND started_at >= ?3`, from);
    run(`DELETE FROM ${TABLE.visitor_state} WHERE site = ?1 AND visitor = ?2 AND position > ?3`, from);
    // States from before the horizon are never resumed from again.
    if (floor > NO_TIME)
      run(`DELETE FROM ${TABLE.visitor_state} WHERE site = ?1 AND visitor = ?2 AND position < ?3`, floor);
  }
  if (page.rewrittenViews.length)
    run(`DELETE FROM ${TABLE.page_views} WHERE site = ?1 AND visitor = ?2 AND ${rewritten.where}`, ...rewritten.params);
  if (page.reopened)
    run(`DELETE FROM ${TABLE.carts} WHERE site = ?1 AND visitor = ?2 AND event_id = ?3`, page.reopened);

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
    ];
    // Only what the previous derivation resolved from `from` on may need a reset: a move into the stage it waited for.
    // As events are only ever added, a move into a stage from `from` on stays one (maybe earlier): this is for a tail
    // that lost events (a repair after events were deleted), and costs nothing when no move of the tail could matter.
    const tail = w.first ? w.tail : null;
    const moved = (above: (s: number) => boolean) =>
      tail !== null && [...tail.lastEntry].some(([s, t]) => above(s) && t >= from);
    const resets = [moved((s) => s === stage + 1), moved((s) => s > stage)];
    for (const [i, { column, since, found }] of looks.entries()) {
      if (last < since || (found === null && !resets[i])) continue;
      const range = movesInto(stage, Math.max(since, floor), from);
      out.push(entryHours(db, site, visitor, range, -1));
      run(
        `UPDATE ${TABLE.transitions} SET ${column} = ?6 - time WHERE site = ?1 AND visitor = ?2 AND ${range.where}
            AND (${column} IS NULL OR time + ${column} >= ?5)`,
        ...range.params,
        found,
      );
      out.push(entryHours(db, site, visitor, range, 1));
    }
  }
  // Earlier purchases after the visitor's last page view before the page: their next view.
  if (page.firstView !== null || (w.first && (w.tail?.lastView ?? NO_TIME) >= from))
    run(
      `UPDATE ${TABLE.purchases} SET view_after = ?5 WHERE site = ?1 AND visitor = ?2 AND time >= ?3 AND time < ?4
          AND (view_after IS NULL OR view_after >= ?4)`,
      Math.max(page.before.lastView ?? NO_TIME, floor),
      from,
      page.firstView,
    );
  if (page.cartExits.length)
    run(
      `UPDATE ${TABLE.carts} SET exit_path = x.value ->> 1, exit_stage = x.value ->> 2 FROM json_each(?3) AS x
        WHERE carts.site = ?1 AND carts.visitor = ?2 AND carts.event_id = x.value ->> 0 AND carts.started_at >= ?4`,
      JSON.stringify(page.cartExits.map((c) => [c.event_id, c.path, c.stage])),
      floor,
    );

  // In with the page's rows and the earlier rows it changed.
  const rows: Record<DerivedTable, unknown[][]> = { transitions: [], page_views: [], carts: [], purchases: [] };
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
  for (const table of TABLES) out.push(...inserts(db, table, [...DERIVED[table]], rows[table]));
  views(1);
  moves(1);

  // The state after the page, at a version of our own; saved states no longer worth keeping go.
  out.push(bumpVersion(db, site, visitor));
  run(
    `INSERT OR REPLACE INTO ${TABLE.visitor_state} (site, visitor, position, version, state) VALUES (?1, ?2, ?3, ?4, ?5)`,
    w.position,
    w.version + 1,
    w.state,
  );
  if (w.drop.length)
    run(
      `DELETE FROM ${TABLE.visitor_state} WHERE site = ?1 AND visitor = ?2 AND position IN (SELECT value FROM json_each(?3))`,
      JSON.stringify(w.drop),
    );
  return out;
}

const TABLES = Object.keys(DERIVED) as DerivedTable[];

/**
 * Statements erasing one visitor from a site (run them in one batch): the rollups lose their rows' counts, then every
 * derived row, saved derivation state, mark for the schedule, session, daily count and stored event of theirs goes.
 * So does their derivation counter, and the site's erasure counter goes one up instead: a derivation that read before
 * the erasure cannot write their rows back (see `guard`). The last statement deletes the events: its `changes` is the
 * number of events erased.
 */
export function eraseVisitorStatements(db: D1Database, site: string, visitor: string): D1PreparedStatement[] {
  const all: RowSet = { where: '1', params: [] };
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
    pageViewHours(db, site, visitor, all, -1),
    pageDays(db, site, visitor, all, -1),
    entryHours(db, site, visitor, all, -1),
    pairHours(db, site, visitor, all, -1),
    db
      .prepare(
        `INSERT INTO ${TABLE.site_erasures} (site, erasures) VALUES (?1, 1)
         ON CONFLICT (site) DO UPDATE SET erasures = erasures + 1`,
      )
      .bind(site),
    ...tables.map((table) => db.prepare(`DELETE FROM ${table} WHERE site = ? AND visitor = ?`).bind(site, visitor)),
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
