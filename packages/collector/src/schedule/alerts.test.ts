// Alerts: the admin API, and the schedule sending alert.triggered once when a condition starts to hold, alert.resolved when it stops.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { SatisfactionReport } from '@parcours/protocol';
import { ADMIN, call, registerSite } from '../../test/helpers.ts';
import { report, send, wire } from '../../test/test-support.ts';
import { createReceiver, leaveCart, playQueue, registerWebhook } from '../../test/webhook-support.ts';
import { checkAlerts } from './alerts.ts';

const MINUTE = 60_000;
const json = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };

function addAlert(site: string, body: unknown) {
  return call(`/v1/admin/sites/${site}/alerts`, { method: 'POST', headers: json, body: JSON.stringify(body) });
}

/** `n` visitors each viewing the home page at `at`. */
async function visits(site: string, n: number, at: number) {
  const events = Array.from({ length: n }, (_, i) =>
    wire({
      type: 'page_view',
      ts: at + i,
      stage: 'awareness',
      visitor: `v-${crypto.randomUUID().slice(0, 8)}`,
      session: `s-${crypto.randomUUID().slice(0, 8)}`,
      path: '/',
    }),
  );
  await send(site, events);
}

/** One NPS answer per score, each from its own visitor, at `at`. */
async function npsAnswers(site: string, scores: number[], at: number) {
  const events = scores.map((score, i) =>
    wire({
      type: 'feedback',
      ts: at + i,
      stage: 'retention',
      visitor: `v-${crypto.randomUUID().slice(0, 8)}`,
      session: `s-${crypto.randomUUID().slice(0, 8)}`,
      path: '/account',
      kind: 'nps',
      score,
    }),
  );
  await send(site, events);
}

async function alertsDelivered(site: string, secret: string, now: number) {
  const clock = { now };
  const receiver = createReceiver(secret, clock, () => 200);
  await playQueue(clock, receiver.fetch, { site });
  expect(receiver.received.every((r) => r.verified)).toBe(true);
  return receiver.received.map((r) => JSON.parse(r.body) as { type: string; data: Record<string, unknown> });
}

describe('alerts', () => {
  it('are registered with a metric the contract lists, an op, a threshold and a window; anything else is 400', async () => {
    const site = await registerSite();
    const ok = await addAlert(site.id, { metric: 'entered:decision', op: 'below', threshold: 5, window_minutes: 60 });
    expect(ok.status).toBe(201);
    // NPS is in points from −100: a negative threshold is the one it takes.
    const nps = await addAlert(site.id, { metric: 'nps', op: 'below', threshold: -20, window_minutes: 60 });
    expect(nps.status).toBe(201);
    const bad = [
      { metric: 'entered:nowhere', op: 'below', threshold: 5, window_minutes: 60 },
      { metric: 'revenue', op: 'below', threshold: 5, window_minutes: 60 },
      { metric: 'exit_rate:no-slash', op: 'above', threshold: 0.5, window_minutes: 60 },
      { metric: 'visitors', op: 'equals', threshold: 5, window_minutes: 60 },
      { metric: 'visitors', op: 'above', threshold: -1, window_minutes: 60 },
      { metric: 'visitors', op: 'above', threshold: '5', window_minutes: 60 },
      { metric: 'visitors', op: 'above', threshold: 5, window_minutes: 0 },
      { metric: 'visitors', op: 'above', threshold: 5, window_minutes: 1.5 },
      { metric: 'visitors', op: 'above', threshold: 5 },
      { metric: 'csat', op: 'below', threshold: -1, window_minutes: 60 },
      { metric: 'nps', op: 'below', threshold: -101, window_minutes: 60 },
      { metric: 'nps:x', op: 'below', threshold: 0, window_minutes: 60 },
      { metric: 'visitors', op: 'above', threshold: 5, window_minutes: 60, windows: 2 },
    ];
    const said: string[] = [];
    for (const body of bad) {
      const res = await addAlert(site.id, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const refusal = (await res.json()) as { error: string; message: string };
      expect(refusal.error).toBe('invalid-alert');
      said.push(refusal.message);
    }
    // Each refusal says which field is wrong and what it may be.
    expect(said.slice(0, 4)).toEqual([
      ...Array(3).fill(
        'metric is conversion_rate, abandonment_rate, visitors, entered:<stage> (awareness, consideration, decision, retention, advocacy), exit_rate:<path from />, form_abandon_rate:<form>, nps, csat or ces',
      ),
      'op is above, below, drops_by, rises_by',
    ]);
    expect(said.slice(4, 9)).toEqual([
      'threshold is a number from 0 to 1000000000',
      'threshold is a number from 0 to 1000000000',
      'window_minutes is a whole number from 1 to 43200',
      'window_minutes is a whole number from 1 to 43200',
      'window_minutes is a whole number from 1 to 43200',
    ]);
    expect(said[10]).toBe('threshold is a number from -100 to 1000000000');
    // A field it does not read is refused, as site config and webhooks refuse theirs.
    expect(said[12]).toBe('no field windows: an alert has metric, op, threshold, window_minutes');
    const list = (await (await call(`/v1/admin/sites/${site.id}/alerts`, { headers: json })).json()) as {
      alerts: Array<{ metric: string; state: string }>;
    };
    expect(list.alerts.map((a) => [a.metric, a.state])).toEqual([
      ['entered:decision', 'ok'],
      ['nps', 'ok'],
    ]);
  });

  it('sends alert.triggered once while the condition holds, even from overlapping runs, then alert.resolved once', async () => {
    const site = await registerSite();
    const hook = await registerWebhook(site.id, ['alert.triggered', 'alert.resolved']);
    await addAlert(site.id, { metric: 'visitors', op: 'above', threshold: 2, window_minutes: 60 });
    const now = Date.now();
    await visits(site.id, 3, now - 10 * MINUTE);

    await Promise.all([checkAlerts(env, now), checkAlerts(env, now), checkAlerts(env, now + 1000)]);
    await checkAlerts(env, now + MINUTE);
    const triggered = await alertsDelivered(site.id, hook.secret, now + MINUTE);
    expect(triggered).toEqual([
      {
        type: 'alert.triggered',
        timestamp: new Date(now).toISOString(),
        data: {
          alert_id: expect.stringMatching(/^al_/),
          metric: 'visitors',
          op: 'above',
          threshold: 2,
          window_minutes: 60,
          value: 3,
          text: `[${site.id}] visitors is 3 over the last 60 min: above 2`,
        },
      },
    ]);
    // An hour later the visits left the window: resolved, once.
    await Promise.all([checkAlerts(env, now + 90 * MINUTE), checkAlerts(env, now + 90 * MINUTE)]);
    await checkAlerts(env, now + 91 * MINUTE);
    const resolved = await alertsDelivered(site.id, hook.secret, now + 91 * MINUTE);
    expect(resolved.map((b) => [b.type, b.data.value, b.data.text])).toEqual([
      ['alert.resolved', 0, `[${site.id}] resolved: visitors is 0 over the last 60 min, no longer above 2`],
    ]);
  });

  it('rates show as percentages, and drops_by compares with the window before', async () => {
    const site = await registerSite();
    const hook = await registerWebhook(site.id, ['alert.triggered']);
    await addAlert(site.id, { metric: 'abandonment_rate', op: 'above', threshold: 0.5, window_minutes: 600 });
    await addAlert(site.id, { metric: 'visitors', op: 'drops_by', threshold: 0.5, window_minutes: 60 });
    const now = Date.now();
    await visits(site.id, 4, now - 90 * MINUTE);
    await visits(site.id, 1, now - 10 * MINUTE);
    await leaveCart(site.id, { at: now - 200 * MINUTE });
    await checkAlerts(env, now);
    const texts = (await alertsDelivered(site.id, hook.secret, now)).map((b) => b.data.text).sort();
    expect(texts).toEqual([
      `[${site.id}] abandonment_rate is 100% over the last 600 min: above 50%`,
      // The cart's visitor viewed pages over 3 h ago, outside both windows: 4 visitors before, 1 now.
      `[${site.id}] visitors is 1 over the last 60 min: down 50% or more from 4`,
    ]);
  });

  it('refuses an exit_rate path longer than 300 characters as stored, percent-encoded', async () => {
    const site = await registerSite();
    // 101 characters as typed, 601 stored: each é is %C3%A9.
    const long = await addAlert(site.id, {
      metric: `exit_rate:/${'é'.repeat(100)}`,
      op: 'above',
      threshold: 0.5,
      window_minutes: 60,
    });
    expect(long.status).toBe(400);
    expect(((await long.json()) as { error: string }).error).toBe('invalid-alert');
    const fits = await addAlert(site.id, {
      metric: `exit_rate:/${'é'.repeat(49)}`,
      op: 'above',
      threshold: 0.5,
      window_minutes: 60,
    });
    expect(fits.status).toBe(201);
  });

  it('exit_rate of a path written as a person reads it (unicode) watches the page its events name', async () => {
    const site = await registerSite();
    const added = await addAlert(site.id, {
      metric: 'exit_rate:/produits/café crème',
      op: 'above',
      threshold: 0.5,
      window_minutes: 60,
    });
    expect(added.status).toBe(201);
    // Browsers send the path percent-encoded, as the reports list it: the alert names that page.
    expect(((await added.json()) as { metric: string }).metric).toBe('exit_rate:/produits/caf%C3%A9%20cr%C3%A8me');
    const now = Date.now();
    // Two visitors land on the page and leave from it: 2 exits of 2 views.
    for (const visitor of ['v-a', 'v-b'])
      await send(site.id, [
        wire({
          type: 'page_view',
          ts: now - 10 * MINUTE,
          stage: 'consideration',
          visitor,
          session: `s-${visitor}`,
          path: '/produits/café crème',
        }),
      ]);
    await checkAlerts(env, now);
    const list = (await (await call(`/v1/admin/sites/${site.id}/alerts`, { headers: json })).json()) as {
      alerts: Array<{ metric: string; state: string; last_value: number | null }>;
    };
    expect(list.alerts.map((a) => [a.metric, a.state, a.last_value])).toEqual([
      ['exit_rate:/produits/caf%C3%A9%20cr%C3%A8me', 'triggered', 1],
    ]);
  });

  it('nps below 0 triggers once when detractors dominate the window, holds while it has no answer, resolves on recovery', async () => {
    const site = await registerSite();
    const hook = await registerWebhook(site.id, ['alert.triggered', 'alert.resolved']);
    await addAlert(site.id, { metric: 'nps', op: 'below', threshold: 0, window_minutes: 60 });
    await addAlert(site.id, { metric: 'csat', op: 'below', threshold: 50, window_minutes: 60 });
    // Checks run at chosen past times, so every answer is sent with a time already gone.
    const now = Date.now() - 3 * 60 * MINUTE;
    // 1 promoter, 1 passive, 3 detractors: (1 − 3) / 5 = −40 points, as the satisfaction report says.
    await npsAnswers(site.id, [10, 8, 6, 3, 0], now - 10 * MINUTE);
    const window = { from: new Date(now - 60 * MINUTE).toISOString(), to: new Date(now).toISOString() };
    const reported = await report<SatisfactionReport>(site, 'satisfaction', window);
    expect(reported.overall.nps).toBe(-40);

    await Promise.all([checkAlerts(env, now), checkAlerts(env, now)]);
    await checkAlerts(env, now + MINUTE);
    const triggered = await alertsDelivered(site.id, hook.secret, now + MINUTE);
    // No CSAT answer: the csat alert has no value to judge and stays quiet.
    expect(triggered.map((b) => [b.type, b.data.metric, b.data.value, b.data.text])).toEqual([
      ['alert.triggered', 'nps', -40, `[${site.id}] nps is -40 over the last 60 min: below 0`],
    ]);

    // The answers left the window and none came: no value, no change.
    await checkAlerts(env, now + 80 * MINUTE);
    expect(await alertsDelivered(site.id, hook.secret, now + 80 * MINUTE)).toEqual([]);

    // Promoters come back: 3 promoters, 1 detractor, +50 points.
    await npsAnswers(site.id, [9, 10, 9, 2], now + 85 * MINUTE);
    await Promise.all([checkAlerts(env, now + 90 * MINUTE), checkAlerts(env, now + 90 * MINUTE)]);
    await checkAlerts(env, now + 91 * MINUTE);
    const resolved = await alertsDelivered(site.id, hook.secret, now + 91 * MINUTE);
    expect(resolved.map((b) => [b.type, b.data.value, b.data.text])).toEqual([
      ['alert.resolved', 50, `[${site.id}] resolved: nps is 50 over the last 60 min, no longer below 0`],
    ]);
  });
});
