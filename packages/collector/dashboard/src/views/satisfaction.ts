// How it felt: the emotion curve across the journey's stages (NPS, CSAT, CES per stage), the same scores over the
// period, the pages whose sessions score worst, and the scores of sessions with and without friction side by side.
// Every number is the report's.
import { dataDetails, table } from '../data-table.ts';
import { fill, h, s } from '../dom.ts';
import { count, percent, readablePath } from '../format.ts';
import type { Interval } from '@parcours/protocol';
import type { DateRange } from '../range.ts';
import type { SatisfactionReport, SatisfactionScores } from '../types.ts';
import { when } from './trend.ts';

/** Each score: its label, its scale on the chart, how it reads. */
const KINDS = [
  { key: 'nps', label: 'NPS', min: -100, max: 100, show: (v: number) => `${v > 0 ? '+' : ''}${v}` },
  { key: 'csat', label: 'CSAT', min: 0, max: 100, show: (v: number) => `${v}%` },
  { key: 'ces', label: 'CES', min: 1, max: 7, show: (v: number) => String(v) },
] as const;

/** How many of the worst pages are listed. */
const WORST_PAGES = 5;
/** Over this many points, a curve writes no value beside its points (the table under it has them). */
const MAX_WRITTEN_VALUES = 12;

const DAY_MS = 86_400_000;

/** The trend's interval for a period: hours up to two days, days up to half a year, weeks beyond. */
export function satisfactionInterval(range: DateRange): Interval {
  const days = (range.to - range.from) / DAY_MS;
  return days <= 2 ? 'hour' : days <= 183 ? 'day' : 'week';
}

const shown = (v: number | null, show: (v: number) => string) => (v === null ? '–' : show(v));

/**
 * One curve per score that has answers: a point per row (a stage, an interval) at its score, gaps where a row has none;
 * `labels` under the points (an empty one is not written), `what` the picture's name for screen readers.
 */
function curves(stages: SatisfactionScores[], labels: string[], what: string, cls: string): SVGElement {
  const width = 640;
  const rowHeight = 90;
  const left = 56;
  // The last point leaves room for half a long label (`consideration`) centred under it.
  const step = stages.length > 1 ? (width - left - 90) / (stages.length - 1) : 0;
  const x = (i: number) => left + 20 + i * step;
  const kinds = KINDS.filter((k) => stages.some((st) => st[k.key] !== null));
  const height = kinds.length * rowHeight + 30;
  const svg = s('svg', {
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': `${what}: ${kinds
      .map(
        (k) =>
          `${k.label} ${stages
            .flatMap((st, i) => (st[k.key] === null ? [] : [`${labels[i]} ${shown(st[k.key], k.show)}`]))
            .join(', ')}`,
      )
      .join('; ')}`,
    class: `emotion ${cls}`,
  });
  kinds.forEach((k, row) => {
    const top = row * rowHeight + 10;
    const y = (v: number) => top + 60 - ((v - k.min) / (k.max - k.min)) * 60;
    svg.append(
      s('text', { x: 0, y: top + 34, class: 'kind' }, k.label),
      s('line', { x1: left, x2: width - 10, y1: y(k.min), y2: y(k.min), class: 'axis' }),
    );
    // Segments between stages that both have a score: a stage without answers breaks the curve.
    stages.forEach((st, i) => {
      const next = stages[i + 1];
      const a = st[k.key];
      const b = next?.[k.key];
      if (a !== null && b !== null && b !== undefined)
        svg.append(s('line', { x1: x(i), x2: x(i + 1), y1: y(a), y2: y(b), class: `curve ${k.key}` }));
    });
    stages.forEach((st, i) => {
      const v = st[k.key];
      if (v === null) return;
      svg.append(s('circle', { cx: x(i), cy: y(v), r: 4, class: `point ${k.key}` }));
      if (stages.length <= MAX_WRITTEN_VALUES)
        svg.append(s('text', { x: x(i), y: y(v) - 8, class: 'value', 'text-anchor': 'middle' }, k.show(v)));
    });
  });
  labels.forEach((label, i) => {
    if (label) svg.append(s('text', { x: x(i), y: height - 6, class: 'stage', 'text-anchor': 'middle' }, label));
  });
  return svg;
}

/** The three scores and the responses of a group, as table columns. */
const scoreColumns = <T extends SatisfactionScores>() => [
  ...KINDS.map((k) => ({ head: k.label, num: true, cell: (r: T) => shown(r[k.key], k.show) })),
  { head: 'Responses', num: true, cell: (r: T) => count(r.responses) },
];

/** Draws the satisfaction panel into `root`. */
export function renderSatisfaction(root: Element, report: SatisfactionReport): void {
  const o = report.overall;
  if (!o.responses) {
    fill(root, h('p', { class: 'empty' }, 'No satisfaction score was given in this period.'));
    return;
  }
  const stat = (label: string, value: string, key: string) =>
    h('div', { class: 'stat', 'data-stat': key }, h('dt', {}, label), h('dd', {}, value));
  const stats = h(
    'dl',
    { class: 'stats' },
    ...KINDS.map((k) => stat(k.label, shown(o[k.key], k.show), k.key)),
    stat('Responses', count(o.responses), 'responses'),
    stat('Response rate', percent(o.response_rate), 'response_rate'),
  );
  const stageRows = report.stages.filter((st) => st.responses > 0);
  const trend = report.trend ?? [];
  const interval = report.interval ?? 'day';
  // Many intervals: only the first, middle and last are named under the curve.
  const named = (i: number) =>
    trend.length <= MAX_WRITTEN_VALUES || i === 0 || i === trend.length - 1 || i === trend.length >> 1;
  const trendLabels = trend.map((p, i) => (named(i) ? when(p.t, interval) : ''));
  const answeredIntervals = trend.filter((p) => p.responses > 0);
  const worst = report.pages.slice(0, WORST_PAGES);
  const friction = [
    { group: 'Sessions with friction', ...report.friction.with },
    { group: 'Sessions without friction', ...report.friction.without },
  ];
  fill(
    root,
    stats,
    h('h3', { class: 'sub' }, 'The emotion curve'),
    curves(
      report.stages,
      report.stages.map((st) => st.stage),
      'Scores per stage',
      'stages',
    ),
    dataDetails(
      'satisfaction-stages',
      'Scores per stage of the journey',
      [{ head: 'Stage', cell: (r) => r.stage }, ...scoreColumns<(typeof stageRows)[number]>()],
      stageRows,
    ),
    h('h3', { class: 'sub' }, `Over the period, per ${interval}`),
    curves(trend, trendLabels, `Scores per ${interval}`, 'over-time'),
    dataDetails(
      'satisfaction-trend',
      `Scores per ${interval} (UTC) with answers`,
      [
        { head: interval === 'hour' ? 'Hour' : 'From', cell: (p) => when(p.t, interval) },
        ...scoreColumns<(typeof answeredIntervals)[number]>(),
      ],
      answeredIntervals,
    ),
    h(
      'div',
      { class: 'two' },
      h(
        'div',
        {},
        h('h3', {}, 'Pages whose sessions score worst'),
        worst.length
          ? h(
              'div',
              { class: 'scroll' },
              table(
                'satisfaction-pages',
                'Pages seen by the sessions that answered, lowest mean score first',
                [
                  { head: 'Page', cell: (p) => h('span', { class: 'path' }, readablePath(p.path)) },
                  { head: 'Mean score', num: true, cell: (p) => percent(p.satisfaction) },
                  ...scoreColumns<(typeof worst)[number]>(),
                ],
                worst,
              ),
            )
          : h('p', { class: 'muted' }, 'No page was seen by the sessions that answered.'),
      ),
      h(
        'div',
        {},
        h('h3', {}, 'With and without friction'),
        table(
          'satisfaction-friction',
          'Scores of sessions with a friction signal (rage, dead or error click, quick back, field error) and without',
          [{ head: 'Sessions', cell: (r) => r.group }, ...scoreColumns<(typeof friction)[number]>()],
          friction,
        ),
      ),
    ),
  );
}
