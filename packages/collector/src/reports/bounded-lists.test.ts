// Every list of every report is cut in SQL at a documented length: friction pages, forms and their last fields, cart pages, money lists,
// breakdown rows, timeseries points.
import { DEFAULT_STAGES, type BreakdownReport, type BreakdownRow, type TimeseriesReport } from '@parcours/protocol';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerSite } from '../../test/helpers.ts';
import { DEFAULT_BREAKDOWN_ROWS, MAX_BREAKDOWN_ROWS } from './breakdown.ts';
import { frictionScore } from './friction.ts';
import { MAX_LAST_FIELDS } from './forms.ts';
import { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from './query.ts';
import { MAX_CURRENCIES } from './sql.ts';
import { MAX_POINTS } from './timeseries.ts';
import { get, report, send, wire, type TestEvent } from '../../test/test-support.ts';

const now = Date.now();
const HOUR = 3_600_000;
/** 25 currencies: more than a money list holds. */
const CURRENCIES = Array.from(
  { length: 25 },
  (_, i) => `C${String.fromCharCode(65 + Math.floor(i / 26))}${String.fromCharCode(65 + (i % 26))}`,
);

async function sendAll(site: string, events: TestEvent[]) {
  for (let i = 0; i < events.length; i += 500) {
    const chunk = events.slice(i, i + 500).map(wire);
    expect((await send(site, chunk)).accepted).toBe(chunk.length);
  }
}

let site: { id: string; token: string };

beforeAll(async () => {
  site = await registerSite();
  const events: TestEvent[] = [];
  // 150 pages, each the only page of 1 to 3 sessions (all exits), on every stage: 150 friction rows, scores from 0.2 to 3.
  for (let i = 0; i < 150; i++)
    for (let s = 0; s <= i % 3; s++)
      events.push({
        type: 'page_view',
        ts: now - 30 * 60_000,
        stage: DEFAULT_STAGES[i % 5]!,
        visitor: `p${i}-${s}`,
        session: `p${i}-${s}`,
        path: `/p/${i}`,
      });
  // One page view 20 days back: a one-hour period then reads the period's rows, the default one the rollups.
  events.push({
    type: 'page_view',
    ts: now - 20 * 24 * HOUR,
    stage: 'awareness',
    visitor: 'old',
    session: 'old',
    path: '/old',
  });
  // 120 forms abandoned 1 to 4 times, and one abandoned 30 times at 21 different fields (a 5, b 4, c 3, d01..d18 once).
  for (let i = 0; i < 120; i++)
    for (let a = 0; a <= i % 4; a++)
      events.push({
        type: 'form_abandon',
        ts: now - 40 * 60_000,
        stage: 'decision',
        visitor: `f${i}`,
        session: `f${i}`,
        path: '/form',
        form: `form-${i}`,
        last_field: `field-${a}`,
      });
  const bigFields = [...'aaaaabbbbccc', ...Array.from({ length: 18 }, (_, k) => `d${String(k + 1).padStart(2, '0')}`)];
  for (const field of bigFields)
    events.push({
      type: 'form_abandon',
      ts: now - 40 * 60_000,
      stage: 'decision',
      visitor: 'big',
      session: 'big',
      path: '/form',
      form: 'big',
      last_field: field,
    });
  // 120 carts abandoned two hours ago on their own page, in 25 currencies; 25 purchases, one per currency.
  for (let i = 0; i < 120; i++) {
    const common = { stage: 'decision', visitor: `c${i}`, session: `c${i}`, path: `/cart/${i}` };
    events.push({ ...common, type: 'page_view', ts: now - 2 * HOUR });
    events.push({
      ...common,
      type: 'add_to_cart',
      ts: now - 2 * HOUR + 1000,
      items: [{ item_id: 'x', price: i + 1, quantity: 1 }],
      value: i + 1,
      currency: CURRENCIES[i % 25],
    });
  }
  for (let i = 0; i < 25; i++)
    events.push({
      type: 'purchase',
      ts: now - HOUR,
      stage: 'decision',
      visitor: `b${i}`,
      session: `b${i}`,
      path: '/thanks',
      value: 10 + i,
      currency: CURRENCIES[i],
      transaction_id: `t${i}`,
    });
  await sendAll(site.id, events);
});

describe('bounded report lists', () => {
  it('friction: ranks and cuts in SQL, 100 pages by default, `limit` of them when asked, scores as frictionScore computes them', async () => {
    const all = (await report(site, 'friction', { limit: MAX_LIST_LIMIT })).pages;
    // 150 view pages, /old, /form (form abandons) and 120 cart pages.
    expect(all).toHaveLength(150 + 1 + 1 + 120);
    for (const p of all) expect(p.score).toBe(frictionScore(p, DEFAULT_STAGES.indexOf(p.stage), DEFAULT_STAGES.length));
    const order = (a: any, b: any) =>
      b.score - a.score || b.views - a.views || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
    expect([...all].sort(order)).toEqual(all);
    expect((await report(site, 'friction')).pages).toEqual(all.slice(0, DEFAULT_LIST_LIMIT));
    expect((await report(site, 'friction', { limit: 5 })).pages).toEqual(all.slice(0, 5));
    // The other reading (a period far shorter than the history before it) ranks the same pages the same way.
    const hour = { from: new Date(now - HOUR).toISOString(), limit: MAX_LIST_LIMIT };
    expect((await report(site, 'friction', hour)).pages).toEqual(
      all.filter((p: { path: string }) => p.path !== '/old' && !p.path.startsWith('/cart/')),
    );
  });

  it('forms: 100 forms by default, `limit` of them when asked, at most 10 last fields each, most abandoned first', async () => {
    const all = (await report(site, 'forms', { limit: MAX_LIST_LIMIT })).forms;
    expect(all).toHaveLength(121);
    expect(all[0]).toMatchObject({ form: 'big', abandons: 30 });
    // The ten fields abandoned most, ties by name: a, b, c, then d01..d07 of the eighteen abandoned once.
    expect(all[0].last_fields).toHaveLength(MAX_LAST_FIELDS);
    expect(all[0].last_fields).toEqual([
      { field: 'a', abandons: 5 },
      { field: 'b', abandons: 4 },
      { field: 'c', abandons: 3 },
      ...Array.from({ length: 7 }, (_, k) => ({ field: `d0${k + 1}`, abandons: 1 })),
    ]);
    expect((await report(site, 'forms')).forms).toEqual(all.slice(0, DEFAULT_LIST_LIMIT));
    const three = (await report(site, 'forms', { limit: 3 })).forms;
    expect(three).toEqual(all.slice(0, 3));
    expect(three[1].last_fields).toEqual(all[1].last_fields);
  });

  it('carts: 100 exit pages by default, `limit` of them when asked; money lists hold the 20 largest currencies', async () => {
    const r = await report(site, 'carts', { limit: MAX_LIST_LIMIT });
    expect(r.carts.abandoned).toBe(120);
    expect(r.pages).toHaveLength(120);
    expect((await report(site, 'carts')).pages).toEqual(r.pages.slice(0, DEFAULT_LIST_LIMIT));
    expect((await report(site, 'carts', { limit: 1 })).pages).toEqual(r.pages.slice(0, 1));
    expect(r.carts.abandoned_value).toHaveLength(MAX_CURRENCIES);
    // Carts i, i+25, … are in currency i % 25: the largest sums are those of the last currencies.
    const sums = CURRENCIES.map((currency, k) => ({
      currency,
      value: [0, 1, 2, 3, 4]
        .map((j) => k + 25 * j + 1)
        .filter((v) => v <= 120)
        .reduce((a, b) => a + b, 0),
    }));
    expect(r.carts.abandoned_value).toEqual(
      sums.sort((a, b) => b.value - a.value || (a.currency < b.currency ? -1 : 1)).slice(0, MAX_CURRENCIES),
    );
    const kpis = await report(site, 'kpis');
    expect(kpis.decision.average_basket).toHaveLength(MAX_CURRENCIES);
    // One purchase per currency: ties by currency code.
    expect(kpis.decision.average_basket[0]).toEqual({ currency: CURRENCIES[0], value: 10 });
  });

  it('breakdown: 50 rows by default, `limit` of them when asked (at most 1,000), ranked in SQL; money lists hold the 20 largest currencies', async () => {
    const all = (await report<BreakdownReport>(site, 'breakdown', { by: 'landing', limit: MAX_BREAKDOWN_ROWS })).rows;
    // Landing pages: 150 viewed pages, /old, the 120 cart pages, /form (form abandons only) and /thanks (purchases only).
    expect(all).toHaveLength(150 + 1 + 120 + 1 + 1);
    const order = (a: BreakdownRow, b: BreakdownRow) =>
      b.visitors - a.visitors || b.purchases - a.purchases || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0);
    expect([...all].sort(order)).toEqual(all);
    expect(all[0]!.visitors).toBe(3);
    expect((await report<BreakdownReport>(site, 'breakdown', { by: 'landing' })).rows).toEqual(
      all.slice(0, DEFAULT_BREAKDOWN_ROWS),
    );
    expect((await report<BreakdownReport>(site, 'breakdown', { by: 'landing', limit: 7 })).rows).toEqual(
      all.slice(0, 7),
    );
    // 25 purchases, one per currency, values 10 to 34: the 20 largest are listed, every purchase is counted.
    const largest = CURRENCIES.map((currency, i) => ({ currency, value: 10 + i }))
      .reverse()
      .slice(0, MAX_CURRENCIES);
    const thanks = all.find((r) => r.value === '/thanks')!;
    expect(thanks).toMatchObject({ visitors: 0, purchases: 25, first_touch_purchases: 25, conversion_rate: 0 });
    expect(thanks.revenue).toEqual(largest);
    expect(thanks.first_touch_revenue).toEqual(largest);
    const direct = (await report<BreakdownReport>(site, 'breakdown', { by: 'channel' })).rows;
    expect(direct).toHaveLength(1);
    expect(direct[0]).toMatchObject({ value: 'direct', purchases: 25, abandoned_carts: 120 });
    expect(direct[0]!.revenue).toEqual(largest);
  });

  it('timeseries: at most 2,500 points, each money list the 20 largest currencies', async () => {
    const r = await report<TimeseriesReport>(site, 'timeseries', { interval: 'hour' });
    expect(r.points.reduce((n, p) => n + p.purchases, 0)).toBe(25);
    const hour = r.points.find((p) => p.purchases > 0)!;
    expect(hour.purchases).toBe(25);
    expect(hour.revenue).toEqual(
      CURRENCIES.map((currency, i) => ({ currency, value: 10 + i }))
        .reverse()
        .slice(0, MAX_CURRENCIES),
    );
    const from = Date.UTC(2026, 0, 1);
    const span = (points: number) => ({
      interval: 'hour',
      from: new Date(from).toISOString(),
      to: new Date(from + points * HOUR).toISOString(),
    });
    expect((await report<TimeseriesReport>(site, 'timeseries', span(MAX_POINTS))).points).toHaveLength(MAX_POINTS);
    const over = await get(site, 'timeseries', span(MAX_POINTS + 1));
    expect(over.status).toBe(400);
    expect(await over.json()).toMatchObject({ error: 'invalid-query', message: expect.any(String) });
  });

  it('refuses a limit of 0 or over 1,000, and a limit on reports bounded by the stage list', async () => {
    const cases: Array<[string, Record<string, string>]> = [
      ['friction', { limit: '0' }],
      ['forms', { limit: '1001' }],
      ['carts', { limit: '2.5' }],
      ['transitions', { limit: '5' }],
      ['funnel', { limit: '5' }],
      ['kpis', { limit: '5' }],
      ['breakdown', { by: 'channel', limit: '0' }],
      ['breakdown', { by: 'channel', limit: String(MAX_BREAKDOWN_ROWS + 1) }],
      ['breakdown', { by: 'channel', limit: '2.5' }],
      ['timeseries', { interval: 'day', limit: '5' }],
    ];
    for (const [name, query] of cases) {
      const res = await get(site, name, query);
      expect(res.status, `${name} ${JSON.stringify(query)}`).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'invalid-query', message: expect.any(String) });
    }
  });
});
