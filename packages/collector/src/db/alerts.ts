// Alerts: plain functions over D1, no HTTP.
import { TABLE } from './schema.ts';

/** Comparisons an alert can make: with a threshold, or with the window before (`drops_by` / `rises_by`, a fraction). */
export const ALERT_OPS = ['above', 'below', 'drops_by', 'rises_by'] as const;
export type AlertOp = (typeof ALERT_OPS)[number];

export interface Alert {
  id: string;
  site: string;
  metric: string;
  op: AlertOp;
  threshold: number;
  window_minutes: number;
  created_at: number;
  state: 'ok' | 'triggered';
  changes: number;
  changed_at: number | null;
  last_value: number | null;
}

/** Most alerts per site: each costs a report query every minute. */
const MAX_ALERTS_PER_SITE = 20;

/** Stores an alert unless the site has MAX_ALERTS_PER_SITE; false then. */
export async function insertAlert(
  db: D1Database,
  a: Pick<Alert, 'id' | 'site' | 'metric' | 'op' | 'threshold' | 'window_minutes' | 'created_at'>,
): Promise<boolean> {
  const r = await db
    .prepare(
      `INSERT INTO ${TABLE.alerts} (id, site, metric, op, threshold, window_minutes, created_at)
       SELECT ?, ?, ?, ?, ?, ?, ? WHERE (SELECT COUNT(*) FROM ${TABLE.alerts} WHERE site = ?2) < ?8`,
    )
    .bind(a.id, a.site, a.metric, a.op, a.threshold, a.window_minutes, a.created_at, MAX_ALERTS_PER_SITE)
    .run();
  return r.meta.changes === 1;
}

/** A site's alerts (every site's when `site` is null), oldest first. */
export async function listAlerts(db: D1Database, site: string | null): Promise<Alert[]> {
  const { results } = await db
    .prepare(`SELECT * FROM ${TABLE.alerts} WHERE ?1 IS NULL OR site = ?1 ORDER BY site, created_at, id`)
    .bind(site)
    .all<Alert>();
  return results;
}

export async function deleteAlert(db: D1Database, site: string, id: string): Promise<boolean> {
  const r = await db.prepare(`DELETE FROM ${TABLE.alerts} WHERE site = ? AND id = ?`).bind(site, id).run();
  return r.meta.changes === 1;
}

/**
 * The statement moving an alert from `from` to the other state, only if it is still in `from` with `changes` changes:
 * of overlapping runs that saw the same change, one moves it.
 */
export function changeStateStatement(db: D1Database, a: Alert, value: number, now: number): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE ${TABLE.alerts} SET state = ?1, changes = changes + 1, changed_at = ?2, last_value = ?3
        WHERE id = ?4 AND state = ?5 AND changes = ?6`,
    )
    .bind(a.state === 'ok' ? 'triggered' : 'ok', now, value, a.id, a.state, a.changes);
}

/** Records the value of a check that changed nothing. */
export function lastValueStatement(db: D1Database, id: string, value: number): D1PreparedStatement {
  return db.prepare(`UPDATE ${TABLE.alerts} SET last_value = ? WHERE id = ?`).bind(value, id);
}
