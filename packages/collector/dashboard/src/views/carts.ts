// Carts: how far carts got, how many were abandoned with how much value, on which pages, and how many were won back.
import { dataDetails, table } from '../data-table.ts';
import { fill, h } from '../dom.ts';
import { count, money, moneyList, percent, readablePath } from '../format.ts';
import type { CartsReport } from '../types.ts';

/** Draws the carts summary and abandonment pages into `root`. */
export function renderCarts(root: Element, report: CartsReport): void {
  const c = report.carts;
  if (!c.started && !report.pages.length) {
    fill(root, h('p', { class: 'empty' }, 'No cart was started in this period.'));
    return;
  }
  const stat = (label: string, value: string, key: string, alert = false) =>
    h('div', { class: `stat${alert ? ' alert' : ''}`, 'data-stat': key }, h('dt', {}, label), h('dd', {}, value));
  const stats = h(
    'dl',
    { class: 'stats' },
    stat('Started', count(c.started), 'started'),
    stat('Checked out', count(c.checked_out), 'checked_out'),
    stat('Purchased', count(c.purchased), 'purchased'),
    stat('Still open', count(c.open), 'open'),
    stat('Abandoned', count(c.abandoned), 'abandoned', c.abandoned > 0),
    stat('Abandonment rate', percent(c.abandonment_rate), 'abandonment_rate', c.abandonment_rate > 0),
    stat('Recovered', count(c.recovered), 'recovered'),
    stat('Recovery rate', percent(c.recovery_rate), 'recovery_rate'),
  );
  const steps = [
    { label: 'Started', n: c.started },
    { label: 'Checked out', n: c.checked_out },
    { label: 'Purchased', n: c.purchased },
    { label: 'Abandoned', n: c.abandoned },
  ];
  const max = Math.max(1, ...steps.map((x) => x.n));
  const progress = h('ul', { class: 'bars', 'aria-label': 'Carts by how far they got' });
  for (const st of steps) {
    const label = `${st.label}: ${count(st.n)} carts`;
    progress.append(
      h(
        'li',
        {},
        h('div', { class: 'bar-head' }, h('span', {}, st.label), h('strong', {}, count(st.n))),
        h(
          'div',
          { class: 'bar-track', role: 'img', 'aria-label': label, title: label },
          h('div', {
            class: 'bar-fill',
            style: `width:${((st.n / max) * 100).toFixed(2)}%;background:${st.label === 'Abandoned' ? 'var(--vermillion)' : 'var(--blue)'}`,
          }),
        ),
      ),
    );
  }
  const value = h(
    'p',
    { 'data-stat': 'abandoned_value' },
    'Value left in abandoned carts: ',
    h('strong', {}, moneyList(c.abandoned_value)),
    c.recovered ? ' · won back after abandonment: ' : '',
    c.recovered ? h('strong', { 'data-stat': 'recovered_value' }, moneyList(c.recovered_value)) : '',
  );
  const pages = report.pages.length
    ? h(
        'div',
        {},
        h('h3', { style: 'margin-top:1rem' }, 'Where carts are abandoned'),
        h(
          'div',
          { class: 'scroll' },
          table(
            'cart-pages',
            'Pages of the last cart activity of abandoned carts',
            [
              { head: 'Page', cell: (p) => h('span', { class: 'path' }, readablePath(p.path)) },
              { head: 'Abandoned carts', num: true, cell: (p) => count(p.abandons) },
            ],
            [...report.pages].sort((a, b) => b.abandons - a.abandons),
          ),
        ),
      )
    : h('p', { class: 'muted' }, 'No cart was abandoned in this period.');
  fill(
    root,
    stats,
    progress,
    dataDetails(
      'carts',
      'Carts started in this period, by state at its end',
      [
        { head: 'Measure', cell: (r: [string, string]) => r[0] },
        { head: 'Value', num: true, cell: (r: [string, string]) => r[1] },
      ],
      [
        ['Started', count(c.started)] as [string, string],
        ['Checked out', count(c.checked_out)],
        ['Purchased', count(c.purchased)],
        ['Open', count(c.open)],
        ['Abandoned', count(c.abandoned)],
        ['Abandonment rate', percent(c.abandonment_rate)],
        ...c.abandoned_value.map((m): [string, string] => [`Abandoned value (${m.currency})`, money(m)]),
        ['Recovered (abandoned, then bought)', count(c.recovered)],
        ['Recovery rate', percent(c.recovery_rate)],
        ...c.recovered_value.map((m): [string, string] => [`Recovered value (${m.currency})`, money(m)]),
      ],
    ),
    value,
    pages,
  );
}
