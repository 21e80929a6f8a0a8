// Retention: raw events older than a site's `retention_days` are deleted, a bounded number per run, while the reports of
// those days stay as they were: their derived rows and rollups are kept, and derivation stops reading before the horizon.
import { FEEDBACK, FORM_ABANDON, FORM_START, FORM_SUBMIT, FRICTION_EVENTS, SURVEY_SHOWN } from '@parcours/protocol';
import { DAY_MS, INDEX, TABLE } from '../db/schema.ts';

/** Rows deleted per statement, and per run over all sites (raw events and saved states). */
const ROWS_PER_DELETE = 1000;
const ROWS_PER_RUN = 20_000;

/**
 * Raw events the forms, friction and satisfaction reports (and the alerts on scores) count themselves (no derived table
 * holds them): kept, or those reports would change for deleted days. They hold no field value, as every event.
 */
const REPORTED_RAW = [FORM_START, FORM_SUBMIT, FORM_ABANDON, ...FRICTION_EVENTS, FEEDBACK, SURVEY_SHOWN]
  .map((t) => `'${t}'`)
  .join(',');

/** The horizon of a site at `now`: the start of the UTC day `days` before. */
export function retentionHorizon(now: number, days: number): number {
  return Math.floor(now / DAY_MS) * DAY_MS - days * DAY_MS;
}

/** Rows a site's deletion removed: the raw events among them, and all of them (what the run's budget counts). */
export interface Deleted {
  events: number;
  rows: number;
}

/** Deletes up to `budget` rows of one site from before its horizon: in the one D1, or in the site's shard. */
export type DeleteBefore = (site: string, horizon: number, budget: number) => Promise<Deleted>;

/** SQL: whether a move of the site `site` (an SQL expression) to another shard count is under way (shard/move.ts). */
const moveUnderWay = (site: string) =>
  `EXISTS (SELECT 1 FROM ${TABLE.shard_moves} AS m WHERE m.site = ${site} AND m.phase != 'done')`;

/**
 * One run of the retention job at `now`: moves every site's horizon (`retained_from`) up to its retention, then deletes
 * raw events and saved states before the horizons, site after site, until the run's budget of rows is spent (the next
 * run goes on). `deleteBefore` deletes where the layout keeps the site's rows (default: this database).
 * Answers the events deleted. The horizon moves before any deletion: derivation reads it with the events, so it never
 * derives from a history that deletion has begun to thin out.
 */
export async function applyRetention(
  db: D1Database,
  now: number,
  deleteBefore: DeleteBefore = (site, horizon, budget) => deleteBeforeHorizon(db, site, horizon, budget),
): Promise<number> {
  const { results: sites } = await db
    .prepare(
      `SELECT id, retention_days AS days, retained_from AS horizon FROM ${TABLE.sites} AS s
        WHERE retention_days IS NOT NULL
          AND NOT ${moveUnderWay('s.id')}
        ORDER BY id`,
    )
    .all<{ id: string; days: number; horizon: number | null }>();
  // Every site's horizon first: derivation of every site stops reading before it, whatever the deletions reach.
  const horizons = new Map<string, number>();
  for (const site of sites) {
    const horizon = Math.max(site.horizon ?? -Infinity, retentionHorizon(now, site.days));
    horizons.set(site.id, horizon);
    if (horizon !== site.horizon) await moveHorizon(db, site.id, horizon);
  }
  // Then the deletions, from a site that turns with each minute's run, so that a large backlog on one site holds back
  // the others for a run at most; the run's budget counts the rows deleted.
  let budget = ROWS_PER_RUN;
  let deleted = 0;
  const first = sites.length ? Math.floor(now / 60_000) % sites.length : 0;
  for (const site of [...sites.slice(first), ...sites.slice(0, first)]) {
    // A move may have started since the list was read (its start checks that no horizon is set, this run's included).
    if (await moving(db, site.id)) continue;
    const gone = await deleteBefore(site.id, horizons.get(site.id)!, budget);
    deleted += gone.events;
    budget -= gone.rows;
    if (budget <= 0) break;
  }
  return deleted;
}

/** Whether a move of the site to another shard count is under way (shard/move.ts): retention leaves it alone then. */
async function moving(db: D1Database, site: string): Promise<boolean> {
  return (
    (await db
      .prepare(`SELECT ${moveUnderWay('?1')} AS moving`)
      .bind(site)
      .first<number>('moving')) === 1
  );
}

/** Moves a site's horizon up to `horizon` (never down). */
export async function moveHorizon(db: D1Database, site: string, horizon: number): Promise<void> {
  await moveHorizonStatement(db, site, horizon).run();
}

/** The statement of moveHorizon, for a batch (a move's copy of rows from before the horizon: src/shard/move-rows.ts). */
export function moveHorizonStatement(db: D1Database, site: string, horizon: number): D1PreparedStatement {
  return db
    .prepare(`UPDATE ${TABLE.sites} SET retained_from = MAX(IFNULL(retained_from, ?2), ?2) WHERE id = ?1`)
    .bind(site, horizon);
}

/** Deletes up to `budget` raw events, then saved states, of `site` from before `horizon`. */
export async function deleteBeforeHorizon(
  db: D1Database,
  site: string,
  horizon: number,
  budget: number,
): Promise<Deleted> {
  let events = 0;
  let rows = 0;
  while (rows < budget) {
    const r = await db
      .prepare(
        `DELETE FROM ${TABLE.events} WHERE seq IN (SELECT seq FROM ${TABLE.events} INDEXED BY ${INDEX.events_site_time}
           WHERE site = ?1 AND time < ?2 AND type NOT IN (${REPORTED_RAW}) LIMIT ?3)`,
      )
      .bind(site, horizon, Math.min(ROWS_PER_DELETE, budget - rows))
      .run();
    events += r.meta.changes;
    rows += r.meta.changes;
    if (r.meta.changes < ROWS_PER_DELETE) break;
  }
  // Saved derivation states from before the horizon: derivation never resumes from them again (it would need the
  // events deleted here), so they go too, a bounded number a run.
  if (rows < budget) {
    const r = await db
      .prepare(
        `DELETE FROM ${TABLE.visitor_state} WHERE (site, visitor, position) IN (SELECT site, visitor, position
           FROM ${TABLE.visitor_state} INDEXED BY ${INDEX.visitor_state_site_position} WHERE site = ?1 AND position < ?2 LIMIT ?3)`,
      )
      .bind(site, horizon, Math.min(ROWS_PER_DELETE, budget - rows))
      .run();
    rows += r.meta.changes;
  }
  return { events, rows };
}
