// page_view_hours, page_days, entry_hours and pair_hours always equal the sums of the rows they roll up, however batches arrive and
// repeat, and whatever point a visitor is derived again from.
import { siteDb, withSiteDb } from '../../test/site-rows.ts';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerSite } from '../../test/helpers.ts';
import { mondayOf, send, wire } from '../../test/test-support.ts';
import { deriveVisitors } from './index.ts';
import { TABLE } from '../db/schema.ts';

const STAGES = ['awareness', 'consideration', 'decision', 'retention', 'advocacy'];
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const FIRSTS = ['hour_firsts', 'day_firsts', 'week_firsts'] as const;
/** The counts of each rollup: all compared, and none may go negative. */
const COUNTS = {
  page_view_hours: ['views', 'entries', 'bounces', 'timed', 'first_stage_views', 'first_views', ...FIRSTS],
  page_days: ['views', 'exits', 'first_views'],
  entry_hours: ['entered', 'nexts', 'onwards'],
  pair_hours: ['moves', 'first_moves', ...FIRSTS],
} as const;
type Rollup = keyof typeof COUNTS;
/** SQL keeping a rollup's rows with a count: one left all zeros by a subtraction is nothing, any other is compared. */
const counted = (table: Rollup) => `(${COUNTS[table].map((c) => `${c} <> 0`).join(' OR ')})`;
/**
 * Two hours before a Monday 00:00 UTC (the last one at least two days ago: every event, up to Tuesday 03:00, is in the
 * past): whatever the weekday of the run, the events' first five hours cross hours, a day and an ISO week.
 */
const start = mondayOf(Date.now() - 2 * DAY) - 2 * HOUR;

/**
 * SQL: per group, the rows that were their visitor's first of their UTC hour, day and ISO week (weeks from Monday
 * 1970-01-05), counted the plain way: no row of the same visitor (and stage, for moves) earlier in the same interval.
 */
function firstsOf(previous: 'prev_view' | 'prev_entry'): string {
  const sameKind = previous === 'prev_entry' ? ' AND q.to_index = r.to_index' : '';
  const table = previous === 'prev_entry' ? TABLE.transitions : TABLE.page_views;
  return [
    ['hour_firsts', HOUR, 0],
    ['day_firsts', DAY, 0],
    ['week_firsts', 7 * DAY, 4 * DAY],
  ]
    .map(
      ([column, width, origin]) =>
        `SUM(NOT EXISTS (SELECT 1 FROM ${table} q WHERE q.site = r.site AND q.visitor = r.visitor${sameKind}
           AND (q.time - ${origin}) / ${width} = (r.time - ${origin}) / ${width} AND (q.time < r.time OR q.time = r.time AND q.event_id < r.event_id))) AS ${column}`,
    )
    .join(', ');
}

const event = fc.record({
  visitor: fc.constantFrom('a', 'b', 'c'),
  type: fc.constantFrom('page_view', 'page_view', 'page_leave', 'add_to_cart'),
  stage: fc.constantFrom(...STAGES),
  session: fc.constantFrom('s1', 's2'),
  // Over five hours around that Monday midnight, and one in four a day later (around Tuesday midnight: a day turns, not
  // the week): views move between hours, days and weeks as earlier events arrive.
  at: fc.integer({ min: 0, max: 5 * HOUR }),
  dayLater: fc.constantFrom(0, 0, 0, DAY),
});

const MINUTE = 60_000;
/**
 * One visitor who views a page on Sunday night, twice after Monday midnight (a new week, then a new hour) and twice
 * after Tuesday midnight (a new day of the same week), moving between two stages; the last view arrives first, so the
 * others' rollups add to a row it made. A run that turns every interval, always tried besides the generated ones.
 */
const turning = (
  [
    [90, 'awareness', 0],
    [150, 'consideration', 0],
    [200, 'awareness', 0],
    [150, 'consideration', DAY],
    [160, 'consideration', DAY],
  ] as const
).map(([minutes, stage, dayLater]) => ({
  visitor: 'a' as const,
  type: 'page_view' as const,
  stage,
  session: 's1' as const,
  at: minutes * MINUTE,
  dayLater,
}));

describe('page_view_hours, page_days, entry_hours and pair_hours', () => {
  let site: { id: string; token: string };
  beforeAll(async () => {
    site = await registerSite();
  });

  let run = 0;
  // Runs in which a visitor already seen viewed a page in a new week (Sunday, then Monday), in a new day of the same
  // week (Monday, then Tuesday) and in a new hour of the same day: the *_firsts compared differ from first views, and
  // from each other. The site keeps every run's rows: a run's are the change in the totals.
  const turned = { week: 0, day: 0, hour: 0 };
  let before: Record<string, number> = {};
  it('equal the hourly and daily sums of page_views and transitions after shuffled, split and resent batches', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(event, { minLength: 1, maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 5 }),
        fc.boolean(),
        fc.nat(),
        async (list, cuts, resend, late) => {
          const prefix = `h${++run}-`;
          const events = list.map((e) =>
            wire({
              visitor: prefix + e.visitor,
              session: prefix + e.visitor + e.session,
              ts: start + e.dayLater + e.at,
              type: e.type,
              stage: e.stage,
              path: `/${e.stage}`,
              ...(e.type === 'page_leave' ? { duration_ms: 1000 } : {}),
            }),
          );
          const points = [...new Set(cuts.map((c) => c % events.length).filter((c) => c > 0))].sort((a, b) => a - b);
          const batches = [...points, events.length].map((p, i, all) => events.slice(i ? all[i - 1] : 0, p));
          batches.reverse();
          if (resend) batches.push(batches[0]!);
          for (const batch of batches) await send(site.id, batch);
          const views = await expectRollupsEqualSums(list.some((e) => e.type === 'page_view'));
          const totals = Object.fromEntries(
            ['first_views', ...FIRSTS].map((c) => [c, views.reduce((n, row) => n + (row[c] as number), 0)]),
          );
          const added = (column: string) => totals[column]! - (before[column] ?? 0);
          if (added('week_firsts') > added('first_views')) turned.week++;
          if (added('day_firsts') > added('week_firsts')) turned.day++;
          if (added('hour_firsts') > added('day_firsts')) turned.hour++;
          before = totals;
          // A late re-derivation of each visitor from one of their events on, a page of 2 events at a time: the same.
          const visitors = [...new Set(events.map((e) => e.visitor))];
          const at = events[late % events.length]!.ts;
          await withSiteDb(site.id, (db) =>
            deriveVisitors(
              db,
              { id: site.id, stages: STAGES },
              visitors.map((visitor) => ({ visitor, time: at })),
              2,
            ),
          );
          await expectRollupsEqualSums(list.some((e) => e.type === 'page_view'));
        },
      ),
      { numRuns: 20, examples: [[turning, [4], false, 0]] },
    );
    expect(turned.week).toBeGreaterThan(0);
    expect(turned.day).toBeGreaterThan(0);
    expect(turned.hour).toBeGreaterThan(0);
  });

  /** Compares every rollup to the sums of its rows; answers page_view_hours' sums. */
  async function expectRollupsEqualSums(viewed: boolean): Promise<Record<string, unknown>[]> {
    const rollup = await siteDb(site.id)
      .prepare(
        `SELECT stage_index, hour, ${COUNTS.page_view_hours.join(', ')}
           FROM ${TABLE.page_view_hours} WHERE site = ? AND ${counted('page_view_hours')} ORDER BY stage_index, hour`,
      )
      .bind(site.id)
      .all();
    const sums = await siteDb(site.id)
      .prepare(
        `SELECT stage_index, CAST(time / ${HOUR} AS INTEGER) AS hour, COUNT(*) AS views, SUM(is_entry) AS entries,
                  SUM(is_entry AND is_bounce) AS bounces, COUNT(visible_ms) AS timed,
                  COUNT(*) - COUNT(prev_stage_view) AS first_stage_views, COUNT(*) - COUNT(prev_view) AS first_views,
                  ${firstsOf('prev_view')}
             FROM ${TABLE.page_views} r WHERE site = ? GROUP BY 1, 2 ORDER BY 1, 2`,
      )
      .bind(site.id)
      .all();
    expect(rollup.results).toEqual(sums.results);
    const days = await siteDb(site.id)
      .prepare(
        `SELECT path_id, stage_index, day, ${COUNTS.page_days.join(', ')}
           FROM ${TABLE.page_days} WHERE site = ? AND ${counted('page_days')} ORDER BY 1, 2, 3`,
      )
      .bind(site.id)
      .all();
    const daySums = await siteDb(site.id)
      .prepare(
        `SELECT path_id, stage_index, CAST(time / 86400000 AS INTEGER) AS day, COUNT(*) AS views, SUM(is_exit) AS exits,
                  COUNT(*) - COUNT(prev_path_view) AS first_views
             FROM ${TABLE.page_views} WHERE site = ? GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
      )
      .bind(site.id)
      .all();
    expect(days.results).toEqual(daySums.results);
    const entries = await siteDb(site.id)
      .prepare(
        `SELECT to_index, hour, ${COUNTS.entry_hours.join(', ')}
           FROM ${TABLE.entry_hours} WHERE site = ? AND ${counted('entry_hours')} ORDER BY 1, 2`,
      )
      .bind(site.id)
      .all();
    const entrySums = await siteDb(site.id)
      .prepare(
        `SELECT to_index, CAST(time / ${HOUR} AS INTEGER) AS hour, COUNT(*) AS entered, COUNT(next_ms) AS nexts, COUNT(onward_ms) AS onwards
             FROM ${TABLE.transitions} WHERE site = ? AND prev_entry IS NULL GROUP BY 1, 2 ORDER BY 1, 2`,
      )
      .bind(site.id)
      .all();
    expect(entries.results).toEqual(entrySums.results);
    const pairs = await siteDb(site.id)
      .prepare(
        `SELECT to_index, from_index, hour, ${COUNTS.pair_hours.join(', ')}
           FROM ${TABLE.pair_hours} WHERE site = ? AND ${counted('pair_hours')} ORDER BY 1, 2, 3`,
      )
      .bind(site.id)
      .all();
    const pairSums = await siteDb(site.id)
      .prepare(
        `SELECT to_index, IFNULL(from_index, -1) AS from_index, CAST(time / ${HOUR} AS INTEGER) AS hour, COUNT(*) AS moves,
                  COUNT(*) - COUNT(prev_pair) AS first_moves, ${firstsOf('prev_entry')}
             FROM ${TABLE.transitions} r WHERE site = ? GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
      )
      .bind(site.id)
      .all();
    expect(pairs.results).toEqual(pairSums.results);
    // Nothing negative left behind by a subtraction, and not vacuous once a page view was sent.
    for (const table of Object.keys(COUNTS) as Rollup[]) {
      const negative = await siteDb(site.id)
        .prepare(
          `SELECT COUNT(*) AS n FROM ${TABLE[table]} WHERE site = ? AND (${COUNTS[table].map((c) => `${c} < 0`).join(' OR ')})`,
        )
        .bind(site.id)
        .first<number>('n');
      expect(negative).toBe(0);
    }
    if (viewed) expect(sums.results.length).toBeGreaterThan(0);
    return sums.results;
  }
});
