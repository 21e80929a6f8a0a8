// What a move (move.ts) reads from an old shard and stores in a new one, over a shard's D1-shaped database.
// - A history page: a few visitors whole (or a part of one too large for a page: VisitorPart), as the old shard holds
//   them at one instant: their events, derived rows, sessions (dimensions and facts), saved derivation states,
//   derivation counters, marks and cart claims. The new shard stores them as they are, derives nothing, and adds
//   their rows to its rollups. After retention this is the only
//   way their days before the horizon can move (their raw events are gone, so derivation could not make those rows
//   again), and the saved states make the new shard derive what comes next exactly as the old one would have.
// - An event page: raw events in insertion order (`seq`) with their visitors' sessions (whose dimensions came from a
//   User-Agent and a country that are not stored) and cart claims. The new shard stores the events it lacks and
//   derives them from the states it holds, as ingestion does: what the old shard stored after the history was read.
import {
  DERIVED,
  type DerivedTable,
  EVENT_COLUMNS,
  INDEX,
  isPathField,
  SESSION_FACTS,
  SESSIONS,
  type SessionRow,
  storedColumn,
  TABLE,
} from '../db/schema.ts';
import { ADD_PATHS_SQL, pathTextSql, type EventRow } from '../db/insert-sql.ts';
import { upsertSessionStatements } from '../db/sessions.ts';
import type { Site } from '../db/sites.ts';
import { type DirtyMark, markStatements } from '../derive/dirty.ts';
import { writeThenDerive } from '../derive/index.ts';
import { pageKey } from '../derive/state.ts';
import { inserts, visitorRollups } from '../derive/store.ts';
import { moveHorizonStatement } from '../schedule/retention.ts';
import { storeStatements, utcDay } from '../ingest/store-batch.ts';
import { erasedSince, erasureGuard, readErasures } from '../queue-ingest/erasures.ts';

/** An abandoned-cart claim (`cart_abandonments`): carried with its visitor so a new shard never decides the cart again. */
interface MovedClaim {
  cart_id: string;
  visitor: string;
  abandoned_at: number;
  customer: string | null;
  recovered_at: number | null;
}

/** A page of an old shard's events (each row with its receive time), with what belongs to their visitors. */
export interface MovePage {
  events: Array<{ row: EventRow; received_at: number }>;
  sessions: SessionRow[];
  claims: MovedClaim[];
  /** An event page: the `seq` of its last event, the move's cursor (null for an empty page). */
  last: number | null;
  /** A history page: its visitors' history besides their events and claims. */
  history?: MovedHistory;
}

/** A saved derivation state, its pages keyed by `[stage, path]` (a path's id is its shard's own). */
interface MovedState {
  visitor: string;
  position: number;
  version: number;
  /** The state's JSON (src/derive/state.ts), `lastPathView` as `[[stage, path], time]` entries. */
  state: string;
}

/** A column's value as rows carry it (RPC passes these as they are). */
type Value = string | number | null;

/** The derived tables, and the columns of `sessions` a history carries (the visitor first). */
const DERIVED_TABLES = Object.keys(DERIVED) as DerivedTable[];
const SESSION_COLUMNS = [...SESSIONS.columns, ...SESSION_FACTS];

/** What a history page carries of its visitors besides their events and claims. */
export interface MovedHistory {
  /** The page's visitors (some may have no events left: retention deleted them). */
  visitors: string[];
  /** When the old shard read them: a visitor erased in the new shard since then is not stored. */
  readAt: number;
  /** The old shard's retention horizon (null: none), which the new shard takes: it derives nothing before it. */
  horizon: number | null;
  /** Each derived table's rows as the JSON arrays of its DERIVED columns (site and visitor first, paths as text). */
  rows: Record<DerivedTable, Value[][]>;
  /** Sessions whole (SESSION_COLUMNS): their dimensions and facts. */
  sessions: Value[][];
  states: MovedState[];
  /** Derivation counters, and marks (derivation behind their events). */
  versions: Array<{ visitor: string; version: number }>;
  dirty: DirtyMark[];
  /**
   * Set when the page is a part of one visitor too large for a page (VisitorPart). `first`: none of their derived rows
   * came before it, so the new shard drops what it held of them; with the last come their sessions, states, counter,
   * mark and claims.
   */
  part?: { first: boolean; last: boolean };
}

/**
 * Where a history is inside one visitor too large for a page: the key of the last row sent from their events and from
 * each derived table (absent: none yet), and their derivation counter and the site's erasure counter when the parts
 * began (or began again). Events never change once stored, and later ones come in a later part or in the copy phase.
 * Derived rows do change: when either counter has changed at a later part (derivation rewrote rows, or an erasure
 * ran), their derived rows are read again from the start, so those the new shard keeps are of one state of the visitor.
 */
export interface VisitorPart {
  visitor: string;
  version: number;
  erasures: number;
  keys: Partial<Record<'events' | DerivedTable, Value[]>>;
}

/** The key a visitor's rows are paged by, in each table a part reads (a primary key after site and visitor). */
const PART_KEYS: Record<'events' | DerivedTable, string[]> = {
  events: ['time', 'seq'],
  transitions: ['time', 'event_id'],
  page_views: ['time', 'event_id'],
  carts: ['event_id'],
  purchases: ['time', 'event_id'],
};

/** The part of a history that belongs to these visitors. */
export function historyOf(h: MovedHistory, visitors: Set<string>): MovedHistory {
  const mine = <T>(list: T[], visitor: (x: T) => unknown) => list.filter((x) => visitors.has(visitor(x) as string));
  const rows = Object.fromEntries(DERIVED_TABLES.map((t) => [t, mine(h.rows[t], (r) => r[1])]));
  return {
    ...h,
    visitors: mine(h.visitors, (v) => v),
    rows: rows as MovedHistory['rows'],
    sessions: mine(h.sessions, (s) => s[0]),
    states: mine(h.states, (s) => s.visitor),
    versions: mine(h.versions, (v) => v.visitor),
    dirty: mine(h.dirty, (d) => d.visitor),
  };
}

const EVENT_SELECT = EVENT_COLUMNS.map((c) => (isPathField(c) ? `${pathTextSql('e.path_id')} AS ${c}` : `e.${c}`)).join(
  ', ',
);

const CLAIM_COLUMNS = ['cart_id', 'visitor', 'abandoned_at', 'customer', 'recovered_at'] as const;

/** Up to `limit` of the site's events after `seq` `after`, in insertion order, with their visitors' sessions and claims. */
export async function readMovePage(db: D1Database, site: string, after: number, limit: number): Promise<MovePage> {
  const { results } = await db
    .prepare(
      `SELECT e.seq, e.received_at, ${EVENT_SELECT} FROM ${TABLE.events} AS e
        WHERE e.site = ?1 AND e.seq > ?2 ORDER BY e.seq LIMIT ?3`,
    )
    .bind(site, after, limit)
    .all<EventRow & { seq: number; received_at: number }>();
  if (!results.length) return { events: [], sessions: [], claims: [], last: null };
  const visitors = JSON.stringify([...new Set(results.map((r) => r.visitor))]);
  const [sessions, claims] = await db.batch([
    db
      .prepare(
        `SELECT ${SESSIONS.columns.join(', ')} FROM ${TABLE.sessions}
          WHERE site = ?1 AND visitor IN (SELECT value FROM json_each(?2))`,
      )
      .bind(site, visitors),
    db
      .prepare(
        `SELECT ${CLAIM_COLUMNS.join(', ')} FROM ${TABLE.cart_abandonments}
          WHERE site = ?1 AND visitor IN (SELECT value FROM json_each(?2))`,
      )
      .bind(site, visitors),
  ]);
  return {
    events: results.map(({ seq: _, received_at, ...row }) => ({ row, received_at })),
    sessions: sessions!.results as SessionRow[],
    claims: claims!.results as MovedClaim[],
    last: results[results.length - 1]!.seq,
  };
}

/** A history page as read: the page, the last visitor in it (the move's cursor; null: none left), and the shard's last `seq`. */
export interface HistoryRead {
  page: MovePage;
  /** The last visitor the page ends (a part before a visitor's last: still the one before them). */
  last: string | null;
  /** The page is a part of a visitor with more to come: where their next part starts. */
  part: VisitorPart | null;
  /** The highest `seq` when it was read: every event up to it is in this page or an earlier or later history page. */
  seq: number;
  horizon: number | null;
}

/** Visitors a history page looks at, at most: their sizes are counted before the page takes those that fit. */
const HISTORY_VISITORS = 100;

const forVisitors = (table: string) =>
  `FROM ${table} AS r WHERE r.site = ?1 AND r.visitor IN (SELECT value FROM json_each(?2))`;

const asText = (c: string) => (isPathField(c) ? `${pathTextSql(`r.${storedColumn(c)}`)} AS ${c}` : `r.${c}`);

const values = (r: D1Result<Record<string, unknown>>, columns: readonly string[]) =>
  r.results.map((row) => columns.map((c) => (row[c] ?? null) as Value));

type ReadEvent = EventRow & { seq: number; received_at: number };
const asMoved = (rows: ReadEvent[]) => rows.map(({ seq: _, received_at, ...row }) => ({ row, received_at }));

/**
 * Every table that may hold a visitor of the site: a visitor can have events without a session (ingestion's careful
 * path writes sessions apart, and a failure there keeps the events), or, after retention, rows without events.
 */
const VISITOR_TABLES = [TABLE.events, TABLE.sessions, ...DERIVED_TABLES.map((t) => TABLE[t])];

/**
 * The next visitors of the site after `after` (by id) whole: as many as hold about `limit` events and page views (at
 * least one, at most HISTORY_VISITORS), read at one instant (the shard's storage answers synchronously: no other call
 * runs in between). A visitor holding more than `limit` alone comes in parts (VisitorPart), `limit` rows each; `part`
 * says where the previous page left one.
 */
export async function readHistoryPage(
  db: D1Database,
  site: string,
  after: string,
  limit: number,
  part: VisitorPart | null = null,
): Promise<HistoryRead> {
  const count = Math.min(limit, HISTORY_VISITORS);
  const [top, horizon, counters, ...inTables] = await db.batch<Record<string, unknown>>([
    db.prepare(`SELECT IFNULL(MAX(seq), 0) AS seq FROM ${TABLE.events} WHERE site = ?1`).bind(site),
    db.prepare(`SELECT retained_from AS horizon FROM ${TABLE.sites} WHERE id = ?1`).bind(site),
    countersStatement(db, site, part?.visitor ?? ''),
    // Inside a visitor no other is looked for.
    ...(part ? [] : VISITOR_TABLES).map((t) =>
      db
        .prepare(`SELECT DISTINCT visitor FROM ${t} WHERE site = ?1 AND visitor > ?2 ORDER BY visitor LIMIT ?3`)
        .bind(site, after, count),
    ),
  ]);
  const seq = (top!.results[0] as { seq: number }).seq;
  const retainedFrom = (horizon!.results[0] as { horizon: number | null } | undefined)?.horizon ?? null;
  const read = { seq, horizon: retainedFrom };
  // Inside a visitor: their next part. Their events never change, their derived rows do: when their derivation (or an
  // erasure) ran since the part that read the first of those, these are read again from the start.
  const now = counters!.results[0] as Pick<VisitorPart, 'version' | 'erasures'>;
  if (part) {
    const same = now.version === part.version && now.erasures === part.erasures;
    const from = same ? part : { ...part, ...now, keys: part.keys.events ? { events: part.keys.events } : {} };
    return { ...(await readVisitorPart(db, site, from, limit, after, retainedFrom)), ...read };
  }
  // The first `count` of them all, in SQLite's order of text (the order `visitor > ?2` pages by).
  const found = JSON.stringify(inTables.flatMap((r) => r.results.map((row) => row.visitor)));
  const candidates = await db
    .prepare(
      `SELECT j.visitor,
              (SELECT COUNT(*) FROM ${TABLE.events} INDEXED BY ${INDEX.events_site_visitor_time}
                WHERE site = ?1 AND visitor = j.visitor)
              + (SELECT COUNT(*) FROM ${TABLE.page_views} WHERE site = ?1 AND visitor = j.visitor) AS size
         FROM (SELECT DISTINCT value AS visitor FROM json_each(?2) ORDER BY value LIMIT ?3) AS j ORDER BY j.visitor`,
    )
    .bind(site, found, count)
    .all<{ visitor: string; size: number }>();
  const visitors: string[] = [];
  let size = 0;
  for (const c of candidates.results) {
    if (visitors.length && size + c.size > limit) break;
    visitors.push(c.visitor);
    size += c.size;
  }
  const page: MovePage = { events: [], sessions: [], claims: [], last: null };
  if (!visitors.length) return { page, last: null, part: null, ...read };
  if (size > limit) {
    const [first] = await db.batch<Pick<VisitorPart, 'version' | 'erasures'>>([
      countersStatement(db, site, visitors[0]!),
    ]);
    const start: VisitorPart = { visitor: visitors[0]!, ...first!.results[0]!, keys: {} };
    return { ...(await readVisitorPart(db, site, start, limit, after, retainedFrom)), ...read };
  }
  const list = JSON.stringify(visitors);
  const [events, ...derived] = await db.batch<Record<string, unknown>>(
    [
      `SELECT e.seq, e.received_at, ${EVENT_SELECT} FROM ${TABLE.events} AS e
        WHERE e.site = ?1 AND e.visitor IN (SELECT value FROM json_each(?2)) ORDER BY e.seq`,
      ...DERIVED_TABLES.map((t) => `SELECT ${DERIVED[t].map(asText).join(', ')} ${forVisitors(TABLE[t])}`),
    ].map((sql) => db.prepare(sql).bind(site, list)),
  );
  const rest = await readVisitorsRest(db, site, visitors);
  return {
    page: {
      ...page,
      events: asMoved(events!.results as unknown as ReadEvent[]),
      claims: rest.claims,
      history: {
        ...rest.history,
        horizon: retainedFrom,
        rows: Object.fromEntries(
          DERIVED_TABLES.map((t, i) => [t, values(derived[i]!, DERIVED[t])]),
        ) as MovedHistory['rows'],
      },
    },
    last: visitors[visitors.length - 1]!,
    part: null,
    ...read,
  };
}

/** A visitor's derivation counter and the site's erasure counter (0: none). */
const countersStatement = (db: D1Database, site: string, visitor: string) =>
  db
    .prepare(
      `SELECT IFNULL((SELECT version FROM ${TABLE.visitor_versions} WHERE site = ?1 AND visitor = ?2), 0) AS version,
              IFNULL((SELECT erasures FROM ${TABLE.site_erasures} WHERE site = ?1), 0) AS erasures`,
    )
    .bind(site, visitor);

/** What a history carries of these visitors besides their events and derived rows: claims, sessions, states, counters, marks. */
async function readVisitorsRest(db: D1Database, site: string, visitors: string[]) {
  const list = JSON.stringify(visitors);
  const [claims, sessions, states, versions, dirty] = await db.batch<Record<string, unknown>>(
    [
      `SELECT ${CLAIM_COLUMNS.map((c) => `r.${c}`).join(', ')} ${forVisitors(TABLE.cart_abandonments)}`,
      `SELECT ${SESSION_COLUMNS.map((c) => `r.${c}`).join(', ')} ${forVisitors(TABLE.sessions)}`,
      `SELECT r.visitor, r.position, r.version, r.state ${forVisitors(TABLE.visitor_state)}`,
      `SELECT r.visitor, r.version ${forVisitors(TABLE.visitor_versions)}`,
      `SELECT r.visitor, r.since ${forVisitors(TABLE.dirty_visitors)}`,
    ].map((sql) => db.prepare(sql).bind(site, list)),
  );
  const saved = states!.results as Array<{ visitor: string; position: number; version: number; state: string }>;
  return {
    claims: claims!.results as unknown as MovedClaim[],
    history: {
      visitors,
      readAt: Date.now(),
      sessions: values(sessions!, SESSION_COLUMNS),
      states: await withPathTexts(db, saved),
      versions: versions!.results as MovedHistory['versions'],
      dirty: dirty!.results as unknown as DirtyMark[],
    },
  };
}

/**
 * The next part of one visitor: up to `limit` rows of their events, then of each derived table, in key order from where
 * `part` left each; the last part (the one that reads fewer than `limit`) brings the rest of their history too.
 */
async function readVisitorPart(
  db: D1Database,
  site: string,
  part: VisitorPart,
  limit: number,
  after: string,
  horizon: number | null,
): Promise<Pick<HistoryRead, 'page' | 'last' | 'part'>> {
  const keys = { ...part.keys };
  const rows = Object.fromEntries(DERIVED_TABLES.map((t) => [t, []])) as unknown as MovedHistory['rows'];
  let events: ReadEvent[] = [];
  let left = limit;
  for (const source of ['events', ...DERIVED_TABLES] as const) {
    if (left === 0) break;
    const key = PART_KEYS[source];
    const isEvents = source === 'events';
    const a = isEvents ? 'e' : 'r';
    const from = isEvents
      ? `${TABLE.events} AS e INDEXED BY ${INDEX.events_site_visitor_time}`
      : `${TABLE[source]} AS r`;
    const select = isEvents ? `e.seq, e.received_at, ${EVENT_SELECT}` : DERIVED[source].map(asText).join(', ');
    const tuple = (list: string[]) => `(${list.join(', ')})`;
    // After the cursor, a plain comparison of the key (an `?3 IS NULL OR …` would keep SQLite from seeking to it, so
    // that each part read the visitor's rows from their first).
    const pastCursor = keys[source]
      ? ` AND ${tuple(key.map((c) => `${a}.${c}`))} > ${tuple(key.map((_, i) => `?3 ->> ${i}`))}`
      : ' AND ?3 IS NULL';
    const result = await db
      .prepare(
        `SELECT ${select} FROM ${from} WHERE ${a}.site = ?1 AND ${a}.visitor = ?2${pastCursor}
         ORDER BY ${key.map((c) => `${a}.${c}`).join(', ')} LIMIT ?4`,
      )
      .bind(site, part.visitor, keys[source] ? JSON.stringify(keys[source]) : null, left)
      .all<Record<string, unknown>>();
    if (!result.results.length) continue;
    left -= result.results.length;
    const lastRow = result.results[result.results.length - 1]!;
    keys[source] = key.map((c) => (lastRow[c] ?? null) as Value);
    if (source === 'events') events = result.results as unknown as ReadEvent[];
    else rows[source] = values(result, DERIVED[source]);
  }
  // Fewer than `limit` read: nothing of the visitor is left after this part.
  const last = left > 0;
  const rest = last ? await readVisitorsRest(db, site, [part.visitor]) : null;
  return {
    page: {
      events: asMoved(events),
      sessions: [],
      claims: rest?.claims ?? [],
      last: null,
      history: {
        visitors: [part.visitor],
        readAt: Date.now(),
        sessions: [],
        states: [],
        versions: [],
        dirty: [],
        ...rest?.history,
        horizon,
        rows,
        part: { first: DERIVED_TABLES.every((t) => !part.keys[t]), last },
      },
    },
    last: last ? part.visitor : after,
    part: last ? null : { ...part, keys },
  };
}

/** A state's `lastPathView` entries, `[key, time]`, with each key as `stage path` (pageKey) of a path's id. */
type PathViews = Array<[string | [number, string], number]>;

/** Saved states with their pages keyed by path text instead of this shard's path ids (MovedState). */
async function withPathTexts(
  db: D1Database,
  saved: Array<{ visitor: string; position: number; version: number; state: string }>,
): Promise<MovedState[]> {
  const parsed = saved.map((s) => ({ ...s, json: JSON.parse(s.state) as { lastPathView: PathViews } }));
  const ids = new Set(parsed.flatMap((s) => s.json.lastPathView.map(([key]) => Number(String(key).split(' ')[1]))));
  const { results } = await db
    .prepare(`SELECT id, path FROM ${TABLE.paths} WHERE id IN (SELECT value FROM json_each(?1))`)
    .bind(JSON.stringify([...ids]))
    .all<{ id: number; path: string }>();
  const texts = new Map(results.map((r) => [r.id, r.path]));
  return parsed.map(({ json, ...s }) => {
    json.lastPathView = json.lastPathView.map(([key, time]) => {
      const [stage, id] = String(key).split(' ').map(Number);
      return [[stage!, texts.get(id!)!], time];
    });
    return { ...s, state: JSON.stringify(json) };
  });
}

/**
 * Writes replacing these visitors' history (not their events) with a history page's: their rows, sessions, states,
 * counters and marks, their rows counted in the rollups, and the old shard's retention horizon. Paths are added to this
 * shard's dictionary first (a statement of its own: a path holds no visitor), so that the states can name their ids.
 */
async function historyWrites(db: D1Database, site: string, h: MovedHistory): Promise<D1PreparedStatement[]> {
  const texts = new Set<string>();
  for (const t of DERIVED_TABLES)
    DERIVED[t].forEach((c, i) => {
      if (isPathField(c)) for (const row of h.rows[t]) if (row[i] !== null) texts.add(row[i] as string);
    });
  const states = h.states.map((s) => ({ ...s, json: JSON.parse(s.state) as { lastPathView: PathViews } }));
  for (const s of states) for (const [key] of s.json.lastPathView) texts.add((key as [number, string])[1]);
  const paths = JSON.stringify([...texts]);
  await db.prepare(ADD_PATHS_SQL).bind(site, paths).run();
  const { results } = await db
    .prepare(`SELECT id, path FROM ${TABLE.paths} WHERE site = ?1 AND path IN (SELECT value FROM json_each(?2))`)
    .bind(site, paths)
    .all<{ id: number; path: string }>();
  const ids = new Map(results.map((r) => [r.path, r.id]));
  for (const s of states)
    s.json.lastPathView = s.json.lastPathView.map(([key, time]) => {
      const [stage, path] = key as [number, string];
      return [pageKey(stage, ids.get(path)!), time];
    });
  const visitors = JSON.stringify(h.visitors);
  // A visitor in parts: their derived rows go with the first part only (the later ones add to them), the rest is
  // replaced at every part and comes with the last one.
  const first = h.part?.first ?? true;
  const last = h.part?.last ?? true;
  const theirs = [
    ...(first ? DERIVED_TABLES.map((t) => TABLE[t]) : []),
    TABLE.sessions,
    TABLE.visitor_state,
    TABLE.visitor_versions,
    TABLE.dirty_visitors,
  ].map((table) =>
    db
      .prepare(`DELETE FROM ${table} WHERE site = ?1 AND visitor IN (SELECT value FROM json_each(?2))`)
      .bind(site, visitors),
  );
  // A page stored again replaces what it stored, and a visitor's part adds to what their earlier parts stored: the
  // rollups lose the counts of every row the visitors have here first, and get them back once the page's are in (for
  // a visitor of many parts each part recounts all their rows: quadratic in their size, see docs/PROTOCOL.md).
  const changed = (sign: 1 | -1) => visitorRollups(db, site, h.visitors, sign);
  return [
    ...changed(-1),
    ...theirs,
    // A part stored again (a step cut after it was stored) finds its rows there already: the same rows again.
    ...DERIVED_TABLES.flatMap((t) => inserts(db, TABLE[t], DERIVED[t], h.rows[t], 'INSERT OR REPLACE')),
    ...changed(1),
    ...(last
      ? [
          ...inserts(
            db,
            TABLE.sessions,
            ['site', ...SESSION_COLUMNS],
            h.sessions.map((s) => [site, ...s]),
          ),
          ...inserts(
            db,
            TABLE.visitor_state,
            ['site', 'visitor', 'position', 'version', 'state'],
            states.map((s) => [site, s.visitor, s.position, s.version, JSON.stringify(s.json)]),
          ),
          ...inserts(
            db,
            TABLE.visitor_versions,
            ['site', 'visitor', 'version'],
            h.versions.map((v) => [site, v.visitor, v.version]),
          ),
          ...markStatements(db, site, h.dirty),
        ]
      : []),
    ...(h.horizon === null ? [] : [moveHorizonStatement(db, site, h.horizon)]),
  ];
}

/** Deletes the site's events up to `seq` `through` (a page the move has stored in the new shards). */
export async function deleteMovedThrough(db: D1Database, site: string, through: number): Promise<void> {
  await db.prepare(`DELETE FROM ${TABLE.events} WHERE site = ?1 AND seq <= ?2`).bind(site, through).run();
}

const utf8 = new TextEncoder();

const sessionKey = (r: { visitor: string; session: string }) => JSON.stringify([r.visitor, r.session]);

/**
 * Stores a page (or its part for this shard) and derives the visitors it brought: each event id once (a page copied
 * again stores nothing again), none of a visitor erased in this shard after the event was received (an erasure during
 * the move reaches both generations: a page read before it must not bring the visitor back), their sessions'
 * dimensions and cart claims. The events count in the usage of the day they were received (a shard's quota counts what
 * it holds). Answers the events newly stored; throws when the write failed (nothing of it was stored).
 */
export async function storeMovePage(
  db: D1Database,
  site: Pick<Site, 'id' | 'stages'>,
  page: MovePage,
): Promise<number> {
  const ids = JSON.stringify(page.events.map((e) => e.row.id));
  const known = await db
    .prepare(`SELECT id FROM ${TABLE.events} WHERE site = ?1 AND id IN (SELECT value FROM json_each(?2))`)
    .bind(site.id, ids)
    .all<{ id: string }>();
  const stored = new Set(known.results.map((r) => r.id));
  const byReceived = new Map<number, EventRow[]>();
  for (const { row, received_at } of page.events)
    if (!stored.has(row.id)) byReceived.set(received_at, [...(byReceived.get(received_at) ?? []), row]);
  const erasures = await readErasures(db, site.id);
  const writes = [erasureGuard(db, site.id, erasures)];
  const fresh: EventRow[] = [];
  const erased = new Set<string>();
  for (const [receivedAt, rows] of [...byReceived].sort(([a], [b]) => a - b)) {
    const gone = await erasedSince(
      erasures,
      rows.map((r) => r.visitor),
      receivedAt,
    );
    for (const v of gone) erased.add(v);
    const kept = rows.filter((r) => !gone.has(r.visitor));
    if (!kept.length) continue;
    fresh.push(...kept);
    const part = storeStatements(db, site.id, {
      day: utcDay(receivedAt),
      receivedAt,
      rows: kept,
      counted: kept.map((r) => ({ id: r.id, visitor: r.visitor, bytes: utf8.encode(r.data).length })),
      sessions: [],
      dropped: 0,
    });
    writes.push(...part.counters, ...part.paths, ...part.inserts, ...part.afterInsert);
  }
  // An erased visitor's sessions and claims come only with events of theirs this shard keeps (sent after the erasure).
  const kept = new Set(
    page.events
      .filter(({ row }) => !erased.has(row.visitor) || stored.has(row.id) || fresh.includes(row))
      .map(({ row }) => sessionKey(row)),
  );
  const sessions = page.sessions.filter((s) => !erased.has(s.visitor) || kept.has(sessionKey(s)));
  // A history's visitors erased here since it was read: none of it is stored.
  const history = page.history && (await erasedSince(erasures, page.history.visitors, page.history.readAt));
  for (const v of history ?? []) erased.add(v);
  const claims = page.claims.filter((c) => !erased.has(c.visitor));
  writes.push(...upsertSessionStatements(db, site.id, sessions));
  if (claims.length)
    writes.push(
      db
        .prepare(
          `INSERT INTO ${TABLE.cart_abandonments} (site, ${CLAIM_COLUMNS.join(', ')})
           SELECT ?1, ${CLAIM_COLUMNS.map((_, i) => `json_extract(c.value, '$[${i}]')`).join(', ')}
             FROM json_each(?2) AS c WHERE true
           ON CONFLICT (site, cart_id) DO UPDATE SET recovered_at = IFNULL(recovered_at, excluded.recovered_at)`,
        )
        .bind(site.id, JSON.stringify(claims.map((c) => CLAIM_COLUMNS.map((k) => c[k])))),
    );
  if (page.history) {
    // Stored as the old shard derived it: nothing to derive.
    const kept = page.history.visitors.filter((v) => !erased.has(v));
    const h = historyOf(page.history, new Set(kept));
    await db.batch([...writes, ...(kept.length ? await historyWrites(db, site.id, h) : [])]);
    return fresh.length;
  }
  const results = await writeThenDerive(db, site, writes, fresh);
  if (!results) throw new Error('the write of a moved page failed');
  return fresh.length;
}
