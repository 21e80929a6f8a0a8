// Friction pages, ranked by the collector's score, each with the reason it ranks there.
import { fill, h } from '../dom.ts';
import { table } from '../data-table.ts';
import { count, percent } from '../format.ts';
import { stageColour } from '../stage-colours.ts';
import type { FrictionReport } from '../types.ts';
import { frictionReason, largestLosses, siteExitRate } from './friction-reasons.ts';

/** Pages shown before "Show all". */
const FRICTION_FIRST = 10;

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
      { head: 'Page', cell: (r) => h('span', { class: 'path' }, r.p.path) },
      {
        head: 'Stage',
        cell: (r) =>
          h(
            'span',
            { class: 'stage-tag', style: `--stage-colour:${stageColour(stages.indexOf(r.p.stage))}` },
            r.p.stage,
          ),
      },
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
  fill(root, h('div', { class: 'scroll' }, t), more);
}
