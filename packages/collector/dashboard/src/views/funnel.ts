// The stage funnel: visitors per stage as bars, the share reaching each next stage and the median time it took.
import { dataDetails } from '../data-table.ts';
import { fill, h } from '../dom.ts';
import { count, duration, percent } from '../format.ts';
import { stageColour } from '../stage-colours.ts';
import type { FunnelReport } from '../types.ts';

/** Draws the funnel into `root`. */
export function renderFunnel(root: Element, report: FunnelReport): void {
  const stages = report.stages;
  if (!stages.some((s) => s.visitors > 0)) {
    fill(root, h('p', { class: 'empty' }, 'No visitor reached any stage in this period.'));
    return;
  }
  const max = Math.max(1, ...stages.map((s) => s.visitors));
  const list = h('ol', { class: 'funnel', 'aria-label': 'Visitors per stage' });
  stages.forEach((s, i) => {
    const prev = stages[i - 1];
    const width = (s.visitors / max) * 100;
    const label = `${s.stage}: ${count(s.visitors)} visitors`;
    list.append(
      h(
        'li',
        { class: 'funnel-row', style: `--stage-colour:${stageColour(i)}` },
        h('span', { class: 'funnel-name' }, s.stage),
        h(
          'span',
          { class: 'funnel-bar', role: 'img', 'aria-label': label, title: label },
          h('span', { class: 'funnel-fill', style: `display:block;width:${width.toFixed(2)}%` }),
          h('span', { class: 'funnel-count' }, count(s.visitors)),
        ),
        prev
          ? h(
              'span',
              { class: 'funnel-step' },
              h('strong', {}, percent(s.rate_from_previous)),
              ` of ${prev.stage} reached ${s.stage}`,
              s.median_ms_from_previous !== null && s.median_ms_from_previous !== undefined
                ? ` · median ${duration(s.median_ms_from_previous)} later`
                : '',
            )
          : null,
      ),
    );
  });
  fill(
    root,
    list,
    dataDetails(
      'funnel',
      'Visitors who reached each stage, in stage order',
      [
        { head: 'Stage', cell: (s) => s.stage },
        { head: 'Visitors', num: true, cell: (s) => count(s.visitors) },
        { head: 'Reached from previous stage', num: true, cell: (s) => percent(s.rate_from_previous) },
        { head: 'Median time from previous stage', num: true, cell: (s) => duration(s.median_ms_from_previous) },
      ],
      stages,
    ),
  );
}
