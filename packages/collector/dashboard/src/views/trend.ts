// The trend over the period: visitors and stage entries per hour, day or week, as plain SVG lines with the table
// behind them. A day or week of the chart is a button that narrows the period to it.
import { dataDetails } from '../data-table.ts';
import { fill, h, s } from '../dom.ts';
import { count } from '../format.ts';
import { stageColour } from '../stage-colours.ts';
import { attachTooltip } from '../tooltip.ts';
import type { TimeseriesReport } from '../types.ts';

const W = 800;
const H = 220;
const PAD = { left: 44, right: 12, top: 12, bottom: 26 };
/** Intervals over this many are not each a tab stop: the table under the chart lists them all. */
const MAX_FOCUSABLE = 100;

type Point = TimeseriesReport['points'][number];

/** The start of an interval as a person reads it, in UTC as the API counts: `7 Dec`, `7 Dec 14:00`. */
export function when(t: string, interval: TimeseriesReport['interval']): string {
  const d = new Date(t);
  const day = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' }).format(d);
  if (interval === 'hour') return `${day} ${t.slice(11, 16)}`;
  return interval === 'week' ? `week of ${day}` : day;
}

/**
 * The values the trend's grid lines mark for a highest value `max` (a whole number, at least 1): 0, the middle and
 * `max`, each a whole number written where it belongs (with 1 visitor, the middle line at 0.5 was labelled 1).
 */
export const gridValues = (max: number): number[] => [...new Set([0, Math.round(max / 2), max])];

/**
 * Draws the trend into `root`: one line for visitors, one per stage for its entries. `onPick` receives the start and
 * end (ms) of a day or week clicked.
 */
export function renderTrend(
  root: Element,
  report: TimeseriesReport,
  stages: string[],
  onPick: (from: number, to: number) => void,
): void {
  const points = report.points;
  if (!points.length) {
    fill(root, h('p', { class: 'empty' }, 'No interval in this period.'));
    return;
  }
  const series = [
    { name: 'Visitors', colour: 'var(--ink)', width: 2.5, value: (p: Point) => p.visitors },
    ...stages.map((stage, i) => ({
      name: `Entered ${stage}`,
      colour: stageColour(i),
      width: 1.5,
      value: (p: Point) => p.entered[stage] ?? 0,
    })),
  ];
  const max = Math.max(1, ...points.flatMap((p) => series.map((x) => x.value(p))));
  const step = (W - PAD.left - PAD.right) / points.length;
  const x = (i: number) => PAD.left + step * (i + 0.5);
  const y = (v: number) => H - PAD.bottom - (v / max) * (H - PAD.top - PAD.bottom);
  const total = points.reduce((n, p) => n + p.visitors, 0);
  const svg = s('svg', {
    viewBox: `0 0 ${W} ${H}`,
    class: 'trend',
    role: 'group',
    'aria-label': `Visitors and stage entries per ${report.interval}, ${points.length} ${report.interval}s, ${count(total)} visitor-${report.interval}s in all`,
  });
  for (const v of gridValues(max)) {
    svg.append(
      s('line', { x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v), class: 'grid' }),
      s('text', { x: PAD.left - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'axis' }, count(Math.round(v))),
    );
  }
  for (const i of [...new Set([0, Math.floor(points.length / 2), points.length - 1])])
    svg.append(
      s('text', { x: x(i), y: H - 8, 'text-anchor': 'middle', class: 'axis' }, when(points[i]!.t, report.interval)),
    );
  for (const line of series)
    svg.append(
      s('polyline', {
        points: points.map((p, i) => `${x(i).toFixed(1)},${y(line.value(p)).toFixed(1)}`).join(' '),
        fill: 'none',
        stroke: line.colour,
        'stroke-width': line.width,
        class: 'line',
        'aria-hidden': 'true',
      }),
    );
  const pickable = report.interval !== 'hour';
  const focusable = points.length <= MAX_FOCUSABLE;
  points.forEach((p, i) => {
    const label = `${when(p.t, report.interval)}: ${series.map((x) => `${x.name.toLowerCase()} ${count(x.value(p))}`).join(', ')}`;
    const hit = s('rect', {
      x: x(i) - step / 2,
      y: PAD.top,
      width: step,
      height: H - PAD.top - PAD.bottom,
      class: pickable ? 'hit pickable' : 'hit',
      tabindex: focusable ? 0 : null,
      role: pickable ? 'button' : 'img',
      'aria-label': pickable ? `${label}. Show only this ${report.interval}` : label,
    });
    attachTooltip(hit, label);
    if (pickable) {
      const from = Date.parse(p.t);
      const to = from + (report.interval === 'week' ? 7 : 1) * 86_400_000;
      hit.addEventListener('click', () => onPick(from, to));
      hit.addEventListener('keydown', (e) => {
        const key = (e as KeyboardEvent).key;
        if (key !== 'Enter' && key !== ' ') return;
        e.preventDefault();
        onPick(from, to);
      });
    }
    svg.append(hit);
  });
  const legend = h(
    'ul',
    { class: 'legend' },
    ...series.map((x) => h('li', {}, h('span', { class: 'swatch', style: `background:${x.colour}` }), x.name)),
  );
  fill(
    root,
    legend,
    svg,
    dataDetails(
      'trend',
      `Visitors, sessions, page views, stage entries and purchases per ${report.interval} (UTC)`,
      [
        { head: report.interval === 'hour' ? 'Hour' : 'From', cell: (p: Point) => when(p.t, report.interval) },
        { head: 'Visitors', num: true, cell: (p) => count(p.visitors) },
        { head: 'Sessions', num: true, cell: (p) => count(p.sessions) },
        { head: 'Page views', num: true, cell: (p) => count(p.page_views) },
        ...stages.map((stage) => ({ head: stage, num: true, cell: (p: Point) => count(p.entered[stage] ?? 0) })),
        { head: 'Purchases', num: true, cell: (p) => count(p.purchases) },
      ],
      points,
    ),
  );
}
