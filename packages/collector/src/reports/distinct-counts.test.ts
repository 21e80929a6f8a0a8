// funnel, kpis, friction and transitions count visitors from each row's previous row of its kind, and page views from rollups: the
// numbers of grouping the period's rows by visitor, for any period.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type {
  BreakdownReport,
  FrictionReport,
  FunnelReport,
  KpisReport,
  TimeseriesReport,
  TransitionsReport,
  WireEvent,
} from '@parcours/protocol';
import { call, registerSite } from '../../test/helpers.ts';
import { pathTextSql } from '../db/insert-sql.ts';
import { TABLE } from '../db/schema.ts';
import { firstEntries } from './first-entries.ts';
import { siteDb, withSiteDb } from '../../test/site-rows.ts';
import { mondayOf, ORIGIN, report, wire } from '../../test/test-support.ts';

const STAGES = ['awareness', 'consideration', 'decision', 'retention', 'advocacy'];
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/**
 * A Friday 00:00 UTC, 17 to 24 days ago (the history's last event, at most 13 days later, is days in the past): the
 * history holds the end of one ISO week, a whole week and the start of the next, whatever the weekday of the run.
 */
const start = mondayOf(Date.now()) - 17 * DAY;
/** Periods start within this many minutes of `start` and last up to as long: the history and a little after. */
const PERIOD_MINUTES = 13 * 24 * 60;
let site: { id: string; token: string };

/** Where sessions come from in the seeded history. */
const TRAFFIC: Array<{ query: string; referrer?: string; click_id?: 'gclid' | 'fbclid' }> = [
  { query: '' },
  { query: '', referrer: 'https://www.google.com/' },
  { query: '', referrer: 'https://l.facebook.com/', click_id: 'fbclid' },
  { query: '?utm_source=newsletter&utm_medium=email&utm_campaign=spring' },
  { query: '?utm_source=google&utm_medium=cpc&utm_campaign=brand', click_id: 'gclid' },
  { query: '', referrer: 'https://blog.example.org/post' },
];
/** Browsers and edge countries batches come from: each session takes those of the batch holding its first page view. */
const UAS = [
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
];
const COUNTRIES = ['FR', 'DE', undefined];

/** Posts a batch with a User-Agent and an edge country, as a browser through Cloudflare would. */
async function sendFrom(events: WireEvent[], i: number) {
  const country = COUNTRIES[i % COUNTRIES.length];
  const res = await call('/v1/events', {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: ORIGIN, 'user-agent': UAS[i % UAS.length]! },
    body: JSON.stringify({ v: 1, site: site.id, sent_at: Date.now(), events }),
    ...(country ? { cf: { country } } : {}),
  } as RequestInit);
  expect(res.status).toBe(200);
  return (await res.json()) as { accepted: number };
}

/** A seeded history: 40 visitors first seen over eight days, coming back for up to six more, moving between stages both ways, some buying. */
function history(): WireEvent[] {
  const rnd = fc.sample(fc.array(fc.nat({ max: 999 }), { minLength: 4000, maxLength: 4000 }), {
    numRuns: 1,
    seed: 7,
  })[0]!;
  let i = 0;
  const next = (n: number) => rnd[i++ % rnd.length]! % n;
  const out: WireEvent[] = [];
  for (let v = 0; v < 40; v++) {
    let t = start + next(8 * 24) * HOUR;
    for (let s = 0, sessions = 1 + next(3); s < sessions; s++) {
      for (let e = 0, n = 1 + next(6); e < n; e++) {
        const stage = STAGES[next(5)]!;
        const type = next(10) === 0 ? 'purchase' : 'page_view';
        // A session's first event says where it came from: its channel, source and campaign vary.
        const traffic = e === 0 ? TRAFFIC[next(TRAFFIC.length)]! : { query: '' };
        out.push(
          wire({
            visitor: `d${v}`,
            session: `d${v}-${s}`,
            ts: (t += 1 + next(20) * 60_000),
            type,
            stage,
            path: `/${stage}/${next(3)}${traffic.query}`,
            ...(traffic.referrer ? { referrer: traffic.referrer } : {}),
            ...(traffic.click_id ? { click_id: traffic.click_id } : {}),
            ...(type === 'purchase'
              ? { value: 10 + next(3) * 5, currency: next(4) ? 'EUR' : 'USD', transaction_id: `t${v}-${s}-${e}` }
              : {}),
          }),
        );
        // Some views are left, with the time they were visible: kpis' median visible time.
        if (type === 'page_view' && next(3) > 0) {
          t += 1 + next(5) * 1000;
          out.push(
            wire({
              visitor: `d${v}`,
              session: `d${v}-${s}`,
              ts: t,
              type: 'page_leave',
              stage,
              path: `/${stage}/x`,
              duration_ms: 500 + next(900) * 100,
            }),
          );
        }
      }
      t += (1 + next(72)) * HOUR;
    }
  }
  return out;
}

const median = (xs: number[]) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round((s[Math.floor((s.length - 1) / 2)]! + s[Math.floor(s.length / 2)]!) / 2);
};
const rate = (a: number, b: number) => (b > 0 ? a / b : 0);

/** Runs SQL on the test site's rows with ?1 the site and ?2, ?3 the period [from, to), answering its rows. */
const periodRows =
  (from: number, to: number) =>
  <T>(sql: string): Promise<T[]> =>
    siteDb(site.id)
      .prepare(sql)
      .bind(site.id, from, to)
      .all<T>()
      .then((r) => r.results);

/** A filter as a report query (`{ channel: 'email,direct' }`) and as dimension -> values. */
type Filter = Record<string, string[]>;

/**
 * The funnel and kpis numbers REPORTS.md defines, computed the plain way: grouping the period's rows by visitor,
 * keeping with a filter only the rows of the sessions whose dimensions match (an EXISTS on `sessions`, per table).
 */
async function reference(from: number, to: number, filter: Filter = {}) {
  const keep = (table: string) =>
    Object.keys(filter).length
      ? ` AND EXISTS (SELECT 1 FROM ${TABLE.sessions} x WHERE x.site = ${table}.site AND x.visitor = ${table}.visitor AND x.session = ${table}.session AND ${Object.entries(
          filter,
        )
          .map(([d, vs]) => `x.${d} IN (${vs.map((v) => `'${v}'`).join(',')})`)
          .join(' AND ')})`
      : '';
  const q = periodRows(from, to);
  const firsts = await q<{ k: number; next: number | null; onward: number | null }>(
    `SELECT to_index AS k, CASE WHEN MIN(time) + next_ms < ?3 THEN next_ms END AS next, CASE WHEN MIN(time) + onward_ms < ?3 THEN 1 END AS onward
       FROM ${TABLE.transitions} WHERE site = ?1 AND time >= ?2 AND time < ?3 ${keep(TABLE.transitions)} GROUP BY to_index, visitor`,
  );
  const viewers = await q<{ k: number; n: number; views: number; entries: number; bounces: number }>(
    `SELECT stage_index AS k, COUNT(DISTINCT visitor) AS n, COUNT(*) AS views, SUM(is_entry) AS entries, SUM(is_entry AND is_bounce) AS bounces
       FROM ${TABLE.page_views} WHERE site = ?1 AND time >= ?2 AND time < ?3 ${keep(TABLE.page_views)} GROUP BY stage_index`,
  );
  const [active] = await q<{ n: number }>(
    `SELECT COUNT(*) AS n FROM (SELECT visitor FROM ${TABLE.page_views} WHERE site = ?1 AND time >= ?2 AND time < ?3 ${keep(TABLE.page_views)}
       UNION SELECT visitor FROM ${TABLE.purchases} WHERE site = ?1 AND time >= ?2 AND time < ?3 ${keep(TABLE.purchases)})`,
  );
  const pages = await q<{ path: string; stage: number; views: number; visitors: number; exits: number }>(
    `SELECT ${pathTextSql('path_id')} AS path, stage_index AS stage, COUNT(*) AS views, COUNT(DISTINCT visitor) AS visitors, SUM(is_exit) AS exits
       FROM ${TABLE.page_views} WHERE site = ?1 AND time >= ?2 AND time < ?3 ${keep(TABLE.page_views)} GROUP BY path_id, stage_index ORDER BY path, stage_index`,
  );
  const moves = await q<{ f: number | null; k: number; visitor: string; since: number | null }>(
    `SELECT from_index AS f, to_index AS k, visitor, since_ms AS since FROM ${TABLE.transitions} WHERE site = ?1 AND time >= ?2 AND time < ?3 ${keep(TABLE.transitions)}`,
  );
  const pairs = new Map<
    string,
    {
      from: string | null;
      to: string;
      count: number;
      visitors: Set<string>;
      since: number[];
      f: number | null;
      k: number;
    }
  >();
  for (const m of moves) {
    const key = `${m.f} ${m.k}`;
    const p = pairs.get(key) ?? {
      from: m.f === null ? null : STAGES[m.f]!,
      to: STAGES[m.k]!,
      count: 0,
      visitors: new Set<string>(),
      since: [],
      f: m.f,
      k: m.k,
    };
    p.count++;
    p.visitors.add(m.visitor);
    if (m.since !== null) p.since.push(m.since);
    pairs.set(key, p);
  }
  const transitions = [...pairs.values()]
    .sort(
      (a, b) =>
        b.count - a.count ||
        b.visitors.size - a.visitors.size ||
        Number(a.f !== null) - Number(b.f !== null) ||
        (a.f ?? 0) - (b.f ?? 0) ||
        a.k - b.k,
    )
    .map((p) => ({
      from: p.from,
      to: p.to,
      count: p.count,
      visitors: p.visitors.size,
      median_ms: p.f === null ? null : median(p.since),
    }));
  const [buyers] = await q<{ n: number }>(
    `SELECT COUNT(DISTINCT visitor) AS n FROM ${TABLE.purchases} WHERE site = ?1 AND time >= ?2 AND time < ?3 ${keep(TABLE.purchases)}`,
  );
  const visible = await q<{ k: number; d: number }>(
    `SELECT stage_index AS k, visible_ms AS d FROM ${TABLE.page_views}
      WHERE site = ?1 AND time >= ?2 AND time < ?3 AND visible_ms IS NOT NULL ${keep(TABLE.page_views)}`,
  );
  const decisions = await q<{ d: number }>(
    `SELECT decision_ms AS d FROM ${TABLE.purchases} WHERE site = ?1 AND time >= ?2 AND time < ?3 AND decision_ms IS NOT NULL ${keep(TABLE.purchases)}`,
  );
  const baskets = await q<{ currency: string; value: number }>(
    `SELECT currency, ROUND(AVG(value), 2) AS value FROM ${TABLE.purchases} WHERE site = ?1 AND time >= ?2 AND time < ?3 ${keep(TABLE.purchases)}
      GROUP BY currency ORDER BY COUNT(*) DESC, currency`,
  );
  const of = (k: number) => firsts.filter((r) => r.k === k);
  return {
    funnel: STAGES.map((stage, k) => {
      const prev = of(k - 1)
        .map((r) => r.next)
        .filter((d): d is number => d !== null);
      return {
        stage,
        visitors: of(k).length,
        rate_from_previous: k === 0 ? null : rate(prev.length, of(k - 1).length),
        median_ms_from_previous: k === 0 ? null : median(prev),
      };
    }),
    kpis: STAGES.map((stage, k) => {
      const v = viewers.find((r) => r.k === k);
      return {
        stage,
        views: v?.views ?? 0,
        visitors: v?.n ?? 0,
        bounce_rate: rate(v?.bounces ?? 0, v?.entries ?? 0),
        median_visible_ms: median(visible.filter((r) => r.k === k).map((r) => r.d)),
        to_next_stage: rate(of(k).filter((r) => r.onward).length, of(k).length),
      };
    }),
    conversion_rate: rate(buyers?.n ?? 0, active?.n ?? 0),
    median_decision_ms: median(decisions.map((r) => r.d)),
    average_basket: baskets,
    pages: pages.map((p) => ({ ...p, stage: STAGES[p.stage]! })),
    transitions,
  };
}

/** The reports of a period (with a filter, when given) equal the reference numbers. */
async function expectReportsEqualReference(from: number, to: number, filter: Filter = {}) {
  const query = {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    ...Object.fromEntries(Object.entries(filter).map(([d, vs]) => [d, vs.join(',')])),
  };
  const want = await reference(from, to, filter);
  const funnel = await report<FunnelReport>(site, 'funnel', query);
  const kpis = await report<KpisReport>(site, 'kpis', query);
  expect(funnel.stages).toEqual(want.funnel);
  expect(
    kpis.stages.map(({ stage, views, visitors, bounce_rate, median_visible_ms, to_next_stage }) => ({
      stage,
      views,
      visitors,
      bounce_rate,
      median_visible_ms,
      to_next_stage,
    })),
  ).toEqual(want.kpis);
  expect(kpis.decision.conversion_rate).toBe(want.conversion_rate);
  expect(kpis.decision.median_decision_ms).toBe(want.median_decision_ms);
  expect(kpis.decision.average_basket).toEqual(want.average_basket);
  const friction = await report<FrictionReport>(site, 'friction', query);
  const pages = friction.pages.map(({ path, stage, views, visitors, exits }) => ({
    path,
    stage,
    views,
    visitors,
    exits,
  }));
  pages.sort((a, b) =>
    a.path < b.path ? -1 : a.path > b.path ? 1 : STAGES.indexOf(a.stage) - STAGES.indexOf(b.stage),
  );
  expect(pages).toEqual(want.pages);
  expect((await report<TransitionsReport>(site, 'transitions', query)).transitions).toEqual(want.transitions);
  // breakdown by each of a few dimensions: the visitors, sessions and stage entries of each value.
  for (const by of ['channel', 'device', 'landing']) {
    const got = (await report<BreakdownReport>(site, 'breakdown', { ...query, by, limit: '1000' })).rows
      .map(({ value, visitors, sessions, entered }) => ({ value, visitors, sessions, entered }))
      .filter((r) => r.visitors > 0 || Object.values(r.entered).some((n) => n > 0));
    expect(sortByValue(got)).toEqual(await breakdownReference(from, to, filter, by));
  }
  // timeseries by hour, day and week: each interval's visitors, sessions, page views and entries (without a filter,
  // whole intervals from the rollups and the partial first and last from rows).
  for (const interval of ['hour', 'day', 'week'] as const) {
    const series = await report<TimeseriesReport>(site, 'timeseries', { ...query, interval });
    expect(
      series.points
        .filter((p) => p.page_views > 0 || Object.values(p.entered).some((n) => n > 0))
        .map(({ t, visitors, sessions, page_views, entered }) => ({ t, visitors, sessions, page_views, entered })),
    ).toEqual(await timeseriesReference(from, to, filter, interval));
  }
  return want;
}

/** SQL keeping the rows (aliased `r`) of the period whose session (joined as `x`) matches the filter. */
function keptRows(table: string, filter: Filter): string {
  const matches = Object.entries(filter)
    .map(([d, vs]) => ` AND x.${d} IN (${vs.map((v) => `'${v}'`).join(',')})`)
    .join('');
  return `${table} r JOIN ${TABLE.sessions} x ON x.site = r.site AND x.visitor = r.visitor AND x.session = r.session
      WHERE r.site = ?1 AND r.time >= ?2 AND r.time < ?3${matches}`;
}

/** Width and start of each interval: UTC hours, days, and weeks from Monday (1970-01-05 was one). */
const INTERVAL_MS = { hour: [HOUR, 0], day: [24 * HOUR, 0], week: [7 * 24 * HOUR, 4 * 24 * HOUR] } as const;

/** timeseries' intervals with a page view or an entry as REPORTS.md defines them, the plain way: distinct counts per interval. */
async function timeseriesReference(from: number, to: number, filter: Filter, interval: keyof typeof INTERVAL_MS) {
  const [width, origin] = INTERVAL_MS[interval];
  const q = periodRows(from, to);
  const views = await q<{ h: number; visitors: number; sessions: number; page_views: number }>(
    `SELECT (r.time - ${origin}) / ${width} AS h, COUNT(DISTINCT r.visitor) AS visitors,
            COUNT(DISTINCT r.visitor || ' ' || r.session) AS sessions, COUNT(*) AS page_views
       FROM ${keptRows(TABLE.page_views, filter)} GROUP BY 1`,
  );
  const entries = await q<{ h: number; k: number; n: number }>(
    `SELECT (r.time - ${origin}) / ${width} AS h, r.to_index AS k, COUNT(DISTINCT r.visitor) AS n
       FROM ${keptRows(TABLE.transitions, filter)} GROUP BY 1, 2`,
  );
  return [...new Set([...views, ...entries].map((r) => r.h))]
    .sort((a, b) => a - b)
    .map((h) => {
      const v = views.find((r) => r.h === h);
      return {
        t: new Date(h * width + origin).toISOString(),
        visitors: v?.visitors ?? 0,
        sessions: v?.sessions ?? 0,
        page_views: v?.page_views ?? 0,
        entered: Object.fromEntries(
          STAGES.map((stage, k) => [stage, entries.find((e) => e.h === h && e.k === k)?.n ?? 0]),
        ),
      };
    });
}

const sortByValue = <T extends { value: string }>(rows: T[]) =>
  rows.sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));

/**
 * breakdown's visitors, sessions and entries per value of `by` as REPORTS.md defines them, the plain way: the period's
 * page views and moves of the matching sessions joined to their session's value, grouped.
 */
async function breakdownReference(from: number, to: number, filter: Filter, by: string) {
  const joined = (table: string) => keptRows(table, filter);
  const q = periodRows(from, to);
  const views = await q<{ value: string; visitors: number; sessions: number }>(
    `SELECT x.${by} AS value, COUNT(DISTINCT r.visitor) AS visitors, COUNT(DISTINCT r.visitor || ' ' || r.session) AS sessions
       FROM ${joined(TABLE.page_views)} GROUP BY 1`,
  );
  const entries = await q<{ value: string; k: number; n: number }>(
    `SELECT x.${by} AS value, r.to_index AS k, COUNT(DISTINCT r.visitor) AS n FROM ${joined(TABLE.transitions)} GROUP BY 1, 2`,
  );
  const values = [...new Set([...views, ...entries].map((r) => r.value))];
  return sortByValue(
    values.map((value) => {
      const v = views.find((r) => r.value === value);
      return {
        value,
        visitors: v?.visitors ?? 0,
        sessions: v?.sessions ?? 0,
        entered: Object.fromEntries(
          STAGES.map((stage, k) => [stage, entries.find((e) => e.value === value && e.k === k)?.n ?? 0]),
        ),
      };
    }),
  );
}

beforeAll(async () => {
  site = await registerSite();
  const events = history();
  // Out of order: later batches first, as an offline outbox may deliver.
  const batches = Array.from({ length: Math.ceil(events.length / 25) }, (_, i) =>
    events.slice(i * 25, (i + 1) * 25),
  ).reverse();
  for (const [i, batch] of batches.entries()) expect((await sendFrom(batch, i)).accepted).toBe(batch.length);
});

describe('distinct visitors without grouping by visitor', () => {
  it("the funnel, kpis, friction and transitions give the numbers of grouping the period's rows by visitor, for any period", async () => {
    // Always, besides the random periods: Saturday noon to the Tuesday noon ten days later. Its weekly series takes the
    // whole week between from the rollups and the partial weeks at either end from rows, and all three were viewed; in
    // the whole week, visitors came back on another day (fewer visitors in the week than in its days added up).
    const saturday = start + 1.5 * DAY;
    await expectReportsEqualReference(saturday, saturday + 10 * DAY);
    const whole = mondayOf(saturday) + 7 * DAY;
    const weeks = await timeseriesReference(saturday, saturday + 10 * DAY, {}, 'week');
    expect(weeks.map((w) => w.t)).toEqual([-7, 0, 7].map((d) => new Date(whole + d * DAY).toISOString()));
    const days = await timeseriesReference(whole, whole + 7 * DAY, {}, 'day');
    expect(weeks[1]!.visitors).toBeLessThan(days.reduce((n, d) => n + d.visitors, 0));
    await fc.assert(
      // Periods from a few minutes (inside one hour of the rollup) to the whole history, at any millisecond.
      fc.asyncProperty(
        fc.integer({ min: 0, max: PERIOD_MINUTES }),
        fc.integer({ min: 1, max: PERIOD_MINUTES }),
        fc.nat({ max: 59_999 }),
        async (fromMinute, minutes, ms) => {
          const from = start + fromMinute * 60_000 - ms;
          const to = from + minutes * 60_000;
          await expectReportsEqualReference(from, to);
          // The three readings of first entries agree (the rollup one, taken above for wide periods, and the index ranges).
          const range = { from, to, now: Date.now() };
          for (const lookAhead of ['next_ms', 'onward_ms'] as const) {
            const [byRanges, byDefault] = await withSiteDb(site.id, async (db) => [
              await firstEntries(db, { id: site.id, stages: STAGES }, range, lookAhead, -1),
              await firstEntries(db, { id: site.id, stages: STAGES }, range, lookAhead),
            ]);
            expect(byRanges).toEqual(byDefault);
          }
        },
      ),
      { numRuns: 60 },
    );
    // Not vacuous: over the whole history, visitors came back (fewer visitors than entries) and moved on.
    const all = await reference(start - HOUR, Date.now());
    const [rows] = (
      await siteDb(site.id)
        .prepare(`SELECT COUNT(*) AS n FROM ${TABLE.transitions} WHERE site = ?`)
        .bind(site.id)
        .all<{ n: number }>()
    ).results;
    expect(all.funnel.reduce((a, s) => a + s.visitors, 0)).toBeLessThan(rows!.n);
    expect(all.funnel.some((s) => (s.rate_from_previous ?? 0) > 0)).toBe(true);
    // The medians compared are not all null: views were left with a visible time, purchases came after a first view.
    expect(all.kpis.filter((s) => s.median_visible_ms !== null).length).toBeGreaterThan(2);
    expect(all.median_decision_ms).not.toBeNull();
    expect(all.average_basket.length).toBe(2);
  });

  it('with any filter on dimensions, give the reference numbers over the rows of the matching sessions only, for any period', async () => {
    const values = async (d: string) =>
      (
        await siteDb(site.id)
          .prepare(`SELECT DISTINCT ${d} AS v FROM ${TABLE.sessions} WHERE site = ? ORDER BY 1`)
          .bind(site.id)
          .all<{ v: string }>()
      ).results.map((r) => r.v);
    const present: Record<string, string[]> = {};
    for (const d of ['channel', 'device', 'country', 'source', 'browser']) present[d] = await values(d);
    // Not vacuous: the history's sessions differ in each dimension filtered on.
    for (const d of ['channel', 'device', 'country']) expect(present[d]!.length).toBeGreaterThan(1);
    const filters = fc
      .uniqueArray(fc.constantFrom('channel', 'device', 'country', 'source', 'browser'), { minLength: 1, maxLength: 2 })
      .chain((dims) =>
        fc.tuple(
          ...dims.map((d) =>
            fc
              .subarray([...present[d]!, ...(d === 'country' ? ['JP'] : d === 'source' ? ['nobody.example'] : [])], {
                minLength: 1,
              })
              .map((vs) => [d, vs] as const),
          ),
        ),
      )
      .map((entries) => Object.fromEntries(entries) as Filter);
    let nonEmpty = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: PERIOD_MINUTES }),
        fc.integer({ min: 1, max: PERIOD_MINUTES }),
        fc.nat({ max: 59_999 }),
        filters,
        async (fromMinute, minutes, ms, filter) => {
          const from = start + fromMinute * 60_000 - ms;
          const want = await expectReportsEqualReference(from, from + minutes * 60_000, filter);
          if (want.funnel.some((s) => s.visitors > 0)) nonEmpty++;
        },
      ),
      { numRuns: 40 },
    );
    // Random filters and periods: a quarter or more of the runs found visitors (10 to 20 of 40 seen); fewer than 4 would
    // mean the filters mostly miss, and the comparison above proved little.
    expect(nonEmpty).toBeGreaterThanOrEqual(4);
  });
});
