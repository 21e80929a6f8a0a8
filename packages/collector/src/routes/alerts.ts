// Admin API of alerts: add, list, remove a site's alerts (checked by the schedule, sent to its alert.* webhooks).
import { Hono } from 'hono';
import { newId } from '../auth.ts';
import { ALERT_OPS, type Alert, type AlertOp, deleteAlert, insertAlert, listAlerts } from '../db/alerts.ts';
import { getSite } from '../db/sites.ts';
import { fail, failWithMessage } from '../errors.ts';
import { lowestThreshold, metricText, parseMetric } from '../schedule/alert-metrics.ts';
import { jsonBody, unknownField } from './json-body.ts';

/** Mounted under the admin API (auth and rate limit applied there) at `/sites/:site/alerts`. */
export const alerts = new Hono<{ Bindings: Env }>();

/** Longest window: 30 days. */
const MAX_WINDOW_MINUTES = 43_200;
/** Largest threshold: counts of visitors; rates and relative changes are far below. */
const MAX_THRESHOLD = 1e9;

/** `400 invalid-alert`, saying which field is wrong and what it may be. */
function refuse(message: string): never {
  failWithMessage(400, 'invalid-alert', message);
}

const describe = (a: Alert) => ({
  id: a.id,
  metric: a.metric,
  op: a.op,
  threshold: a.threshold,
  window_minutes: a.window_minutes,
  state: a.state,
  changed_at: a.changed_at,
  last_value: a.last_value,
});

alerts.post('/', async (c) => {
  const body = await jsonBody(c.req, 'invalid-alert');
  const site = await getSite(c.env.DB, c.req.param('site') ?? '');
  if (!site) fail(404, 'not-found');
  const unknown = unknownField(body, ['metric', 'op', 'threshold', 'window_minutes'], 'an alert');
  if (unknown) refuse(unknown);
  const { metric, op, threshold, window_minutes } = body;
  const parsed = parseMetric(metric, site.stages);
  if (!parsed)
    refuse(
      `metric is conversion_rate, abandonment_rate, visitors, entered:<stage> (${site.stages.join(', ')}), exit_rate:<path from />, form_abandon_rate:<form>, nps, csat or ces`,
    );
  if (!(ALERT_OPS as readonly unknown[]).includes(op)) refuse(`op is ${ALERT_OPS.join(', ')}`);
  if (
    typeof threshold !== 'number' ||
    !Number.isFinite(threshold) ||
    threshold < lowestThreshold(parsed) ||
    threshold > MAX_THRESHOLD
  )
    refuse(`threshold is a number from ${lowestThreshold(parsed)} to ${MAX_THRESHOLD}`);
  if (
    !Number.isSafeInteger(window_minutes) ||
    (window_minutes as number) < 1 ||
    (window_minutes as number) > MAX_WINDOW_MINUTES
  )
    refuse(`window_minutes is a whole number from 1 to ${MAX_WINDOW_MINUTES}`);
  const alert = {
    id: newId('al_'),
    site: site.id,
    metric: metricText(parsed),
    op: op as AlertOp,
    threshold,
    window_minutes: window_minutes as number,
    created_at: Date.now(),
  };
  if (!(await insertAlert(c.env.DB, alert))) fail(409, 'too-many-alerts');
  return c.json({ ...describe({ ...alert, state: 'ok', changes: 0, changed_at: null, last_value: null }) }, 201);
});

alerts.get('/', async (c) => {
  const site = await getSite(c.env.DB, c.req.param('site') ?? '');
  if (!site) fail(404, 'not-found');
  return c.json({ alerts: (await listAlerts(c.env.DB, site.id)).map(describe) });
});

alerts.delete('/:id', async (c) => {
  if (!(await deleteAlert(c.env.DB, c.req.param('site') ?? '', c.req.param('id')))) fail(404, 'not-found');
  return c.json({ id: c.req.param('id'), deleted: true });
});
