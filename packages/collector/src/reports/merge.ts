// The reports of a site of several shards, merged from each shard's answer and its partial (partials.ts), exactly as
// REPORTS.md "Sites of several shards" says: visitors are partitioned by shard, so counts of distinct visitors add;
// sums add; rates are recomputed from added numerators and denominators; medians are those of the shards' values
// together, found in two rounds (medians.ts); lists are ranked again after adding, from every group each shard has (up to PART_LIMIT) before the cut.
import type {
  BreakdownReport,
  CartsReport,
  FrictionPage,
  FormField,
  FormsReport,
  FrictionReport,
  FrictionTarget,
  FunnelReport,
  KpisReport,
  Money,
  SatisfactionReport,
  TimeseriesReport,
  TransitionsReport,
} from '@parcours/protocol';
import { byFieldRank, MAX_FORM_FIELDS, MAX_LAST_FIELDS } from './forms.ts';
import { frictionScore, MAX_FRICTION_TARGETS } from './friction.ts';
import { medianOf, type Slice, type Window, windowsFor, windowsOfShard } from './medians.ts';
import { fieldKey, type SentPartial } from './partials.ts';
import type { ReportQuery } from './query.ts';
import { type SatisfactionSums, type Sums, satisfactionAnswer } from './satisfaction.ts';
import { cents, MAX_CURRENCIES, rate, type ReportSite } from './sql.ts';

/**
 * Most groups of a list (pages, dimension values) a shard answers for a merge: every group of a shard up to this many,
 * so that the merged ranking sees each group's whole count. A shard holding more groups answers its first PART_LIMIT.
 */
export const PART_LIMIT = 10_000;

/** One shard's answer to a report, and what it adds for the merge (with its slices once the medians' round 2 is done). */
export interface ShardAnswer {
  report: unknown;
  partial: SentPartial;
}

/**
 * The shards' counts added, and the medians of their values together: `exactMedian` as forms.ts takes it (the middle
 * value, or the mean of the two middle ones), `median` as the other reports give it, rounded to the ms.
 */
function together(parts: ShardAnswer[]) {
  const counts: Record<string, number> = {};
  for (const { partial } of parts)
    for (const [k, n] of Object.entries(partial.counts)) counts[k] = (counts[k] ?? 0) + n;
  const shards = parts.map((p) => p.partial);
  const exactMedian = (key: string | number) => medianOf(shards, String(key));
  const median = (key: string | number) => {
    const middle = exactMedian(key);
    return middle === null ? null : Math.round(middle);
  };
  return { count: (key: string) => counts[key] ?? 0, counts, median, exactMedian };
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Money lists added per currency, rounded to cents, largest first (then by code), the MAX_CURRENCIES largest. */
function addMoney(lists: Money[][]): Money[] {
  const sums = new Map<string, number>();
  for (const m of lists.flat()) sums.set(m.currency, (sums.get(m.currency) ?? 0) + m.value);
  return [...sums]
    .map(([currency, value]) => ({ currency, value: cents(value) }))
    .sort((a, b) => b.value - a.value || byText(a.currency, b.currency))
    .slice(0, MAX_CURRENCIES);
}

/** Rows of every shard merged by `key`: the first shard's row of a key, with each later one added into it by `add`. */
function mergeRows<T>(lists: T[][], key: (row: T) => string, add: (into: T, row: T) => void): T[] {
  const merged = new Map<string, T>();
  for (const row of lists.flat()) {
    const seen = merged.get(key(row));
    if (seen) add(seen, row);
    else merged.set(key(row), structuredClone(row));
  }
  return [...merged.values()];
}

/** Adds the named number fields of `row` into `into`. */
function addFields<T>(into: T, row: T, fields: ReadonlyArray<keyof T>): void {
  for (const f of fields) (into[f] as number) += row[f] as number;
}

/** Adds per-stage counts (`entered`). */
function addStages(into: Record<string, number>, row: Record<string, number>): void {
  for (const [stage, n] of Object.entries(row)) into[stage] = (into[stage] ?? 0) + n;
}

function funnel(site: ReportSite, parts: ShardAnswer[]): FunnelReport {
  const { count, median } = together(parts);
  return {
    stages: site.stages.map((stage, k) => ({
      stage,
      visitors: count(`entered:${k}`),
      rate_from_previous: k === 0 ? null : rate(count(`reached:${k - 1}`), count(`entered:${k - 1}`)),
      median_ms_from_previous: k === 0 ? null : median(k - 1),
    })),
  };
}

function transitions(site: ReportSite, parts: ShardAnswer[]): TransitionsReport {
  const { median } = together(parts);
  const position = (stage: string | null) => (stage === null ? -1 : site.stages.indexOf(stage));
  const rows = mergeRows(
    parts.map((p) => (p.report as TransitionsReport).transitions),
    (t) => `${t.from}>${t.to}`,
    (into, t) => addFields(into, t, ['count', 'visitors']),
  );
  return {
    transitions: rows
      .map((t) => ({
        ...t,
        median_ms: t.from === null ? null : median(`${position(t.from)}>${position(t.to)}`),
      }))
      .sort(
        (a, b) =>
          b.count - a.count ||
          b.visitors - a.visitors ||
          position(a.from) - position(b.from) ||
          position(a.to) - position(b.to),
      ),
  };
}

function kpis(site: ReportSite, parts: ShardAnswer[]): KpisReport {
  const { count, median, counts } = together(parts);
  const currencies = Object.keys(counts)
    .filter((k) => k.startsWith('basket_n:'))
    .map((k) => k.slice('basket_n:'.length))
    .sort((a, b) => count(`basket_n:${b}`) - count(`basket_n:${a}`) || byText(a, b))
    .slice(0, MAX_CURRENCIES);
  return {
    stages: site.stages.map((stage, k) => ({
      stage,
      views: count(`views:${k}`),
      visitors: count(`visitors:${k}`),
      bounce_rate: rate(count(`bounces:${k}`), count(`entries:${k}`)),
      median_visible_ms: median(`visible:${k}`),
      to_next_stage: rate(count(`reached:${k}`), count(`entered:${k}`)),
    })),
    decision: {
      conversion_rate: rate(count('buyers'), count('active')),
      average_basket: currencies.map((currency) => ({
        currency,
        value: cents(count(`basket:${currency}`) / count(`basket_n:${currency}`)),
      })),
      median_decision_ms: median('decision'),
    },
    retention: { repurchase_rate: rate(count('repeat_buyers'), count('buyers')) },
  };
}

function timeseries(parts: ShardAnswer[]): TimeseriesReport {
  const [first, ...others] = parts.map((p) => structuredClone(p.report as TimeseriesReport));
  first!.points.forEach((point, i) => {
    const all = [point, ...others.map((o) => o.points[i]!)];
    for (const other of all.slice(1)) {
      addFields(point, other, ['visitors', 'sessions', 'page_views', 'purchases', 'abandoned_carts']);
      addStages(point.entered, other.entered);
    }
    point.revenue = addMoney(all.map((p) => p.revenue));
  });
  return first!;
}

function carts(parts: ShardAnswer[], limit: number): CartsReport {
  const reports = parts.map((p) => p.report as CartsReport);
  const total = structuredClone(reports[0]!.carts);
  for (const r of reports.slice(1))
    addFields(total, r.carts, ['started', 'checked_out', 'purchased', 'open', 'abandoned', 'recovered']);
  return {
    carts: {
      ...total,
      abandonment_rate: rate(total.abandoned, total.started),
      abandoned_value: addMoney(reports.map((r) => r.carts.abandoned_value)),
      recovered_value: addMoney(reports.map((r) => r.carts.recovered_value)),
      recovery_rate: rate(total.recovered, total.recovered + total.abandoned),
    },
    pages: mergeRows(
      reports.map((r) => r.pages),
      (p) => p.path,
      (into, p) => addFields(into, p, ['abandons']),
    )
      .sort((a, b) => b.abandons - a.abandons || byText(a.path, b.path))
      .slice(0, limit),
  };
}

function breakdown(parts: ShardAnswer[], limit: number): BreakdownReport {
  const { count } = together(parts);
  const reports = parts.map((p) => p.report as BreakdownReport);
  const rows = mergeRows(
    reports.map((r) => r.rows),
    (row) => row.value,
    (into, row) => {
      addFields(into, row, ['visitors', 'sessions', 'purchases', 'first_touch_purchases', 'abandoned_carts']);
      addStages(into.entered, row.entered);
      into.revenue = addMoney([into.revenue, row.revenue]);
      into.first_touch_revenue = addMoney([into.first_touch_revenue, row.first_touch_revenue]);
    },
  );
  return {
    by: reports[0]!.by,
    rows: rows
      .sort((a, b) => b.visitors - a.visitors || b.purchases - a.purchases || byText(a.value, b.value))
      .slice(0, limit)
      // Buyers over visitors, each added over the shards (a buyer need not have viewed a page in the period).
      .map((row) => ({ ...row, conversion_rate: rate(count(`buyers:${row.value}`), row.visitors) })),
  };
}

const FRICTION_COUNTS = [
  'views',
  'visitors',
  'exits',
  'form_abandons',
  'cart_abandons',
  'rage_clicks',
  'dead_clicks',
  'error_clicks',
  'quick_backs',
  'field_errors',
] as const;

function friction(site: ReportSite, parts: ShardAnswer[], limit: number): FrictionReport {
  const { counts } = together(parts);
  // Every target of every page, from the shards' whole counts (a shard lists only its page's first few).
  const targetsOf = new Map<string, FrictionTarget[]>();
  for (const [key, count] of Object.entries(counts)) {
    const [path, stage, kind, target] = JSON.parse(key.slice(key.indexOf('\u0001') + 1)) as [
      string,
      number,
      FrictionTarget['kind'],
      string,
    ];
    const page = JSON.stringify([path, site.stages[stage]]);
    targetsOf.set(page, [...(targetsOf.get(page) ?? []), { kind, target, count }]);
  }
  const pages = mergeRows(
    parts.map((p) => (p.report as FrictionReport).pages),
    (page) => JSON.stringify([page.path, page.stage]),
    (into, page) => addFields(into, page, FRICTION_COUNTS),
  );
  const scored: Array<FrictionPage & { position: number }> = pages.map((page) => {
    const position = site.stages.indexOf(page.stage);
    return {
      ...page,
      position,
      exit_rate: rate(page.exits, page.views),
      score: frictionScore(page, position, site.stages.length),
      targets: (targetsOf.get(JSON.stringify([page.path, page.stage])) ?? [])
        .sort((a, b) => b.count - a.count || byText(a.kind, b.kind) || byText(a.target, b.target))
        .slice(0, MAX_FRICTION_TARGETS),
    };
  });
  return {
    pages: scored
      .sort((a, b) => b.score - a.score || b.views - a.views || byText(a.path, b.path) || a.position - b.position)
      .slice(0, limit)
      .map(({ position: _, ...page }) => page),
  };
}

function forms(parts: ShardAnswer[], limit: number): FormsReport {
  const { count, exactMedian, counts } = together(parts);
  // Per form (JSON of [form, path]), its fields by kind of count.
  const fieldsOf = new Map<string, Map<string, Set<string>>>();
  for (const key of Object.keys(counts)) {
    const [kind, at] = key.split('\u0001') as [string, string];
    const [form, path, field] = JSON.parse(at) as [string, string, string];
    const perForm = fieldsOf.get(JSON.stringify([form, path])) ?? new Map<string, Set<string>>();
    fieldsOf.set(JSON.stringify([form, path]), perForm);
    perForm.set(kind, (perForm.get(kind) ?? new Set()).add(field));
  }
  const rows = mergeRows(
    parts.map((p) => (p.report as FormsReport).forms),
    (f) => JSON.stringify([f.form, f.path]),
    (into, f) => addFields(into, f, ['starts', 'submits', 'abandons']),
  )
    .sort((a, b) => b.abandons - a.abandons || b.starts - a.starts || byText(a.form, b.form) || byText(a.path, b.path))
    .slice(0, limit);
  return {
    forms: rows.map((f) => {
      const perForm = fieldsOf.get(JSON.stringify([f.form, f.path]));
      const n = (kind: string, field: string) => count(fieldKey(kind, f.form, f.path, field));
      const lastFields = [...(perForm?.get('last') ?? [])]
        .map((field) => ({ field, abandons: n('last', field) }))
        .sort((a, b) => b.abandons - a.abandons || byText(a.field, b.field))
        .slice(0, MAX_LAST_FIELDS);
      // As forms.ts: a field's abandons are read from the listed last fields.
      const abandonsAt = new Map(lastFields.map((l) => [l.field, l.abandons]));
      const fields: FormField[] = [...(perForm?.get('seen') ?? [])]
        .map((field) => ({
          field,
          hesitation_ms: exactMedian(fieldKey('hesitation', f.form, f.path, field)),
          refocuses: n('refocuses', field),
          errors: n('errors', field),
          abandons: abandonsAt.get(field) ?? 0,
        }))
        .sort(byFieldRank)
        .slice(0, MAX_FORM_FIELDS);
      return { ...f, abandon_rate: rate(f.abandons, f.submits + f.abandons), last_fields: lastFields, fields };
    }),
  };
}

/** Sums of answers of the same group (`k`) added, NULL sums (no answer) as 0. */
function addSums<T extends Sums>(lists: T[][]): T[] {
  return mergeRows(
    lists,
    (r) => String(r.k),
    (into, r) => {
      for (const [field, n] of Object.entries(r))
        if (field !== 'k')
          (into as Record<string, unknown>)[field] = (Number(into[field as keyof T]) || 0) + (Number(n) || 0);
    },
  );
}

function satisfaction(site: ReportSite, q: ReportQuery, parts: ShardAnswer[]): SatisfactionReport {
  const sums = parts.map((p) => p.partial.satisfaction!);
  const pages = addSums(sums.map((s) => s.pages))
    .map((p) => ({ ...p, satisfaction: p.satisfaction_sum / p.responses }))
    .sort((a, b) => a.satisfaction - b.satisfaction || b.responses - a.responses || byText(String(a.k), String(b.k)))
    .slice(0, q.limit);
  const values = addSums(sums.map((s) => s.values))
    .sort((a, b) => b.responses - a.responses || byText(String(a.k), String(b.k)))
    .slice(0, q.limit);
  const shown = sums.reduce((n, s) => ({ shown: n.shown + s.shown.shown, answered: n.answered + s.shown.answered }), {
    shown: 0,
    answered: 0,
  });
  const merged: SatisfactionSums = {
    overall: addSums(sums.map((s) => s.overall)),
    stages: addSums(sums.map((s) => s.stages)),
    friction: addSums(sums.map((s) => s.friction)),
    pages,
    shown,
    values,
    trend: addSums(sums.map((s) => s.trend)),
  };
  return satisfactionAnswer(site, q.range, merged, q.by, q.interval);
}

/** The merges by report name: one for each of JSON_REPORTS (several-shards.test.ts reads every report). */
const MERGES: Record<string, (site: ReportSite, q: ReportQuery, parts: ShardAnswer[]) => unknown> = {
  funnel: (site, _q, parts) => funnel(site, parts),
  transitions: (site, _q, parts) => transitions(site, parts),
  kpis: (site, _q, parts) => kpis(site, parts),
  timeseries: (_site, _q, parts) => timeseries(parts),
  carts: (_site, q, parts) => carts(parts, q.limit),
  breakdown: (_site, q, parts) => breakdown(parts, q.limit),
  friction: (site, q, parts) => friction(site, parts, q.limit),
  forms: (_site, q, parts) => forms(parts, q.limit),
  satisfaction,
};

/**
 * Report `name` of a site of several shards, from every shard's answer (asked with `limit` PART_LIMIT) and, for the
 * medians whose values a shard did not send whole, its slices of their windows (`slicesOf`, the second round).
 */
export async function mergeReports(
  name: string,
  site: ReportSite,
  q: ReportQuery,
  answers: ShardAnswer[],
  slicesOf: (shard: number, windows: Record<string, Window>) => Promise<Record<string, Slice>>,
): Promise<unknown> {
  const merge = MERGES[name];
  if (!merge) throw new Error(`report ${name}: no merge across shards`);
  const windows = windowsFor(answers.map((a) => a.partial.samples));
  const parts = await Promise.all(
    answers.map(async (answer, k) => {
      const asked = windowsOfShard(answer.partial.samples, windows);
      if (!Object.keys(asked).length) return answer;
      return { ...answer, partial: { ...answer.partial, slices: await slicesOf(k, asked) } };
    }),
  );
  return merge(site, q, parts);
}
