// The data table behind a chart: a <details> with a captioned <table>, readable by screen readers and tests.
import { h } from './dom.ts';

/** One column: its heading, whether it is numeric (right-aligned), and how to print a row's cell. */
export interface Column<T> {
  head: string;
  num?: boolean;
  cell: (row: T) => string | Node;
}

/** A table of `rows`; `key` names it for tests and styling (`data-table="funnel"`). */
export function table<T>(key: string, caption: string, columns: Column<T>[], rows: T[]): HTMLTableElement {
  return h(
    'table',
    { 'data-table': key },
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, ...columns.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : null }, c.head)))),
    h(
      'tbody',
      {},
      ...rows.map((r) => h('tr', {}, ...columns.map((c) => h('td', { class: c.num ? 'num' : null }, c.cell(r))))),
    ),
  );
}

/** The table folded in a `<details>` under a chart: "Show the data". */
export function dataDetails<T>(key: string, caption: string, columns: Column<T>[], rows: T[]): HTMLDetailsElement {
  return h(
    'details',
    { class: 'data' },
    h('summary', {}, 'Show the data as a table'),
    h('div', { class: 'scroll' }, table(key, caption, columns, rows)),
  );
}
