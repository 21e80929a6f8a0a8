// Dimension tables from the `breakdown` report: sources, devices, countries, and the funnel and carts by channel or
// device. Every value is a button that filters the whole page by it.
import type { Dimension } from '@parcours/protocol';
import { type Column, table } from '../data-table.ts';
import { fill, h } from '../dom.ts';
import { DIMENSION_LABELS, valueLabel } from '../filters.ts';
import { count, moneyList, percent } from '../format.ts';
import type { BreakdownReport, BreakdownRow } from '../types.ts';

/** A value that filters the page when clicked (main.ts listens for `data-filter` clicks on the whole report). */
function filterButton(dimension: Dimension, value: string): HTMLButtonElement {
  const label = valueLabel(dimension, value);
  return h(
    'button',
    {
      type: 'button',
      class: 'pick',
      'data-filter': dimension,
      'data-value': value,
      title: `Show only ${DIMENSION_LABELS[dimension].toLowerCase()} ${label}`,
    },
    label,
  );
}

/**
 * A row of radio buttons that choose one of `options` (`[value, label]`), calling `onChange` with the value: the
 * keyboard moves within it with the arrow keys, as in any radio group.
 */
export function segmented<T extends string>(
  legend: string,
  options: ReadonlyArray<readonly [T, string]>,
  current: T,
  onChange: (value: T) => void,
): HTMLFieldSetElement {
  const name = `seg-${legend.toLowerCase().replace(/\W+/g, '-')}`;
  const set = h('fieldset', { class: 'segmented' }, h('legend', { class: 'sr-only' }, legend));
  for (const [value, label] of options)
    set.append(h('label', {}, h('input', { type: 'radio', name, value, checked: value === current }), ` ${label}`));
  set.addEventListener('change', (e) => onChange((e.target as HTMLInputElement).value as T));
  return set;
}

const value = (by: Dimension): Column<BreakdownRow> => ({
  head: DIMENSION_LABELS[by],
  cell: (r) => filterButton(by, r.value),
});

/**
 * Fills `root` with a scrolling table of `report.rows`, one row per value of `report.by` (a button that filters the
 * page by it) and then `columns`; `id` and `caption` are given the dimension.
 */
function fillByValue(
  root: Element,
  report: BreakdownReport,
  id: string,
  caption: (dimension: string) => string,
  columns: Column<BreakdownRow>[],
): void {
  const by = report.by as Dimension;
  fill(
    root,
    h(
      'div',
      { class: 'scroll' },
      table(`${id}-${by}`, caption(DIMENSION_LABELS[by].toLowerCase()), [value(by), ...columns], report.rows),
    ),
  );
}

/** One row per value of `report.by`: visitors, sessions, purchases, conversion, revenue, abandoned carts. */
export function renderBreakdown(root: Element, report: BreakdownReport): void {
  if (!report.rows.length) {
    fill(root, h('p', { class: 'empty' }, 'No visitor in this period.'));
    return;
  }
  const most = Math.max(1, ...report.rows.map((r) => r.visitors));
  fillByValue(
    root,
    report,
    'breakdown',
    (dimension) =>
      `Visitors by ${dimension}, most first; purchases and revenue of their sessions (last touch); first touch: purchases of visitors whose first visit had this value`,
    [
      {
        head: 'Visitors',
        num: true,
        cell: (r) =>
          h(
            'span',
            { class: 'share' },
            h('span', {
              class: 'share-bar',
              'aria-hidden': 'true',
              style: `width:${((r.visitors / most) * 3).toFixed(2)}rem`,
            }),
            count(r.visitors),
          ),
      },
      { head: 'Sessions', num: true, cell: (r) => count(r.sessions) },
      { head: 'Purchases', num: true, cell: (r) => count(r.purchases) },
      { head: 'Conversion', num: true, cell: (r) => percent(r.conversion_rate) },
      { head: 'Revenue', num: true, cell: (r) => moneyList(r.revenue) },
      { head: 'First touch', num: true, cell: (r) => count(r.first_touch_purchases) },
    ],
  );
}

/** The stage funnel split by `report.by`: per value, the visitors who entered each stage. */
export function renderStagesBy(root: Element, report: BreakdownReport, stages: string[]): void {
  fillByValue(root, report, 'funnel-by', (dimension) => `Visitors who entered each stage, by ${dimension}`, [
    ...stages.map((s) => ({ head: s, num: true, cell: (r: BreakdownRow) => count(r.entered[s] ?? 0) })),
    { head: 'Conversion', num: true, cell: (r) => percent(r.conversion_rate) },
  ]);
}

/** Carts split by `report.by`: per value, abandoned carts, purchases and their revenue. */
export function renderCartsBy(root: Element, report: BreakdownReport): void {
  fillByValue(root, report, 'carts-by', (dimension) => `Abandoned carts and purchases, by ${dimension}`, [
    { head: 'Abandoned carts', num: true, cell: (r) => count(r.abandoned_carts) },
    { head: 'Purchases', num: true, cell: (r) => count(r.purchases) },
    { head: 'Revenue', num: true, cell: (r) => moneyList(r.revenue) },
    { head: 'Conversion', num: true, cell: (r) => percent(r.conversion_rate) },
  ]);
}
