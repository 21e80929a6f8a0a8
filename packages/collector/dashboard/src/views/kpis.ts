// KPI cards per stage with the change against the previous period of the same length, and the table behind them.
import { dataDetails } from '../data-table.ts';
import { fill, h } from '../dom.ts';
import { count, duration, money, percent, rateDelta, relativeDelta, type Delta, type Polarity } from '../format.ts';
import { stageColour } from '../stage-colours.ts';
import type { KpisReport, Money } from '../types.ts';

/** One figure on a card: its name, printed value now and before, and the change. */
interface Kpi {
  stage: string;
  name: string;
  now: string;
  before: string;
  delta: Delta | null;
}

interface Card {
  /** The stage the card is about, or, for a `topic` card, what it measures. */
  stage: string;
  colour: string;
  kpis: Kpi[];
  /** Not a stage: the purchase figures of a site whose list has no `decision` (or `retention`) stage. */
  topic?: boolean;
}

/** Whether the previous period could be read, and whether anything happened in it. */
type PrevState = 'unread' | 'empty' | 'data';

/** The change shown when the previous period had no data to compare with. */
const NEW: Delta = { text: 'new', label: 'no data in the previous period', tone: 'flat' };

/** `new` when the previous period was empty and there is a figure now; no comparison when it is missing now too. */
const newIf = (prev: PrevState, now: number | null | undefined): Delta | null =>
  prev === 'empty' && now !== null && now !== undefined && Number.isFinite(now) ? NEW : null;

function rateKpi(
  stage: string,
  name: string,
  now: number | null | undefined,
  before: number | null | undefined,
  polarity: Polarity,
  prev: PrevState,
): Kpi {
  if (prev !== 'data') return { stage, name, now: percent(now), before: '–', delta: newIf(prev, now) };
  return { stage, name, now: percent(now), before: percent(before), delta: rateDelta(now, before, polarity) };
}

function durationKpi(
  stage: string,
  name: string,
  now: number | null | undefined,
  before: number | null | undefined,
  polarity: Polarity,
  prev: PrevState,
): Kpi {
  if (prev !== 'data') return { stage, name, now: duration(now), before: '–', delta: newIf(prev, now) };
  return {
    stage,
    name,
    now: duration(now),
    before: duration(before),
    delta: relativeDelta(now, before, polarity, duration),
  };
}

function basketKpis(stage: string, now: Money[], before: Money[] | undefined): Kpi[] {
  if (!now.length)
    return [
      {
        stage,
        name: 'Average basket',
        now: '–',
        before: before?.length ? before.map(money).join(' · ') : '–',
        delta: null,
      },
    ];
  return now.map((m) => {
    const prev = before?.find((b) => b.currency === m.currency);
    return {
      stage,
      name: now.length > 1 ? `Average basket (${m.currency})` : 'Average basket',
      now: money(m),
      before: prev ? money(prev) : '–',
      delta: before
        ? relativeDelta(m.value, prev?.value ?? null, 'up-good', (v) => money({ currency: m.currency, value: v }))
        : null,
    };
  });
}

/** The cards for a period, compared with `prev` (the previous period of the same length; null if it could not be read). */
export function kpiCards(now: KpisReport, prev: KpisReport | null): Card[] {
  const site: PrevState = !prev ? 'unread' : prev.stages.some((s) => s.visitors > 0) ? 'data' : 'empty';
  const cards: Card[] = now.stages.map((st, i) => {
    const before = prev?.stages.find((p) => p.stage === st.stage);
    // A stage nobody reached before has no rates to compare: its figures are new, not "up from 0%".
    const state: PrevState = !prev ? 'unread' : before && before.visitors > 0 ? 'data' : 'empty';
    const kpis: Kpi[] = [
      {
        stage: st.stage,
        // Viewers of the stage's pages: fewer than the funnel's visitors who reached it where people enter a stage by
        // an act (an add to cart on a product page is a decision) without viewing one of its pages.
        name: 'Visitors on its pages',
        now: count(st.visitors),
        before: prev ? count(before?.visitors ?? 0) : '–',
        delta: prev ? relativeDelta(st.visitors, before?.visitors ?? 0, 'up-good') : null,
      },
    ];
    // The first stage is where visits land: its bounce rate is the KPI the literature asks of awareness. With no page
    // of it viewed there is no rate ("–"), not a rate of 0 %.
    const bounce = (s: KpisReport['stages'][number] | undefined) => (s?.visitors ? s.bounce_rate : null);
    if (i === 0) kpis.push(rateKpi(st.stage, 'Bounce rate', bounce(st), bounce(before), 'up-bad', state));
    kpis.push(
      durationKpi(st.stage, 'Median visible time', st.median_visible_ms, before?.median_visible_ms, 'up-good', state),
    );
    if (i < now.stages.length - 1)
      kpis.push(
        rateKpi(st.stage, 'Moved on to a later stage', st.to_next_stage, before?.to_next_stage, 'up-good', state),
      );
    return { stage: st.stage, colour: stageColour(i), kpis };
  });
  // The purchase figures go on the decision card, the repurchase rate on the retention card. A site whose list has
  // no such stage still sells: its figures then go on the decision card, or on one card titled for what they
  // measure, never on a card named for a stage the site does not have.
  const topicCard = (): Card => {
    const card: Card = { stage: 'purchases', colour: '#999999', kpis: [], topic: true };
    cards.push(card);
    return card;
  };
  const d = cards.find((c) => c.stage === 'decision') ?? topicCard();
  d.kpis.push(
    rateKpi(d.stage, 'Conversion rate', now.decision.conversion_rate, prev?.decision.conversion_rate, 'up-good', site),
    ...basketKpis(d.stage, now.decision.average_basket, site === 'unread' ? undefined : prev?.decision.average_basket),
    durationKpi(
      d.stage,
      'Decision delay (median)',
      now.decision.median_decision_ms,
      prev?.decision.median_decision_ms,
      'up-bad',
      site,
    ),
  );
  const r = cards.find((c) => c.stage === 'retention') ?? d;
  r.kpis.push(
    rateKpi(
      r.stage,
      'Repurchase rate',
      now.retention.repurchase_rate,
      prev?.retention.repurchase_rate,
      'up-good',
      site,
    ),
  );
  return cards;
}

/** Draws the KPI cards into `root`; `periodLabel` names the comparison ("previous 30 days"). */
export function renderKpis(root: Element, now: KpisReport, prev: KpisReport | null, periodLabel: string): void {
  const cards = kpiCards(now, prev);
  const grid = h('div', { class: 'kpi-grid' });
  for (const c of cards) {
    grid.append(
      h(
        'article',
        {
          class: 'kpi-stage',
          style: `--stage-colour:${c.colour}`,
          'aria-label': c.topic ? c.stage : `${c.stage} stage`,
        },
        h('h3', {}, c.stage),
        h(
          'dl',
          {},
          ...c.kpis.map((k) =>
            h(
              'div',
              { class: 'kpi' },
              h('dt', {}, k.name),
              h('dd', { class: 'value' }, k.now),
              h(
                'dd',
                {
                  class: `delta ${k.delta?.tone ?? 'flat'}`,
                  title: k.delta ? `${k.delta.label} (${periodLabel})` : `no comparison (${periodLabel})`,
                },
                k.delta ? k.delta.text : '–',
                h('span', { class: 'sr-only' }, k.delta ? ` ${k.delta.label}` : ' no comparison'),
              ),
            ),
          ),
        ),
      ),
    );
  }
  fill(
    root,
    grid,
    h(
      'p',
      { class: 'muted', style: 'font-size:.82rem;margin:.5rem 0 0' },
      `Changes compare with the ${periodLabel}. Rates change in percentage points (pts).`,
    ),
    dataDetails(
      'kpis',
      `Key figures by stage, this period and the ${periodLabel}`,
      [
        { head: 'Stage', cell: (k) => k.stage },
        { head: 'Measure', cell: (k) => k.name },
        { head: 'This period', num: true, cell: (k) => k.now },
        { head: 'Previous period', num: true, cell: (k) => k.before },
        { head: 'Change', num: true, cell: (k) => k.delta?.text ?? '–' },
      ],
      cards.flatMap((c) => c.kpis),
    ),
  );
}
