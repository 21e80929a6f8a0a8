// Every report on the hand-built shop history (test/journeys.fixture.ts), numbers worked out by hand below.
import { beforeAll, describe, expect, it } from 'vitest';
import { registerSite } from '../../test/helpers.ts';
import { DAY, shopJourneys } from '../../test/journeys.fixture.ts';
import { get, report, send, text, wire } from '../../test/test-support.ts';

const now = Date.now();
const T = now - 2 * DAY;
let site: { id: string; token: string };
let events: ReturnType<typeof shopJourneys>;

beforeAll(async () => {
  site = await registerSite();
  events = shopJourneys(now);
  // One batch: every event gets the same clock correction, so the durations below stay exact.
  const reply = await send(site.id, events);
  expect(reply).toMatchObject({ accepted: events.length, duplicates: 0, rejected: [] });
});

/** The period that leaves out E's earlier purchase (T - 5 days) and G's open cart (now - 6 min). */
const narrow = () => ({ from: new Date(T - DAY).toISOString(), to: new Date(T + DAY).toISOString() });

describe('funnel', () => {
  it('counts the visitors who entered each stage and how many went on to the next', async () => {
    const r = await report(site, 'funnel');
    expect(r.stages).toEqual([
      // awareness entered by A (T+0), C, D (T+3600 s, backward). Only A went on to consideration (T+20 s).
      { stage: 'awareness', visitors: 3, rate_from_previous: null, median_ms_from_previous: null },
      // consideration entered by A, B, D, E (T+10 s), G: 5. From awareness: 1 of 3, after 20 000 ms.
      { stage: 'consideration', visitors: 5, rate_from_previous: 1 / 3, median_ms_from_previous: 20000 },
      // decision entered by A, B, E (first at T-5 d), F, G: 5. From consideration: A 20 s, B 5 s, E 10 s, G 60 s
      // went on (D did not): 4 of 5 = 0.8, median of 5 000, 10 000, 20 000, 60 000 = (10 000 + 20 000) / 2.
      { stage: 'decision', visitors: 5, rate_from_previous: 0.8, median_ms_from_previous: 15000 },
      // retention entered by E at T. From decision: E (first decision T-5 d, retention T): 1 of 5, after 5 days.
      { stage: 'retention', visitors: 1, rate_from_previous: 0.2, median_ms_from_previous: 5 * DAY },
      // advocacy entered by E at T+60 s, 60 s after entering retention: 1 of 1.
      { stage: 'advocacy', visitors: 1, rate_from_previous: 1, median_ms_from_previous: 60000 },
    ]);
  });

  it('counts only entries inside from/to', async () => {
    const r = await report(site, 'funnel', narrow());
    // E's first decision entry in the period is T+20 s, after its retention entry (T): none went on to retention.
    expect(r.stages.map((s: { visitors: number }) => s.visitors)).toEqual([3, 4, 4, 1, 1]);
    expect(r.stages[2]).toMatchObject({ stage: 'decision', rate_from_previous: 3 / 4, median_ms_from_previous: 10000 });
    expect(r.stages[3]).toMatchObject({ stage: 'retention', rate_from_previous: 0, median_ms_from_previous: null });
  });
});

describe('transitions', () => {
  it('lists every move, backward ones included, most frequent first', async () => {
    const r = await report(site, 'transitions');
    expect(r.transitions).toEqual([
      // A 20 s, B 5 s, E 10 s, G 60 s in consideration before deciding: median (10 000 + 20 000) / 2.
      { from: 'consideration', to: 'decision', count: 4, visitors: 4, median_ms: 15000 },
      { from: null, to: 'consideration', count: 3, visitors: 3, median_ms: null }, // B, D, G
      { from: null, to: 'awareness', count: 2, visitors: 2, median_ms: null }, // A, C
      { from: null, to: 'decision', count: 2, visitors: 2, median_ms: null }, // E (T-5 d), F
      { from: 'awareness', to: 'consideration', count: 1, visitors: 1, median_ms: 20000 }, // A
      { from: 'consideration', to: 'awareness', count: 1, visitors: 1, median_ms: 3600000 }, // D, an hour later
      { from: 'decision', to: 'retention', count: 1, visitors: 1, median_ms: 5 * DAY }, // E comes back
      { from: 'decision', to: 'advocacy', count: 1, visitors: 1, median_ms: 40000 }, // E: decision at T+20 s, /refer at T+60 s
      { from: 'retention', to: 'consideration', count: 1, visitors: 1, median_ms: 10000 }, // E
    ]);
  });

  it('leaves out moves outside from/to', async () => {
    const r = await report(site, 'transitions', narrow());
    const pairs = Object.fromEntries(
      r.transitions.map((t: { from: string; to: string; count: number }) => [`${t.from}>${t.to}`, t.count]),
    );
    // Without G: consideration>decision is A, B, E; without E's T-5 d visit: null>decision is F alone.
    expect(pairs).toMatchObject({
      'consideration>decision': 3,
      'null>consideration': 2,
      'null>decision': 1,
      'decision>retention': 1,
    });
    expect(r.transitions.reduce((n: number, t: { count: number }) => n + t.count, 0)).toBe(16 - 1 - 2);
  });
});

/** A page without friction signals. */
const noSignals = { rage_clicks: 0, dead_clicks: 0, error_clicks: 0, quick_backs: 0, field_errors: 0, targets: [] };

describe('friction', () => {
  it('ranks pages by exits, form and cart abandons, weighted by stage', async () => {
    const r = await report(site, 'friction');
    expect(r.pages).toEqual([
      // B's last page: 1 exit + 1 abandoned cart = 2 losses on 1 view: 2 x min(1, 2/1) x 3/5 = 1.2
      {
        path: '/cart',
        stage: 'decision',
        views: 1,
        visitors: 1,
        exits: 1,
        exit_rate: 1,
        form_abandons: 0,
        cart_abandons: 1,
        ...noSignals,
        score: 1.2,
      },
      // E's last page after buying earlier in the visit: 1 x 1 x 5/5
      {
        path: '/refer',
        stage: 'advocacy',
        views: 1,
        visitors: 1,
        exits: 1,
        exit_rate: 1,
        form_abandons: 0,
        cart_abandons: 0,
        ...noSignals,
        score: 1,
      },
      // D: exit + quote form abandoned = 2 losses, 1 view: 2 x 1 x 2/5 = 0.8
      {
        path: '/contact',
        stage: 'consideration',
        views: 1,
        visitors: 1,
        exits: 1,
        exit_rate: 1,
        form_abandons: 1,
        cart_abandons: 0,
        ...noSignals,
        score: 0.8,
      },
      // D's second visit bounced: 1 x 1 x 1/5
      {
        path: '/blog/guide',
        stage: 'awareness',
        views: 1,
        visitors: 1,
        exits: 1,
        exit_rate: 1,
        form_abandons: 0,
        cart_abandons: 0,
        ...noSignals,
        score: 0.2,
      },
      // A went on, C left: 1 loss on 2 views: 1 x 1/2 x 1/5 = 0.1
      {
        path: '/blog/post',
        stage: 'awareness',
        views: 2,
        visitors: 2,
        exits: 1,
        exit_rate: 0.5,
        form_abandons: 0,
        cart_abandons: 0,
        ...noSignals,
        score: 0.1,
      },
      // No losses: purchases follow every /checkout view (A, E twice, F); then by views, then path.
      {
        path: '/checkout',
        stage: 'decision',
        views: 4,
        visitors: 3,
        exits: 0,
        exit_rate: 0,
        form_abandons: 0,
        cart_abandons: 0,
        ...noSignals,
        score: 0,
      },
      {
        path: '/p/cup',
        stage: 'consideration',
        views: 2,
        visitors: 2,
        exits: 0,
        exit_rate: 0,
        form_abandons: 0,
        cart_abandons: 0,
        ...noSignals,
        score: 0,
      },
      {
        path: '/p/mug',
        stage: 'consideration',
        views: 2,
        visitors: 2,
        exits: 0,
        exit_rate: 0,
        form_abandons: 0,
        cart_abandons: 0,
        ...noSignals,
        score: 0,
      },
      {
        path: '/account',
        stage: 'retention',
        views: 1,
        visitors: 1,
        exits: 0,
        exit_rate: 0,
        form_abandons: 0,
        cart_abandons: 0,
        ...noSignals,
        score: 0,
      },
      {
        path: '/pricing',
        stage: 'consideration',
        views: 1,
        visitors: 1,
        exits: 0,
        exit_rate: 0,
        form_abandons: 0,
        cart_abandons: 0,
        ...noSignals,
        score: 0,
      },
    ]);
  });
});

describe('friction, inside from/to', () => {
  it('counts only the page views and abandons of the period', async () => {
    const r = await report(site, 'friction', narrow());
    const byPath = Object.fromEntries(r.pages.map((p: { path: string }) => [p.path, p]));
    // /checkout without E's T-5 d view: A, E, F. /p/cup without G: E alone. B's cart is still abandoned at `to`.
    expect(byPath['/checkout']).toMatchObject({ views: 3, visitors: 3, exits: 0 });
    expect(byPath['/p/cup']).toMatchObject({ views: 1, visitors: 1 });
    expect(r.pages[0]).toMatchObject({ path: '/cart', cart_abandons: 1, score: 1.2 });
  });
});

describe('friction signals', () => {
  it('counts rage, dead and error clicks, quick backs and field errors per page, in its score, with its top targets', async () => {
    const own = await registerSite();
    const at = Date.now() - 60_000;
    const common = { visitor: 'fv', session: 'fs' };
    const on = (path: string, stage: string, type: string, i: number, extra: Record<string, unknown> = {}) =>
      wire({ ...common, path, stage, type, ts: at + i * 1000, ...extra } as never);
    const events = [
      on('/p/grinder', 'consideration', 'page_view', 0),
      on('/p/grinder', 'consideration', 'rage_click', 1, { target: 'compare', clicks: 4 }),
      on('/p/grinder', 'consideration', 'rage_click', 2, { target: 'compare', clicks: 3 }),
      on('/p/grinder', 'consideration', 'dead_click', 3, { target: 'compare' }),
      on('/p/grinder', 'consideration', 'error_click', 4, { target: 'zoom', error: 'TypeError app.js:12' }),
      on('/sale', 'awareness', 'page_view', 5),
      on('/sale', 'awareness', 'quick_back', 7, { duration_ms: 1800 }),
      on('/checkout', 'decision', 'page_view', 8),
      on('/checkout', 'decision', 'field_error', 9, { form: 'checkout', field: 'coupon' }),
      on('/checkout', 'decision', 'field_error', 10, { form: 'checkout', field: 'coupon' }),
      on('/checkout', 'decision', 'purchase', 11, { value: 10, currency: 'EUR', items: [{ item_id: 'a', price: 10 }] }),
    ];
    expect(await send(own.id, events)).toMatchObject({ accepted: events.length, rejected: [] });
    const r = await report(own, 'friction');
    const byPath = Object.fromEntries(r.pages.map((p: { path: string }) => [p.path, p]));
    // 2 rage + 1 dead + 1 error = 4 half losses = 2 losses on 1 view: 2 x min(1, 2/1) x 2/5 = 0.8
    expect(byPath['/p/grinder']).toMatchObject({
      rage_clicks: 2,
      dead_clicks: 1,
      error_clicks: 1,
      quick_backs: 0,
      field_errors: 0,
      score: 0.8,
      targets: [
        { kind: 'rage_click', target: 'compare', count: 2 },
        { kind: 'dead_click', target: 'compare', count: 1 },
        { kind: 'error_click', target: 'zoom', count: 1 },
      ],
    });
    // The quick back is a loss of the page left; no target.
    expect(byPath['/sale']).toMatchObject({ quick_backs: 1, targets: [] });
    // 2 field errors = 1 loss on 1 view (no exit: a purchase followed): 1 x 1 x 3/5 = 0.6
    expect(byPath['/checkout']).toMatchObject({
      field_errors: 2,
      exits: 0,
      score: 0.6,
      targets: [{ kind: 'field_error', target: 'coupon', count: 2 }],
    });
  });
});

describe('forms', () => {
  it('counts starts, submits, abandons and the field people stopped at', async () => {
    const r = await report(site, 'forms');
    expect(r.forms).toEqual([
      // D started the quote form and left at email: 1 abandon / (0 submits + 1 abandon).
      {
        form: 'quote',
        path: '/contact',
        starts: 1,
        submits: 0,
        abandons: 1,
        abandon_rate: 1,
        last_fields: [{ field: 'email', abandons: 1 }],
        fields: [],
      },
      // A submitted checkout: 0 / (1 + 0).
      {
        form: 'checkout',
        path: '/checkout',
        starts: 1,
        submits: 1,
        abandons: 0,
        abandon_rate: 0,
        last_fields: [],
        fields: [],
      },
    ]);
  });

  it('gives each field its median hesitation, refocuses, errors and the abandons that ended at it', async () => {
    const own = await registerSite();
    const at = Date.now() - 60_000;
    const form = (visitor: string, type: string, i: number, extra: Record<string, unknown>) =>
      wire({
        visitor,
        session: `s-${visitor}`,
        path: '/checkout',
        stage: 'decision',
        type,
        ts: at + i * 1000,
        form: 'checkout',
        ...extra,
      } as never);
    const events = [
      form('a', 'form_abandon', 0, {
        last_field: 'coupon',
        fields: [
          { field: 'email', hesitation_ms: 1000, refocuses: 0, errors: 0 },
          { field: 'coupon', hesitation_ms: 4000, refocuses: 2, errors: 1 },
        ],
      }),
      form('b', 'form_abandon', 1, {
        last_field: 'coupon',
        fields: [{ field: 'coupon', hesitation_ms: 6000, refocuses: 1, errors: 2 }],
      }),
      form('c', 'form_submit', 2, {
        fields: [
          { field: 'email', hesitation_ms: 3000, refocuses: 1, errors: 0 },
          { field: 'coupon', refocuses: 0, errors: 0 },
        ],
      }),
    ];
    expect(await send(own.id, events)).toMatchObject({ accepted: 3, rejected: [] });
    const r = await report(own, 'forms');
    expect(r.forms[0].fields).toEqual([
      // Two abandons ended at the coupon: hesitations 4 000 and 6 000 (c never typed in it), 3 refocuses, 3 errors.
      { field: 'coupon', hesitation_ms: 5000, refocuses: 3, errors: 3, abandons: 2 },
      { field: 'email', hesitation_ms: 2000, refocuses: 1, errors: 0, abandons: 0 },
    ]);
  });
});

describe('carts', () => {
  it('follows each cart to purchase, open or abandoned, with the abandoned value and page', async () => {
    const r = await report(site, 'carts');
    // Carts: A (bought), B (idle for two days: abandoned), E's two purchases (the T-5 d one a buy-now),
    // F (buy-now), G (5 min idle: open under the 30 min default). Checkout counts every purchase.
    expect(r).toEqual({
      carts: {
        started: 6,
        checked_out: 4,
        purchased: 4,
        open: 1,
        abandoned: 1,
        abandonment_rate: 1 / 6,
        abandoned_value: [{ currency: 'EUR', value: 25 }],
        // Every purchase came within minutes of the cart's last activity: none was abandoned first.
        recovered: 0,
        recovered_value: [],
        recovery_rate: 0,
      },
      // B: 2 mugs x 12.50 after removing the cup, left on /cart.
      pages: [{ path: '/cart', abandons: 1 }],
    });
  });

  it('uses abandon_after in minutes: G, idle for 5, is abandoned after 1', async () => {
    const r = await report(site, 'carts', { abandon_after: 1 });
    expect(r.carts).toMatchObject({
      open: 0,
      abandoned: 2,
      abandonment_rate: 2 / 6,
      abandoned_value: [{ currency: 'EUR', value: 29 }],
    });
    expect(r.pages).toEqual([
      { path: '/cart', abandons: 1 },
      { path: '/p/cup', abandons: 1 },
    ]);
  });

  it('counts the carts started inside from/to, judged at `to`', async () => {
    const r = await report(site, 'carts', narrow());
    // A, B, E's second cart, F: 4 started; 3 bought; B abandoned.
    expect(r.carts).toMatchObject({
      started: 4,
      checked_out: 3,
      purchased: 3,
      open: 0,
      abandoned: 1,
      abandonment_rate: 1 / 4,
    });
  });
});

describe('kpis', () => {
  it('reports per-stage traffic, conversion, basket, decision time and repurchases', async () => {
    const r = await report(site, 'kpis');
    expect(r.stages).toEqual([
      // awareness pages: A and C on /blog/post, D on /blog/guide. Sessions entering there: A, C, D's 2nd; C and D bounced.
      // Visible: 8 000, 30 000, 5 000 -> 8 000. to_next_stage: of those who entered awareness (A, C, D at T+3600 s),
      // A moved on to a later stage afterwards: 1 of 3.
      { stage: 'awareness', views: 3, visitors: 3, bounce_rate: 2 / 3, median_visible_ms: 8000, to_next_stage: 1 / 3 },
      // consideration pages: /p/mug (A, B), /pricing, /contact (D), /p/cup (E, G) = 6 views, 5 visitors.
      // Entries B, D, G; G bounced. Visible: A's mug 25 000, D's contact 35 000 -> 30 000.
      // Entered consideration: A, B, D, E, G; all but D (who went back to awareness) moved on to decision: 4 of 5.
      {
        stage: 'consideration',
        views: 6,
        visitors: 5,
        bounce_rate: 1 / 3,
        median_visible_ms: 30000,
        to_next_stage: 0.8,
      },
      // decision pages: /checkout (A, E twice, F), /cart (B) = 5 views, 4 visitors. Entries E (T-5 d), F: both single-page.
      // Visible: A 45 000, B 9 000 -> 27 000. Entered decision: A, B, E (T-5 d), F, G; only E moved on (retention at T): 1 of 5.
      { stage: 'decision', views: 5, visitors: 4, bounce_rate: 1, median_visible_ms: 27000, to_next_stage: 0.2 },
      // retention: E's /account, entered there; E later reached advocacy (T+60 s): 1 of 1.
      { stage: 'retention', views: 1, visitors: 1, bounce_rate: 0, median_visible_ms: null, to_next_stage: 1 },
      { stage: 'advocacy', views: 1, visitors: 1, bounce_rate: 0, median_visible_ms: 8000, to_next_stage: 0 },
    ]);
    expect(r.decision).toEqual({
      // Buyers A, E, F of 7 visitors.
      conversion_rate: 3 / 7,
      // EUR: (12.50 + 30 + 12) / 3 = 18.1666..; the resent T-E1 is counted once. USD: 100.
      average_basket: [
        { currency: 'EUR', value: 18.17 },
        { currency: 'USD', value: 100 },
      ],
      // From entering decision to buying: A 60 s (T+40 -> T+100), E 10 s then 20 s, F 5 s -> (10 000 + 20 000) / 2.
      median_decision_ms: 15000,
    });
    // E's second purchase is a repurchase: 1 of 3 buyers.
    expect(r.retention).toEqual({ repurchase_rate: 1 / 3 });
  });

  it('filters by from/to', async () => {
    const r = await report(site, 'kpis', narrow());
    // Without E's T-5 d visit and G: buyers A, E, F of A..F; E's purchase in the period is still a second one.
    expect(r.decision.conversion_rate).toBe(3 / 6);
    expect(r.retention.repurchase_rate).toBe(1 / 3);
    expect(r.stages[2]).toMatchObject({ views: 4, visitors: 4, bounce_rate: 1 });
  });
});

describe('events', () => {
  // The batch's events as they are stored and exported: by event time, ties in the order sent.
  const inEventOrder = () => [...events].sort((a, b) => a.ts - b.ts);

  it('exports every stored event as NDJSON, oldest first, with received_at', async () => {
    const res = await get(site, 'events');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/ndjson/);
    expect(res.headers.get('x-next-cursor')).toBeNull();
    const lines = (await text(res))
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    // One batch: its events in the order they happened (the fixture lists them visitor by visitor).
    expect(lines.map((l) => l.id)).toEqual(inEventOrder().map((e) => e.id));
    expect(lines[0]).toMatchObject({ ...inEventOrder()[0], received_at: expect.any(Number) });
  });

  it('pages with limit and x-next-cursor until nothing remains', async () => {
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await get(site, 'events', cursor ? { limit: 10, cursor } : { limit: 10 });
      ids.push(
        ...(await text(res))
          .trimEnd()
          .split('\n')
          .map((l) => JSON.parse(l).id),
      );
      cursor = res.headers.get('x-next-cursor');
      pages++;
    } while (cursor);
    expect(pages).toBe(Math.ceil(events.length / 10));
    expect(ids).toEqual(inEventOrder().map((e) => e.id));
  });

  it('exports only the period asked for', async () => {
    const res = await get(site, 'events', narrow());
    const ids = (await text(res))
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l).id);
    // Leaves out E's two events at T-5 d and G's two.
    expect(ids.length).toBe(events.length - 4);
  });
});
