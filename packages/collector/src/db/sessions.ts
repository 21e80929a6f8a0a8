// Sessions' dimensions into D1: one candidate per session of a batch, kept when it ranks before the stored one.
import { PAGE_VIEW, type WireEvent } from '@parcours/protocol';
import { chunk } from '../derive/store.ts';
import { type RequestTraits, sessionDimensions } from '../dimensions/session-dimensions.ts';
import type { EventRow } from './insert-sql.ts';
import { SESSIONS, type SessionRow } from './schema.ts';

/** Candidate rows per statement: one bound JSON parameter each, far below D1's statement size. */
const ROWS_PER_STATEMENT = 100;

const cols = SESSIONS.columns;

/**
 * Upserts of these candidates: a session's row is the one of its first page view (else first event),
 * ranked by (from_view desc, started_at, first_event), so the result depends only on which events
 * are stored, never on the order their batches arrived in.
 */
const UPSERT_SQL = `INSERT INTO ${SESSIONS.table} (site, ${cols.join(', ')})
SELECT ?1, ${cols.map((_, i) => `json_extract(r.value, '$[${i}]')`).join(', ')} FROM json_each(?2) AS r WHERE true
ON CONFLICT (${SESSIONS.key.join(', ')}) DO UPDATE SET ${cols
  .slice(2)
  .map((c) => `${c} = excluded.${c}`)
  .join(', ')}
WHERE excluded.from_view > ${SESSIONS.table}.from_view
   OR (excluded.from_view = ${SESSIONS.table}.from_view AND (excluded.started_at < ${SESSIONS.table}.started_at
       OR (excluded.started_at = ${SESSIONS.table}.started_at AND excluded.first_event < ${SESSIONS.table}.first_event)))`;

/** Statements storing these candidates (run them in the batch that inserts their events). */
export function upsertSessionStatements(db: D1Database, site: string, rows: SessionRow[]): D1PreparedStatement[] {
  return chunk(rows, ROWS_PER_STATEMENT).map((part) =>
    db.prepare(UPSERT_SQL).bind(site, JSON.stringify(part.map((r) => cols.map((c) => r[c])))),
  );
}

/** The fields that rank a session's candidate events. */
interface Rankable {
  visitor: string;
  session: string;
  type: string;
  time: number;
  id: string;
}

/** Whether `a` ranks before `b` as the event fixing its session's dimensions: a page view, then the earliest, then the lowest id. */
function ranksBefore(a: Rankable, b: Rankable): boolean {
  const av = a.type === PAGE_VIEW ? 1 : 0;
  const bv = b.type === PAGE_VIEW ? 1 : 0;
  return av > bv || (av === bv && (a.time < b.time || (a.time === b.time && a.id < b.id)));
}

/** Per session among these events, the one that fixes its dimensions as far as this batch knows. */
function sessionOpeners<T extends Rankable>(events: T[]): T[] {
  const best = new Map<string, T>();
  for (const e of events) {
    const key = JSON.stringify([e.visitor, e.session]);
    const b = best.get(key);
    if (!b || ranksBefore(e, b)) best.set(key, e);
  }
  return [...best.values()];
}

/**
 * The candidate rows of `sessions` for these stored events: per session, its first page view here (else first event)
 * with the request's User-Agent families and country. The stored row keeps the first across batches.
 */
export function sessionCandidates(
  stored: Array<EventRow & { event: WireEvent }>,
  request: RequestTraits,
): SessionRow[] {
  return sessionOpeners(stored).map((e) => ({
    visitor: e.visitor,
    session: e.session,
    started_at: e.time,
    first_event: e.id,
    from_view: e.type === PAGE_VIEW ? (1 as const) : (0 as const),
    ...sessionDimensions(e.event, e.path, request),
  }));
}
