// The stage transitions as a Sankey flow: d3-sankey lays out entries and forward moves, backward moves loop underneath.
import { sankey, sankeyLeft, sankeyLinkHorizontal, type SankeyGraph } from 'd3-sankey';
import { dataDetails } from '../data-table.ts';
import { fill, h, s } from '../dom.ts';
import { count, duration } from '../format.ts';
import { stageColour } from '../stage-colours.ts';
import { attachTooltip } from '../tooltip.ts';
import type { TransitionsReport } from '../types.ts';

type Move = TransitionsReport['transitions'][number];
/** `entry`: a visitor's first stage; `forward`/`backward` by the site's stage order. */
type Direction = 'entry' | 'forward' | 'backward';

interface NodeExtra {
  id: string;
  label: string;
  colour: string;
  column: number;
  /** The stage's place in the site's list, from 1 (none for Entry). */
  place?: number;
}
interface LinkExtra {
  move: Move;
}

const ENTRY = '\u0000entry';
const W = 720;
/** Room above the nodes for their labels. */
const TOP = 24;
const MAIN_H = 300;
const NODE_W = 14;
/** Room right of the last column for its label. */
const LABEL_ROOM = 80;
/** Width of a label's character, bold 12px, in the drawing's units: a label longer than its column allows is cut. */
const LABEL_CHAR_W = 8;

/** Whether a move goes forward, backward or is an entry, given the site's stage order. */
function direction(m: Move, order: string[]): Direction {
  if (m.from === null) return 'entry';
  return order.indexOf(m.to) > order.indexOf(m.from) ? 'forward' : 'backward';
}

/** The move in words, for tooltips and screen readers. */
function describeMove(m: Move, dir: Direction): string {
  const what = dir === 'entry' ? `Entered at ${m.to}` : `${m.from} → ${m.to} (${dir})`;
  const median =
    m.median_ms !== null && m.median_ms !== undefined && dir !== 'entry' ? `, median ${duration(m.median_ms)}` : '';
  return `${what}: ${count(m.count)} moves by ${count(m.visitors)} visitors${median}`;
}

/**
 * What the flow says when it has no forward move to draw (`moves`: the period's, none of them forward): the backward
 * moves its table lists, else the stages visitors entered at and did not leave (a site's first visitors).
 */
export function noForwardNote(moves: Move[]): string {
  if (moves.some((m) => m.from !== null)) return 'Only backward moves in this period; see the table.';
  const entered = [...new Set(moves.map((m) => m.to))];
  return `Visitors entered at ${entered.join(', ')} and moved to no other stage in this period.`;
}

/** Draws the flow into `root`; `order` is the site's stage list (the funnel's order). */
export function renderFlow(root: Element, report: TransitionsReport, order: string[]): void {
  const moves = report.transitions.filter((m) => m.count > 0);
  if (!moves.length) {
    fill(root, h('p', { class: 'empty' }, 'No stage changes in this period.'));
    return;
  }
  // Stages the report names but the funnel did not (should not happen) go last, in order of appearance.
  const stages = [...order];
  for (const m of moves) for (const st of [m.from, m.to]) if (st !== null && !stages.includes(st)) stages.push(st);

  const entries = moves.filter((m) => m.from === null);
  // An Entry column only tells something when visitors start at more than one stage; otherwise it eats a column.
  const hasEntry = new Set(entries.map((m) => m.to)).size > 1;
  const laid = moves.filter((m) => direction(m, stages) === 'forward' || (hasEntry && m.from === null));
  const back = moves.filter((m) => direction(m, stages) === 'backward');
  const used = new Set<string>();
  for (const m of moves) {
    used.add(m.to);
    if (m.from !== null) used.add(m.from);
  }
  const nodes: NodeExtra[] = [];
  if (hasEntry) nodes.push({ id: ENTRY, label: 'Entry', colour: '#8a96a6', column: 0 });
  stages.forEach((st, i) => {
    if (used.has(st))
      nodes.push({ id: st, label: st, colour: stageColour(i), column: i + (hasEntry ? 1 : 0), place: i + 1 });
  });
  const columns = Math.max(2, stages.length + (hasEntry ? 1 : 0));
  const backDepth = back.length ? 28 + 16 * Math.min(6, back.length) : 0;
  const height = MAIN_H + backDepth;

  const svg = s('svg', {
    class: 'chart',
    viewBox: `0 0 ${W} ${height}`,
    role: 'group',
    'aria-label': `Stage transitions: ${describeAll(moves, stages)}`,
  });
  if (laid.length) {
    const layout = sankey<NodeExtra, LinkExtra>()
      .nodeId((n) => n.id)
      .nodeAlign(sankeyLeft)
      .nodeWidth(NODE_W)
      .nodePadding(TOP + 8)
      .extent([
        [1, TOP],
        [W - LABEL_ROOM, MAIN_H - 4],
      ]);
    const graph: SankeyGraph<NodeExtra, LinkExtra> = layout({
      nodes: nodes.map((n) => ({ ...n })),
      links: laid.map((m) => ({ source: m.from ?? ENTRY, target: m.to, value: m.count, move: m })),
    });
    // One column per stage in the site's order, whatever depth d3 inferred from the links.
    const kx = (W - LABEL_ROOM - 1 - NODE_W) / (columns - 1);
    for (const n of graph.nodes) {
      n.x0 = 1 + n.column * kx;
      n.x1 = n.x0 + NODE_W;
    }
    const ky = scale(graph.nodes);
    const path = sankeyLinkHorizontal<NodeExtra, LinkExtra>();
    const links = s('g', { class: 'links' });
    for (const l of graph.links) {
      const dir = direction(l.move, stages);
      const el = s('path', {
        class: `link ${dir}`,
        d: path(l) ?? '',
        'stroke-width': Math.max(1.5, l.width ?? 1),
        tabindex: 0,
        'aria-label': describeMove(l.move, dir),
      });
      attachTooltip(el, describeMove(l.move, dir));
      links.append(el);
    }
    svg.append(links);
    if (back.length) svg.append(backwardArcs(back, graph.nodes, ky));
    // Eight stages with long names would write over each other: each label keeps to its column.
    svg.append(nodeMarks(graph.nodes, moves, Math.max(4, Math.floor((kx - 10) / LABEL_CHAR_W))));
  }

  const legend = h(
    'ul',
    { class: 'legend', 'aria-label': 'Legend' },
    h('li', {}, swatch('forward'), 'Forward move'),
    h('li', {}, swatch('backward'), 'Backward move (dashed, loops under)'),
    hasEntry ? h('li', {}, swatch('entry'), 'First stage of a visitor') : null,
  );
  const rows = moves.map((m) => ({ m, dir: direction(m, stages) }));
  fill(
    root,
    laid.length ? svg : h('p', { class: 'empty' }, noForwardNote(moves)),
    legend,
    h('p', { class: 'muted', style: 'font-size:.82rem;margin:.4rem 0 0' }, 'Hover or tab to a flow for its counts.'),
    dataDetails(
      'transitions',
      'Moves between stages (entry = a visitor’s first stage)',
      [
        { head: 'From', cell: (r) => r.m.from ?? '(entry)' },
        { head: 'To', cell: (r) => r.m.to },
        { head: 'Direction', cell: (r) => r.dir },
        { head: 'Moves', num: true, cell: (r) => count(r.m.count) },
        { head: 'Visitors', num: true, cell: (r) => count(r.m.visitors) },
        { head: 'Median time', num: true, cell: (r) => (r.dir === 'entry' ? '–' : duration(r.m.median_ms)) },
      ],
      rows,
    ),
  );
}

function describeAll(moves: Move[], stages: string[]): string {
  const fwd = moves.filter((m) => direction(m, stages) === 'forward').reduce((a, m) => a + m.count, 0);
  const bwd = moves.filter((m) => direction(m, stages) === 'backward').reduce((a, m) => a + m.count, 0);
  return `${count(fwd)} forward and ${count(bwd)} backward moves; details in the table below.`;
}

/** Pixels per move, the same for every node (d3-sankey scales all nodes alike). */
function scale(nodes: Array<{ value?: number; y0?: number; y1?: number }>): number {
  for (const n of nodes) if (n.value && n.y0 !== undefined && n.y1 !== undefined) return (n.y1 - n.y0) / n.value;
  return 1;
}

type LaidNode = NodeExtra & { x0?: number; x1?: number; y0?: number; y1?: number; value?: number };

function backwardArcs(back: Move[], nodes: LaidNode[], ky: number): SVGElement {
  const g = s(
    'g',
    { class: 'links backward-links' },
    // An arrowhead where a backward move lands: direction must not rest on colour or position alone.
    s(
      'defs',
      {},
      s(
        'marker',
        {
          id: 'flow-back-arrow',
          viewBox: '0 0 10 10',
          refX: 5,
          refY: 5,
          markerWidth: 11,
          markerHeight: 11,
          markerUnits: 'userSpaceOnUse',
          orient: 'auto',
        },
        s('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#d55e00' }),
      ),
    ),
  );
  const byId = new Map(nodes.map((n) => [n.id, n]));
  // Widest arcs deepest, so narrow ones stay visible above them.
  const sorted = [...back].sort((a, b) => b.count - a.count);
  sorted.forEach((m, i) => {
    const from = byId.get(m.from ?? '');
    const to = byId.get(m.to);
    if (!from || !to || from.x0 === undefined || to.x0 === undefined) return;
    // Capped so wide loops do not bury the nodes; the table and the tooltip carry the exact count.
    const width = Math.max(1.5, Math.min(12, m.count * ky));
    const sx = from.x0 + NODE_W / 2 - 3;
    const tx = to.x0 + NODE_W / 2 + 3;
    const sy = (from.y1 ?? MAIN_H) - 2;
    const ty = (to.y1 ?? MAIN_H) - 2;
    const depth = MAIN_H + 16 + 16 * Math.min(6, sorted.length - 1 - i);
    const d = `M${sx},${sy} C${sx},${depth} ${tx},${depth} ${tx},${ty}`;
    // Dashes grow with the stroke, so a thick loop still reads as dashed rather than as a ladder.
    const dash = `${Math.max(7, width * 1.6).toFixed(1)} ${Math.max(4, width * 0.8).toFixed(1)}`;
    const el = s('path', {
      class: 'link backward',
      d,
      'stroke-width': width,
      style: `stroke-dasharray:${dash}`,
      tabindex: 0,
      'aria-label': describeMove(m, 'backward'),
      'marker-end': 'url(#flow-back-arrow)',
    });
    attachTooltip(el, describeMove(m, 'backward'));
    g.append(el);
  });
  return g;
}

/** A stage's node in words: how many started there, came in and moved on. */
function describeNode(stage: string, moves: Move[]): string {
  const sum = (xs: Move[]) => xs.reduce((a, m) => a + m.count, 0);
  const entered = sum(moves.filter((m) => m.from === null && m.to === stage));
  const moved = sum(moves.filter((m) => m.from !== null && m.to === stage));
  const left = sum(moves.filter((m) => m.from === stage));
  return `${stage}: ${count(entered)} visitors started here, ${count(moved)} moves in from other stages, ${count(left)} moves on to other stages`;
}

/**
 * The nodes' labels, each at most `max` characters. Names that cut would make read the same (`checkout-cart` and
 * `checkout-payment` both `checko…`, ten stages `step-01-…` to `step-10-…`) are told apart by the stage's place in the
 * site's list instead: `3 chec…`, `4 chec…`.
 */
export function nodeLabels(nodes: ReadonlyArray<{ label: string; place?: number }>, max: number): string[] {
  const cut = (text: string, n: number) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);
  const plain = nodes.map((n) => cut(n.label, max));
  if (new Set(plain).size === plain.length) return plain;
  return nodes.map((n, i) =>
    n.place === undefined ? plain[i]! : `${n.place} ${cut(n.label, Math.max(2, max - String(n.place).length - 1))}`,
  );
}

/** The stage nodes, each labelled with at most `labelChars` characters (its whole name in its tooltip). */
function nodeMarks(nodes: LaidNode[], moves: Move[], labelChars: number): SVGElement {
  const g = s('g', { class: 'nodes' });
  const labels = nodeLabels(nodes, labelChars);
  nodes.forEach((n, i) => {
    if (n.x0 === undefined || n.y0 === undefined || n.y1 === undefined || n.x1 === undefined) return;
    const about =
      n.id === ENTRY
        ? `Entry: ${count(n.value ?? 0)} visitors, by the stage they started in`
        : describeNode(n.id, moves);
    // The label sits above its node, where no flow passes.
    const node = s(
      'g',
      { class: 'node', tabindex: 0, 'aria-label': about },
      s('rect', { x: n.x0, y: n.y0, width: n.x1 - n.x0, height: Math.max(2, n.y1 - n.y0), fill: n.colour }),
      s('text', { x: n.x0, y: n.y0 - 7, 'font-weight': 600, style: 'text-transform:capitalize' }, labels[i]),
    );
    attachTooltip(node, about);
    g.append(node);
  });
  return g;
}

function swatch(dir: Direction): SVGElement {
  return s(
    'svg',
    { width: 28, height: 10, 'aria-hidden': 'true' },
    s('line', { x1: 0, y1: 5, x2: 28, y2: 5, class: `link ${dir}`, 'stroke-width': 4, style: 'stroke-opacity:.8' }),
  );
}
