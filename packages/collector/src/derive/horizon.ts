// Derivation after retention: a visitor's state at the site's retention horizon (`retained_from`), read from their
// derived rows before it, since the raw events before it may be deleted. Derivation starts from this state when it has no
// saved state (visitor_state) at or after the horizon to resume from; the rows before the horizon stay as they were.
import { TABLE } from '../db/schema.ts';
import { freshSession, freshState, pageKey, type VisitorState } from './state.ts';
import { chunk } from './store.ts';

const D1_PARAMS = 100;
/** A session spanning the horizon: its views in this window before it are looked up (sessions end after 30 minutes idle). */
const SESSION_LOOKBACK_MS = 86_400_000;

const max = (a: number | null | undefined, b: number) => (a === null || a === undefined || b > a ? b : a);

/**
 * Each visitor's state at `horizon` (ms), read from their derived rows before it: five grouped reads per 98 visitors.
 * What the rows do not tell is left out: no session's last page view (those rows are not rewritten), no open cart (its
 * items were in deleted events: the next cart event opens a new one), no transaction ids (a resend is counted again).
 */
export async function loadBefore(
  db: D1Database,
  site: string,
  visitors: string[],
  horizon: number,
): Promise<Map<string, VisitorState>> {
  const out = new Map<string, VisitorState>(visitors.map((v) => [v, freshState()]));
  const statements = chunk(visitors, D1_PARAMS - 2).flatMap((part) => {
    const marks = part.map((_, i) => `?${i + 3}`).join(',');
    const where = `site = ?1 AND visitor IN (${marks}) AND time < ?2`;
    return [
      `SELECT 'pair' AS kind, visitor, from_index AS a, to_index AS b, MAX(time) AS t, event_id AS id
         FROM ${TABLE.transitions} WHERE ${where} GROUP BY visitor, from_index, to_index`,
      `SELECT 'view' AS kind, visitor, stage_index AS a, path_id AS b, MAX(time) AS t, NULL AS id
         FROM ${TABLE.page_views} WHERE ${where} GROUP BY visitor, stage_index, path_id`,
      `SELECT 'session' AS kind, visitor, stage_index AS a, session AS b, MAX(time) AS t, COUNT(*) AS id
         FROM ${TABLE.page_views} WHERE ${where} AND time >= ?2 - ${SESSION_LOOKBACK_MS} GROUP BY visitor, session`,
      `SELECT 'purchase' AS kind, visitor, COUNT(*) AS a, NULL AS b, MAX(time) AS t, NULL AS id
         FROM ${TABLE.purchases} WHERE ${where} GROUP BY visitor`,
      // Moves after the visitor's last purchase (the decision clock): none at or after them in (time, event id) order.
      `SELECT 'entered' AS kind, visitor, to_index AS a, NULL AS b, MIN(time) AS t, NULL AS id FROM ${TABLE.transitions} AS m
        WHERE ${where} AND NOT EXISTS (SELECT 1 FROM ${TABLE.purchases} AS p WHERE p.site = m.site AND p.visitor = m.visitor
              AND p.time < ?2 AND (p.time > m.time OR (p.time = m.time AND p.event_id >= m.event_id)))
        GROUP BY visitor, to_index`,
    ].map((sql) => db.prepare(sql).bind(site, horizon, ...part));
  });
  type Row = { kind: string; visitor: string; a: number | null; b: string | number | null; t: number; id: unknown };
  const results = await db.batch<Row>(statements);
  const lastMoveId = new Map<string, string>();
  for (const { results: rows } of results)
    for (const r of rows) {
      const s = out.get(r.visitor);
      if (!s) continue;
      if (r.kind === 'pair') {
        const to = Number(r.b);
        s.lastPair.set(`${r.a} ${to}`, r.t);
        s.lastEntry.set(to, max(s.lastEntry.get(to), r.t));
        // The last move: latest time, then highest event id, as the walk orders events.
        const id = String(r.id);
        if (s.lastMove === null || r.t > s.lastMove || (r.t === s.lastMove && id > (lastMoveId.get(r.visitor) ?? ''))) {
          s.lastMove = r.t;
          s.current = to;
          lastMoveId.set(r.visitor, id);
        }
      } else if (r.kind === 'view') {
        const stage = r.a!;
        s.lastPathView.set(pageKey(stage, Number(r.b)), r.t);
        s.lastStageView.set(stage, max(s.lastStageView.get(stage), r.t));
        s.lastView = max(s.lastView, r.t);
      } else if (r.kind === 'session')
        // Views are counted up to 2 (entry, bounce); the session's page is that of its last view.
        s.sessions.set(String(r.b), { ...freshSession(), page: r.a!, views: Math.min(2, Number(r.id)) });
      else if (r.kind === 'purchase') {
        s.purchases = r.a ?? 0;
        s.lastPurchase = r.t;
      } else s.entered.set(r.a!, r.t);
    }
  return out;
}
