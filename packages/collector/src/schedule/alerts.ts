// Scheduled job: checks every alert; `alert.triggered` once when its condition starts to hold, `alert.resolved` when it stops.
import { TABLE } from '../db/schema.ts';
import { type Alert, changeStateStatement, lastValueStatement, listAlerts } from '../db/alerts.ts';
import { deliveriesStatement, deliveryKey } from '../db/webhooks.ts';
import { siteStorage } from '../shard/storage.ts';
import { metricUnit, parseMetric } from './alert-metrics.ts';

const MINUTE = 60_000;

/** Whether the condition holds: against the threshold, or against the window before for drops_by / rises_by. */
function holds(a: Alert, value: number, previous: number | null): boolean {
  switch (a.op) {
    case 'above':
      return value > a.threshold;
    case 'below':
      return value < a.threshold;
    // A relative change needs something to change from: an empty previous window compares with nothing.
    case 'drops_by':
      return previous !== null && previous > 0 && (previous - value) / previous >= a.threshold;
    case 'rises_by':
      return previous !== null && previous > 0 && (value - previous) / previous >= a.threshold;
  }
}

/** A number as a chat message shows it: rates as percentages, counts and scores as they are. */
function show(value: number, unit: ReturnType<typeof metricUnit>): string {
  if (unit === 'rate') return `${Math.round(value * 1000) / 10}%`;
  return `${Math.round(value * 100) / 100}${unit === 'percent' ? '%' : ''}`;
}

/** The one-line `text` of a change: what the metric is, and the condition that now holds or no longer does. */
function alertText(
  a: Alert,
  value: number,
  previous: number | null,
  triggered: boolean,
  unit: ReturnType<typeof metricUnit>,
): string {
  const site = a.site;
  const relative = a.op === 'drops_by' || a.op === 'rises_by';
  const condition = relative
    ? `${a.op === 'drops_by' ? 'down' : 'up'} ${Math.round(a.threshold * 100)}% or more from ${show(previous ?? 0, unit)}`
    : `${a.op} ${show(a.threshold, unit)}`;
  const window = `over the last ${a.window_minutes} min`;
  return triggered
    ? `[${site}] ${a.metric} is ${show(value, unit)} ${window}: ${condition}`
    : `[${site}] resolved: ${a.metric} is ${show(value, unit)} ${window}, no longer ${condition}`;
}

/** The alerts job of the schedule, at `now`: every site's alerts, each over its window ending now. */
export async function checkAlerts(env: Pick<Env, 'DB' | 'SHARDS' | 'STORAGE'>, now: number): Promise<void> {
  const db = env.DB;
  const alerts = await listAlerts(db, null);
  if (!alerts.length) return;
  const sites = new Map<string, { stages: string[]; abandon_after: number; shards: number; generation: number }>();
  for (const a of alerts) {
    let site = sites.get(a.site);
    if (!site) {
      const row = await db
        .prepare(
          `SELECT stages, abandon_after, shards, shard_generation AS generation FROM ${TABLE.sites} WHERE id = ?`,
        )
        .bind(a.site)
        .first<{ stages: string; abandon_after: number; shards: number; generation: number }>();
      if (!row) continue;
      site = { ...row, stages: JSON.parse(row.stages) };
      sites.set(a.site, site);
    }
    const metric = parseMetric(a.metric, site.stages);
    if (!metric) continue;
    const reportSite = { id: a.site, stages: site.stages };
    // Read where the site's rows are (the one D1, or its shards); the alert's state and deliveries are in D1.
    const storage = siteStorage(env, { id: a.site, shards: site.shards, generation: site.generation });
    const span = a.window_minutes * MINUTE;
    const value = await storage.metric(reportSite, metric, { from: now - span, to: now, now }, site.abandon_after);
    // A score with no answer in the window says nothing either way: the alert keeps its state until answers come.
    if (value === null) continue;
    const relative = a.op === 'drops_by' || a.op === 'rises_by';
    const previous = relative
      ? await storage.metric(reportSite, metric, { from: now - 2 * span, to: now - span, now }, site.abandon_after)
      : null;
    const triggered = holds(a, value, previous);
    if (triggered === (a.state === 'triggered')) {
      await lastValueStatement(db, a.id, value).run();
      continue;
    }
    const type = triggered ? 'alert.triggered' : 'alert.resolved';
    const body = JSON.stringify({
      type,
      timestamp: new Date(now).toISOString(),
      data: {
        alert_id: a.id,
        metric: a.metric,
        op: a.op,
        threshold: a.threshold,
        window_minutes: a.window_minutes,
        value,
        ...(relative ? { previous } : {}),
        text: alertText(a, value, previous, triggered, metricUnit(metric)),
      },
    });
    // The state change and its deliveries in one transaction; a run that saw the same change makes the same
    // delivery ids (alert, change number), so the second is ignored.
    await db.batch([
      changeStateStatement(db, a, value, now),
      deliveriesStatement(db, a.site, type, await deliveryKey(type, a.id, a.changes + 1), body, now),
    ]);
  }
}
