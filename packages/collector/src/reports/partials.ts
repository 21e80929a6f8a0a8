// What a shard of a site of several shards sends with a report so that merge.ts can answer it exactly: the numerators
// and denominators behind its rates, and a sample of the values behind its medians (a median of medians is not the
// median: medians.ts finds the exact one in two rounds).
// Visitors are partitioned by shard, so every count here adds across shards. A site of one shard never reads these.
import { FORM_ABANDON, FRICTION_EVENTS } from '@parcours/protocol';
import { pathTextSql } from '../db/insert-sql.ts';
import { DIMENSION_COLUMNS, INDEX, TABLE } from '../db/schema.ts';
import { NO_CURRENCY } from './carts.ts';
import { filterWhere, sessionCondition, sessionMatches } from './filter.ts';
import { filteredFirstEntryRows, firstEntries, type StageEntries } from './first-entries.ts';
import { fieldEntriesFrom } from './forms.ts';
import { pageViewStats } from './page-view-stats.ts';
import type { ReportQuery } from './query.ts';
import { invalidQuery } from './run.ts';
import { type SatisfactionSums, satisfactionSums } from './satisfaction.ts';
import { FIRST_ENTRY_IN_PERIOD, stagePositions, type ReportSite } from './sql.ts';
import { SAMPLES, sampleValues, type ShardMedians } from './medians.ts';

/** Counts by key (added across shards) and value lists by key (whose medians are taken over every shard's). */
interface Partial {
  counts: Record<string, number>;
  values: Record<string, number[]>;
  /** satisfaction: its sums per group of answers, which add across shards. */
  satisfaction?: SatisfactionSums;
}

type Rows = Array<{ key: string | number; d: number }>;

/**
 * `indexed` (an index choice) for a value list without a filter: each group's values come in order from an index
 * already in value order, so neither the shard nor the merge sorts much (V8 merges the shards' sorted runs). A filtered
 * list is sorted by SQLite after reading the matching rows.
 */
const inValueOrder = (q: ReportQuery, indexed: string) => (q.range.filter ? '' : ` ${indexed.trim()}`);

/** Appends `items` to the list of `key` (made on first use). */
function append(lists: Record<string, number[]>, key: string, ...items: number[]): void {
  const list = lists[key];
  if (list) list.push(...items);
  else lists[key] = items;
}

/** Value lists by key from rows of `(key, d)`. */
function valuesOf(rows: Rows, prefix = ''): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const { key, d } of rows) append(out, `${prefix}${key}`, d);
  return out;
}

/** Per stage, the first entries of the period (`entered:k`) and those that reached further (`reached:k`). */
function entryCounts(perStage: Map<number, StageEntries>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [k, e] of perStage) Object.assign(counts, { [`entered:${k}`]: e.entered, [`reached:${k}`]: e.reached });
  return counts;
}

/**
 * The funnel's (and kpis' `to_next_stage`) first entries into each stage in the period, each visitor's first in
 * (time, event id) order: `entered:k`, `reached:k` (its look-ahead landed before the period's end) and the look-aheads
 * of those that reached (`k`), over the kept sessions.
 */
async function firstEntryValues(db: D1Database, site: ReportSite, q: ReportQuery): Promise<Partial> {
  if (!q.range.filter) {
    // Without a filter, the funnel's own first entries (rollups and indexes) and the look-aheads of those that reached,
    // from the index in next_ms order (first entries are the moves whose previous entry came before the period).
    const [perStage, { results }] = await Promise.all([
      firstEntries(db, site, q.range, 'next_ms'),
      db
        .prepare(
          `SELECT to_index AS key, next_ms AS d FROM ${TABLE.transitions} INDEXED BY ${INDEX.transitions_site_next}
            WHERE site = ?1 AND ${stagePositions('to_index', site)} AND next_ms IS NOT NULL AND time >= ?2 AND time < ?3
              AND ${FIRST_ENTRY_IN_PERIOD} AND time + next_ms < ?3 ORDER BY to_index, next_ms`,
        )
        .bind(site.id, q.range.from, q.range.to)
        .all<{ key: number; d: number }>(),
    ]);
    return { counts: entryCounts(perStage), values: valuesOf(results) };
  }
  const { results } = await db
    .prepare(`SELECT to_index AS key, d FROM (${filteredFirstEntryRows(site, q.range, 'next_ms')})`)
    .bind(site.id, q.range.from, q.range.to)
    .all<{ key: number; d: number | null }>();
  const counts: Record<string, number> = {};
  for (const r of results) {
    counts[`entered:${r.key}`] = (counts[`entered:${r.key}`] ?? 0) + 1;
    if (r.d !== null) counts[`reached:${r.key}`] = (counts[`reached:${r.key}`] ?? 0) + 1;
  }
  return { counts, values: valuesOf(results.filter((r) => r.d !== null) as Rows) };
}

/** transitions: the time spent in `from` of every move of the period between two stages, by `from>to` positions. */
async function transitionValues(db: D1Database, site: ReportSite, q: ReportQuery): Promise<Partial> {
  const { results } = await db
    .prepare(
      `SELECT from_index || '>' || to_index AS key, since_ms AS d FROM ${TABLE.transitions}${inValueOrder(q, `INDEXED BY ${INDEX.transitions_site_pair} `)}
        WHERE site = ?1 AND time >= ?2 AND time < ?3 AND from_index IS NOT NULL AND since_ms IS NOT NULL${sessionCondition(site.id, q.range.filter)}
        ORDER BY to_index, from_index, since_ms`,
    )
    .bind(site.id, q.range.from, q.range.to)
    .all<{ key: string; d: number }>();
  return { counts: {}, values: valuesOf(results) };
}

/**
 * kpis: per page stage its views, visitors, entries and bounces (`views:k`, `visitors:k`, `entries:k`, `bounces:k`) and
 * visible times (`visible:k`); the first
 * entries followed by any later stage (`entered:k`, `reached:k`); active visitors (`active`), buyers and repeat buyers,
 * decision times (`decision`), and per currency the purchases with an amount and their sum (`basket_n:C`, `basket:C`).
 */
async function kpisValues(db: D1Database, site: ReportSite, q: ReportQuery): Promise<Partial> {
  const { range } = q;
  const binds = [site.id, range.from, range.to];
  const period = `site = ?1 AND time >= ?2 AND time < ?3`;
  const purchases = `${period}${sessionMatches(site.id, range.filter, 'u')}`;
  const [views, onward, [visible, buyers, baskets, decisions]] = await Promise.all([
    pageViewStats(db, site, range, false),
    firstEntries(db, site, range, 'onward_ms'),
    db.batch([
      db
        .prepare(
          `SELECT stage_index AS key, visible_ms AS d FROM ${TABLE.page_views}${inValueOrder(q, `INDEXED BY ${INDEX.page_views_site_visible} `)}
            WHERE ${period} AND ${stagePositions('stage_index', site)} AND visible_ms IS NOT NULL${sessionCondition(site.id, range.filter)}
            ORDER BY stage_index, visible_ms`,
        )
        .bind(...binds),
      // Buyers, repeat buyers, and buyers without a kept page view in the period (active visitors besides the viewers).
      db
        .prepare(
          `SELECT COUNT(DISTINCT visitor) AS buyers, COUNT(DISTINCT CASE WHEN nth > 1 THEN visitor END) AS repeat_buyers,
                  COUNT(DISTINCT CASE WHEN NOT EXISTS (SELECT 1 FROM ${TABLE.page_views} p WHERE p.site = ?1 AND p.visitor = u.visitor
                    AND p.time >= ?2 AND p.time < ?3${sessionMatches(site.id, range.filter, 'p')}) THEN visitor END) AS buyers_only
             FROM ${TABLE.purchases} u WHERE ${purchases}`,
        )
        .bind(...binds),
      db
        .prepare(
          `SELECT IFNULL(currency, '${NO_CURRENCY}') AS currency, COUNT(*) AS n, SUM(value) AS amount FROM ${TABLE.purchases} u
            WHERE ${purchases} AND value >= 0 GROUP BY 1`,
        )
        .bind(...binds),
      db
        .prepare(
          `SELECT 'decision' AS key, decision_ms AS d FROM ${TABLE.purchases} u${inValueOrder(q, `INDEXED BY ${INDEX.purchases_site_decision} `)}
            WHERE ${purchases} AND decision_ms IS NOT NULL ORDER BY decision_ms`,
        )
        .bind(...binds),
    ]),
  ]);
  const b = buyers!.results[0] as { buyers: number; repeat_buyers: number; buyers_only: number };
  const counts: Record<string, number> = {
    active: views.viewers + b.buyers_only,
    buyers: b.buyers,
    repeat_buyers: b.repeat_buyers,
  };
  for (const [k, v] of views.stages)
    Object.assign(counts, {
      [`views:${k}`]: v.views,
      [`visitors:${k}`]: v.visitors,
      [`entries:${k}`]: v.entries,
      [`bounces:${k}`]: v.bounces,
    });
  Object.assign(counts, entryCounts(onward));
  for (const m of baskets!.results as Array<{ currency: string; n: number; amount: number }>)
    Object.assign(counts, { [`basket_n:${m.currency}`]: m.n, [`basket:${m.currency}`]: m.amount });
  return {
    counts,
    values: {
      ...valuesOf(visible!.results as Rows, 'visible:'),
      ...valuesOf(decisions!.results as Rows),
    },
  };
}

/** The key of a form's field in a forms partial: kind, then the (form, path, field) it counts. */
export const fieldKey = (kind: string, form: string, path: string, field: string) =>
  `${kind}\u0001${JSON.stringify([form, path, field])}`;

/**
 * forms: per (form, path text, field) of the period's form events, the abandons that stopped at it (`last`), and from
 * the events' `fields` entries (`seen`), the refocuses and errors summed, and the hesitations (values). Every form of
 * the shard, not only its first: the merged list is ranked after adding.
 */
async function formValues(db: D1Database, site: ReportSite, q: ReportQuery): Promise<Partial> {
  const matches = (alias: string) => sessionMatches(site.id, q.range.filter, alias);
  const [last, entries] = await db.batch([
    db
      .prepare(
        `SELECT form, ${pathTextSql('path_id')} AS path, last_field AS field, COUNT(*) AS n FROM ${TABLE.events}
          WHERE site = ?1 AND type = '${FORM_ABANDON}' AND time >= ?2 AND time < ?3 AND form IS NOT NULL
            AND last_field IS NOT NULL${matches(TABLE.events)} GROUP BY form, path_id, last_field`,
      )
      .bind(site.id, q.range.from, q.range.to),
    db
      .prepare(
        `SELECT f.form, ${pathTextSql('f.path_id')} AS path, f.field, f.hesitation_ms AS hesitation, f.refocuses, f.errors
           FROM ${fieldEntriesFrom(site.id, q.range.filter)}`,
      )
      .bind(site.id, q.range.from, q.range.to),
  ]);
  const counts: Record<string, number> = {};
  const values: Record<string, number[]> = {};
  const add = (key: string, n: number) => {
    counts[key] = (counts[key] ?? 0) + n;
  };
  for (const r of last!.results as Array<{ form: string; path: string; field: string; n: number }>)
    add(fieldKey('last', r.form, r.path, r.field), r.n);
  type Entry = {
    form: string;
    path: string;
    field: string;
    hesitation: number | null;
    refocuses: number | null;
    errors: number | null;
  };
  for (const r of entries!.results as Entry[]) {
    add(fieldKey('seen', r.form, r.path, r.field), 1);
    add(fieldKey('refocuses', r.form, r.path, r.field), r.refocuses ?? 0);
    add(fieldKey('errors', r.form, r.path, r.field), r.errors ?? 0);
    if (r.hesitation != null) append(values, fieldKey('hesitation', r.form, r.path, r.field), r.hesitation);
  }
  return { counts, values };
}

/** The key of a friction target in a friction partial: its page (path text, stage position), kind and name. */
const targetKey = (path: string, stage: number, kind: string, target: string) =>
  `target\u0001${JSON.stringify([path, stage, kind, target])}`;

/**
 * friction: every target of the period's friction events of every page (as friction.ts names them: the element, or a
 * field error's field; a quick back has none), so that each merged page lists its first targets from whole counts.
 */
async function targetValues(db: D1Database, site: ReportSite, q: ReportQuery): Promise<Partial> {
  const kinds = FRICTION_EVENTS.filter((t) => t !== 'quick_back')
    .map((t) => `'${t}'`)
    .join(',');
  const { results } = await db
    .prepare(
      `SELECT ${pathTextSql('path_id')} AS path, stage_index, type AS kind,
              COALESCE(json_extract(data, '$.target'), json_extract(data, '$.field')) AS target, COUNT(*) AS n
         FROM ${TABLE.events} WHERE site = ?1 AND type IN (${kinds}) AND time >= ?2 AND time < ?3${sessionMatches(site.id, q.range.filter, TABLE.events)}
        GROUP BY path_id, stage_index, kind, target HAVING target IS NOT NULL`,
    )
    .bind(site.id, q.range.from, q.range.to)
    .all<{ path: string; stage_index: number; kind: string; target: string; n: number }>();
  return {
    counts: Object.fromEntries(results.map((r) => [targetKey(r.path, r.stage_index, r.kind, r.target), r.n])),
    values: {},
  };
}

/** breakdown: per value of `by`, the distinct visitors with a purchase of the period in a kept session of it (`buyers:value`). */
async function buyerCounts(db: D1Database, site: ReportSite, q: ReportQuery): Promise<Partial> {
  const { results } = await db
    .prepare(
      `SELECT s.dim AS k, COUNT(DISTINCT u.visitor) AS n FROM ${TABLE.purchases} u
         JOIN (SELECT visitor, session, ${DIMENSION_COLUMNS[q.by!]} AS dim FROM ${TABLE.sessions} WHERE site = ?1${filterWhere(q.range.filter)}) s
           ON s.visitor = u.visitor AND s.session = u.session
        WHERE u.site = ?1 AND u.time >= ?2 AND u.time < ?3 GROUP BY 1`,
    )
    .bind(site.id, q.range.from, q.range.to)
    .all<{ k: string; n: number }>();
  return { counts: Object.fromEntries(results.map((r) => [`buyers:${r.k}`, r.n])), values: {} };
}

const NONE: Partial = { counts: {}, values: {} };

/** What the shard adds to report `name` for merge.ts; nothing for the reports whose answer merges as it is. */
function reportPartial(db: D1Database, name: string, site: ReportSite, q: ReportQuery): Promise<Partial> {
  if (name === 'funnel') return firstEntryValues(db, site, q);
  if (name === 'transitions') return transitionValues(db, site, q);
  if (name === 'kpis') return kpisValues(db, site, q);
  if (name === 'forms') return formValues(db, site, q);
  if (name === 'friction') return targetValues(db, site, q);
  if (name === 'breakdown') return buyerCounts(db, site, q);
  if (name === 'satisfaction')
    return satisfactionSums(db, site, q.range, q.limit, q.by, q.interval).then((sums) => ({
      ...NONE,
      satisfaction: sums,
    }));
  return Promise.resolve(NONE);
}

/** The reports whose merge reads the shards' partials alone (merge.ts), not their reports. */
const MERGED_FROM_PARTIALS = new Set(['funnel', 'kpis', 'satisfaction']);

/**
 * A shard's own report for a merge: `run()`, or null for the reports merged from the partials alone, whose report would
 * only repeat the partial's reads (kpis' page views and first entries, satisfaction's sums: half the shard's time).
 */
export const reportForMerge = (name: string, run: () => Promise<unknown>): Promise<unknown> =>
  MERGED_FROM_PARTIALS.has(name) ? Promise.resolve(null) : run();

/** What a shard sends of its partial: the counts and sums as they are, each value list as its sample (medians.ts). */
export type SentPartial = Omit<Partial, 'values'> & ShardMedians;

/** A shard's partial as sent, and its value lists (sorted) that the medians' second round reads slices of. */
export async function sampledPartial(
  db: D1Database,
  name: string,
  site: ReportSite,
  q: ReportQuery,
  samples = SAMPLES,
): Promise<{ partial: SentPartial; values: Record<string, number[]> }> {
  // A query refused once read (a trend of too many intervals) is `400 invalid-query`, as the report would have said.
  const { values, ...sums } = await reportPartial(db, name, site, q).catch(invalidQuery);
  return { partial: { ...sums, samples: sampleValues(values, samples) }, values };
}
