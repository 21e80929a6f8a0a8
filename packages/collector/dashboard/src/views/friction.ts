// Friction pages, ranked by the collector's score, each with the reason it ranks there.
import { fill, h } from '../dom.ts';
import { table } from '../data-table.ts';
import { count, percent, readablePath } from '../format.ts';
import { stageColour } from '../stage-colours.ts';
import type { FrictionPage, FrictionReport, FrictionTarget } from '../types.ts';
import { frictionReason, largestLosses, siteExitRate } from './friction-reasons.ts';

/** Pages shown before "Show all". */
const FRICTION_FIRST = 10;

/** A page's stage, in its colour: the same path is one row per stage it was seen in. */
const stageTag = (p: FrictionPage, stages: string[]) =>
  h('span', { class: 'stage-tag', style: `--stage-colour:${stageColour(stages.indexOf(p.stage))}` }, p.stage);

/** Draws the ranked friction table into `root`; `stages` is the site's stage order. */
export function renderFriction(root: Element, report: FrictionReport, stages: string[]): void {
  const pages = report.pages;
  if (!pages.length) {
    fill(root, h('p', { class: 'empty' }, 'No page views in this period, so no friction to rank.'));
    return;
  }
  const ctx = { siteExitRate: siteExitRate(pages), stages, most: largestLosses(pages) };
  const maxScore = Math.max(...pages.map((p) => p.score), 0) || 1;
  const rows = pages.map((p, i) => ({ p, rank: i + 1 }));
  const t = table(
    'friction',
    `Pages ranked by friction score (highest first). Exit rate across all pages: ${percent(ctx.siteExitRate)}.`,
    [
      { head: '#', num: true, cell: (r) => h('span', { class: 'rank' }, String(r.rank)) },
      { head: 'Page', cell: (r) => h('span', { class: 'path' }, readablePath(r.p.path)) },
      { head: 'Stage', cell: (r) => stageTag(r.p, stages) },
      { head: 'Views', num: true, cell: (r) => count(r.p.views) },
      { head: 'Visitors', num: true, cell: (r) => count(r.p.visitors) },
      { head: 'Exits', num: true, cell: (r) => count(r.p.exits) },
      { head: 'Exit rate', num: true, cell: (r) => percent(r.p.exit_rate) },
      { head: 'Form abandons', num: true, cell: (r) => count(r.p.form_abandons) },
      { head: 'Cart abandons', num: true, cell: (r) => count(r.p.cart_abandons) },
      {
        head: 'Score',
        num: true,
        cell: (r) =>
          h(
            'span',
            { class: 'score' },
            h('span', {
              class: 'score-bar',
              'aria-hidden': 'true',
              style: `width:${((r.p.score / maxScore) * 3).toFixed(2)}rem`,
            }),
            String(Math.round(r.p.score * 100) / 100),
          ),
      },
      { head: 'Why it ranks here', cell: (r) => h('span', { class: 'reason' }, frictionReason(r.p, ctx)) },
    ],
    rows,
  );
  const body = t.tBodies[0];
  const extra = body ? [...body.rows].slice(FRICTION_FIRST) : [];
  for (const tr of extra) tr.hidden = true;
  const more = extra.length
    ? h(
        'button',
        { type: 'button', class: 'secondary', 'aria-expanded': 'false' },
        `Show all ${count(pages.length)} pages`,
      )
    : null;
  more?.addEventListener('click', () => {
    const open = more.getAttribute('aria-expanded') !== 'true';
    for (const tr of extra) tr.hidden = !open;
    more.setAttribute('aria-expanded', String(open));
    more.textContent = open ? `Show the top ${FRICTION_FIRST}` : `Show all ${count(pages.length)} pages`;
  });
  fill(root, h('div', { class: 'scroll' }, t), more, signalTable(pages, stages));
}

/** The kinds of target a page names, as the table heads them. */
const TARGET_KINDS: Array<[FrictionTarget['kind'], string]> = [
  ['rage_click', 'Rage'],
  ['dead_click', 'Dead'],
  ['error_click', 'Error'],
  ['field_error', 'Field'],
];

/** Per page and stage with any friction signal: rage, dead and error clicks, quick backs, field errors, and what they hit. */
function signalTable(pages: FrictionPage[], stages: string[]): HTMLElement {
  const noisy = pages.filter(
    (p) => p.rage_clicks + p.dead_clicks + p.error_clicks + p.quick_backs + p.field_errors > 0,
  );
  if (!noisy.length)
    return h('p', { class: 'muted' }, 'No rage, dead or error click, quick back or field error in this period.');
  const targets = (p: FrictionPage) =>
    h(
      'ul',
      { class: 'targets' },
      ...TARGET_KINDS.flatMap(([kind, label]) => {
        const hits = p.targets.filter((t) => t.kind === kind);
        if (!hits.length) return [];
        return [
          h(
            'li',
            {},
            h('span', { class: 'muted' }, `${label}: `),
            ...hits.flatMap((t, i) => [i ? ', ' : '', h('code', {}, t.target), ` (${count(t.count)})`]),
          ),
        ];
      }),
    );
  return h(
    'div',
    {},
    h('h3', { class: 'sub' }, 'Clicks and fields that fail'),
    h(
      'div',
      { class: 'scroll' },
      table(
        'friction-signals',
        'Friction signals per page, in friction order, with the elements and fields they happened on most',
        [
          { head: 'Page', cell: (p) => h('span', { class: 'path' }, readablePath(p.path)) },
          { head: 'Stage', cell: (p) => stageTag(p, stages) },
          { head: 'Rage clicks', num: true, cell: (p) => count(p.rage_clicks) },
          { head: 'Dead clicks', num: true, cell: (p) => count(p.dead_clicks) },
          { head: 'Error clicks', num: true, cell: (p) => count(p.error_clicks) },
          { head: 'Quick backs', num: true, cell: (p) => count(p.quick_backs) },
          { head: 'Field errors', num: true, cell: (p) => count(p.field_errors) },
          { head: 'Top targets', cell: targets },
        ],
        noisy,
      ),
    ),
  );
}
