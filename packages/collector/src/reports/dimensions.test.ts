// Filters and dimension reports on a small known history: carts, forms, friction and the export filtered, breakdown and timeseries numbers, bad queries.
import { exports } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import type {
  BreakdownReport,
  CartsReport,
  FormsReport,
  FrictionReport,
  FunnelReport,
  TimeseriesReport,
  WireEvent,
} from '@parcours/protocol';
import { registerSite } from '../../test/helpers.ts';
import { get, ORIGIN, report, text, wire, type TestEvent } from '../../test/test-support.ts';

const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
const WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const MIN = 60_000;
const HOUR = 60 * MIN;
// Three whole hours back, so every event lies in one known hour and the carts left are abandoned (30 minutes).
const base = Math.floor(Date.now() / HOUR) * HOUR - 3 * HOUR;
let site: { id: string; token: string };

async function post(events: WireEvent[], userAgent: string, country?: string, to = site) {
  const init = {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: ORIGIN, 'user-agent': userAgent },
    body: JSON.stringify({ v: 1, site: to.id, sent_at: Date.now(), events }),
    ...(country ? { cf: { country } } : {}),
  };
  const res = await exports.default.fetch(new Request('http://collector.test/v1/events', init as RequestInit));
  expect(res.status).toBe(200);
}

const ev = (visitor: string, session: string, minute: number, e: Omit<TestEvent, 'visitor' | 'session' | 'ts'>) =>
  wire({ visitor, session, ts: base + minute * MIN, ...e });
const cart = (value: number) => ({ items: [{ item_id: 'sku', price: value, quantity: 1 }], value, currency: 'EUR' });

beforeAll(async () => {
  site = await registerSite();
  // A: first from a newsletter on a phone in France, leaving a cart and a form; back from Google on a desktop, buying.
  await post(
    [
      ev('A', 'a1', 0, {
        type: 'page_view',
        stage: 'awareness',
        path: '/blog?utm_source=newsletter&utm_medium=email&utm_campaign=spring',
      }),
      ev('A', 'a1', 1, { type: 'page_view', stage: 'consideration', path: '/p/mug' }),
      ev('A', 'a1', 2, { type: 'add_to_cart', stage: 'decision', path: '/p/mug', ...cart(30) }),
      ev('A', 'a1', 3, { type: 'form_start', stage: 'decision', path: '/p/mug', form: 'checkout' }),
      ev('A', 'a1', 4, {
        type: 'form_abandon',
        stage: 'decision',
        path: '/p/mug',
        form: 'checkout',
        last_field: 'email',
      }),
    ],
    IPHONE,
    'FR',
  );
  await post(
    [
      ev('A', 'a2', 60, {
        type: 'page_view',
        stage: 'consideration',
        path: '/p/mug',
        referrer: 'https://www.google.com/',
      }),
      ev('A', 'a2', 62, { type: 'begin_checkout', stage: 'decision', path: '/checkout', ...cart(30) }),
      ev('A', 'a2', 63, {
        type: 'purchase',
        stage: 'decision',
        path: '/checkout/done',
        ...cart(30),
        transaction_id: 'TA',
      }),
    ],
    WINDOWS,
    'FR',
  );
  // B: direct, desktop, Germany: a cart left, a form sent.
  await post(
    [
      ev('B', 'b1', 10, { type: 'page_view', stage: 'consideration', path: '/p/cup' }),
      ev('B', 'b1', 11, { type: 'add_to_cart', stage: 'decision', path: '/p/cup', ...cart(12) }),
      ev('B', 'b1', 12, { type: 'form_start', stage: 'decision', path: '/p/cup', form: 'contact' }),
      ev('B', 'b1', 13, { type: 'form_submit', stage: 'decision', path: '/p/cup', form: 'contact' }),
    ],
    WINDOWS,
    'DE',
  );
  // C: a paid social click on a phone, country unknown, buying at once.
  await post(
    [
      ev('C', 'c1', 130, {
        type: 'page_view',
        stage: 'awareness',
        path: '/',
        referrer: 'https://l.facebook.com/',
        click_id: 'fbclid',
      }),
      ev('C', 'c1', 131, {
        type: 'purchase',
        stage: 'decision',
        path: '/',
        value: 50,
        currency: 'EUR',
        transaction_id: 'TC',
      }),
    ],
    IPHONE,
  );
});

const period = () => ({ from: new Date(base - HOUR).toISOString(), to: new Date(base + 4 * HOUR).toISOString() });

describe('filters on every report', () => {
  it('keeps the carts opened in matching sessions', async () => {
    const email = await report<CartsReport>(site, 'carts', { ...period(), channel: 'email' });
    expect(email.carts).toMatchObject({ started: 1, checked_out: 1, purchased: 1, abandoned: 0 });
    const direct = await report<CartsReport>(site, 'carts', { ...period(), channel: 'direct' });
    expect(direct.carts).toMatchObject({
      started: 1,
      purchased: 0,
      abandoned: 1,
      abandoned_value: [{ currency: 'EUR', value: 12 }],
    });
    expect(direct.pages).toEqual([{ path: '/p/cup', abandons: 1 }]);
    // A's cart opened in the phone session: desktop keeps B's only.
    expect((await report<CartsReport>(site, 'carts', { ...period(), device: 'desktop' })).carts).toMatchObject({
      started: 1,
      abandoned: 1,
    });
    // Unfiltered: C's buy-now purchase opened a cart of its own.
    expect((await report<CartsReport>(site, 'carts', period())).carts).toMatchObject({
      started: 3,
      purchased: 2,
      abandoned: 1,
    });
  });

  it('keeps the form events, friction and exported events of matching sessions', async () => {
    const forms = await report<FormsReport>(site, 'forms', { ...period(), country: 'FR' });
    expect(forms.forms).toEqual([
      {
        form: 'checkout',
        path: '/p/mug',
        starts: 1,
        submits: 0,
        abandons: 1,
        abandon_rate: 1,
        last_fields: [{ field: 'email', abandons: 1 }],
        fields: [],
      },
    ]);
    const friction = await report<FrictionReport>(site, 'friction', { ...period(), channel: 'email' });
    // The form was left with the stage the events carried (decision): a row of its own beside the page's.
    expect(
      friction.pages
        .filter((p) => p.path === '/p/mug')
        .map(({ stage, views, visitors, form_abandons }) => ({ stage, views, visitors, form_abandons })),
    ).toEqual([
      { stage: 'decision', views: 0, visitors: 0, form_abandons: 1 },
      { stage: 'consideration', views: 1, visitors: 1, form_abandons: 0 },
    ]);
    expect(friction.pages.some((p) => p.path === '/p/cup')).toBe(false);
    const lines = (await text(await get(site, 'events', { ...period(), country: 'DE' })))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as WireEvent);
    expect(lines.map((e) => e.visitor)).toEqual(['B', 'B', 'B', 'B']);
    // Several values of a dimension are any of them; several dimensions all at once.
    const both = (
      await text(await get(site, 'events', { ...period(), channel: 'email,paid_social', device: 'mobile' }))
    )
      .trim()
      .split('\n');
    expect(both.map((l) => (JSON.parse(l) as WireEvent).session).sort()).toEqual([
      'a1',
      'a1',
      'a1',
      'a1',
      'a1',
      'c1',
      'c1',
    ]);
  });

  it('answers zeros for a value nobody has', async () => {
    const funnel = await report<FunnelReport>(site, 'funnel', { ...period(), country: 'JP' });
    expect(funnel.stages.every((s) => s.visitors === 0)).toBe(true);
    expect(await text(await get(site, 'events', { ...period(), source: 'nobody.example' }))).toBe('');
  });

  it("measures from a visitor's first entry into a stage among moves of the same millisecond", async () => {
    // Into awareness twice at minute 10 (in event id order): the first went on to consideration at once, the second
    // five minutes later. The funnel measures from the first, filtered or not.
    const tied = await registerSite();
    const view = (minute: number, stage: string) =>
      ev('T', 't1', minute, { type: 'page_view', stage, path: `/${stage}` });
    await post(
      [view(10, 'awareness'), view(10, 'consideration'), view(10, 'awareness'), view(15, 'consideration')],
      WINDOWS,
      'JP',
      tied,
    );
    for (const query of [period(), { ...period(), country: 'JP' }]) {
      const funnel = await report<FunnelReport>(tied, 'funnel', query);
      expect(funnel.stages.slice(0, 2)).toEqual([
        { stage: 'awareness', visitors: 1, rate_from_previous: null, median_ms_from_previous: null },
        { stage: 'consideration', visitors: 1, rate_from_previous: 1, median_ms_from_previous: 0 },
      ]);
    }
  });

  it('refuses an unknown dimension, a malformed value, a bad by or interval with 400 invalid-query', async () => {
    const bad: Array<[string, Record<string, string>]> = [
      ['funnel', { colour: 'blue' }],
      ['funnel', { channel: 'tv' }],
      ['carts', { device: 'phone' }],
      ['kpis', { country: 'fr' }],
      ['kpis', { country: 'FRA' }],
      ['events', { source: 'x'.repeat(201) }],
      ['forms', { campaign: 'spring\u0001' }],
      ['friction', { channel: 'email,' }],
      ['breakdown', { by: 'colour' }],
      ['breakdown', {}],
      ['timeseries', { interval: 'month' }],
      ['timeseries', {}],
      ['timeseries', { interval: 'hour', from: '2020-01-01', to: '2026-01-01' }],
    ];
    for (const [name, query] of bad) {
      const res = await get(site, name, query);
      expect([name, query, res.status]).toEqual([name, query, 400]);
      expect(await res.json()).toMatchObject({ error: 'invalid-query', message: expect.any(String) });
    }
    const repeated = await exports.default.fetch(
      new Request(`http://collector.test/v1/sites/${site.id}/funnel?channel=email&channel=direct`, {
        headers: { authorization: `Bearer ${site.token}` },
      }),
    );
    expect(repeated.status).toBe(400);
  });
});

describe('breakdown', () => {
  it('lists each channel with visitors, sessions, stage entries, purchases by last and first touch, conversion and abandoned carts', async () => {
    const r = await report<BreakdownReport>(site, 'breakdown', { ...period(), by: 'channel' });
    const zero = { awareness: 0, consideration: 0, decision: 0, retention: 0, advocacy: 0 };
    expect(r).toEqual({
      by: 'channel',
      rows: [
        {
          value: 'organic_search',
          visitors: 1,
          sessions: 1,
          entered: { ...zero, consideration: 1, decision: 1 },
          purchases: 1,
          revenue: [{ currency: 'EUR', value: 30 }],
          first_touch_purchases: 0,
          first_touch_revenue: [],
          conversion_rate: 1,
          abandoned_carts: 0,
        },
        {
          value: 'paid_social',
          visitors: 1,
          sessions: 1,
          entered: { ...zero, awareness: 1, decision: 1 },
          purchases: 1,
          revenue: [{ currency: 'EUR', value: 50 }],
          first_touch_purchases: 1,
          first_touch_revenue: [{ currency: 'EUR', value: 50 }],
          conversion_rate: 1,
          abandoned_carts: 0,
        },
        {
          value: 'direct',
          visitors: 1,
          sessions: 1,
          entered: { ...zero, consideration: 1, decision: 1 },
          purchases: 0,
          revenue: [],
          first_touch_purchases: 0,
          first_touch_revenue: [],
          conversion_rate: 0,
          abandoned_carts: 1,
        },
        {
          value: 'email',
          visitors: 1,
          sessions: 1,
          entered: { ...zero, awareness: 1, consideration: 1, decision: 1 },
          purchases: 0,
          revenue: [],
          first_touch_purchases: 1,
          first_touch_revenue: [{ currency: 'EUR', value: 30 }],
          conversion_rate: 0,
          abandoned_carts: 0,
        },
      ],
    });
  });

  it('breaks down by device and country, applies filters first and stops at limit', async () => {
    const device = await report<BreakdownReport>(site, 'breakdown', { ...period(), by: 'device' });
    expect(device.rows.map((r) => [r.value, r.visitors, r.sessions, r.purchases])).toEqual([
      ['desktop', 2, 2, 1],
      ['mobile', 2, 2, 1],
    ]);
    const country = await report<BreakdownReport>(site, 'breakdown', { ...period(), by: 'country', device: 'mobile' });
    // A's purchase happened on the desktop: the mobile filter leaves it out, first touch included.
    expect(country.rows.map((r) => [r.value, r.visitors, r.first_touch_purchases])).toEqual([
      ['XX', 1, 1],
      ['FR', 1, 0],
    ]);
    expect(
      (await report<BreakdownReport>(site, 'breakdown', { ...period(), by: 'landing', limit: 2 })).rows,
    ).toHaveLength(2);
  });
});

describe('timeseries', () => {
  it('gives one point per hour of the period, empty hours as zeros, summing to the totals', async () => {
    const r = await report<TimeseriesReport>(site, 'timeseries', { ...period(), interval: 'hour' });
    expect(r.interval).toBe('hour');
    expect(r.points.map((p) => p.t)).toEqual([-1, 0, 1, 2, 3].map((h) => new Date(base + h * HOUR).toISOString()));
    expect(r.points.map((p) => [p.visitors, p.sessions, p.page_views, p.purchases, p.abandoned_carts])).toEqual([
      [0, 0, 0, 0, 0],
      [2, 2, 3, 0, 1],
      [1, 1, 1, 1, 0],
      [1, 1, 1, 1, 0],
      [0, 0, 0, 0, 0],
    ]);
    expect(r.points[2]!.revenue).toEqual([{ currency: 'EUR', value: 30 }]);
    expect(r.points[1]!.entered).toEqual({ awareness: 1, consideration: 2, decision: 2, retention: 0, advocacy: 0 });
    const mobile = await report<TimeseriesReport>(site, 'timeseries', {
      ...period(),
      interval: 'hour',
      device: 'mobile',
    });
    expect(mobile.points.map((p) => p.page_views)).toEqual([0, 2, 0, 1, 0]);
  });

  it('starts days at midnight UTC and weeks on Monday', async () => {
    const day = await report<TimeseriesReport>(site, 'timeseries', {
      from: '2026-11-02',
      to: '2026-11-04',
      interval: 'day',
    });
    expect(day.points.map((p) => p.t)).toEqual([
      '2026-11-02T00:00:00.000Z',
      '2026-11-03T00:00:00.000Z',
      '2026-11-04T00:00:00.000Z',
    ]);
    const week = await report<TimeseriesReport>(site, 'timeseries', {
      from: '2026-11-04',
      to: '2026-11-18',
      interval: 'week',
    });
    expect(week.points.map((p) => p.t)).toEqual([
      '2026-11-02T00:00:00.000Z',
      '2026-11-09T00:00:00.000Z',
      '2026-11-16T00:00:00.000Z',
    ]);
    expect(week.points.every((p) => p.visitors === 0)).toBe(true);
  });
});
