// A visitor's journey from their events: stage transitions and page views (visible time, entries, bounces, exits).
import { PAGE_LEAVE, PAGE_VIEW } from '@parcours/protocol';
import { pageKey } from './state.ts';
import type { PageViewRow, StoredEvent, TransitionRow } from './types.ts';

/** Event-time order, ties broken by id, so the order never depends on arrival. */
export function byEventTime(a: StoredEvent, b: StoredEvent): number {
  return a.time - b.time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export interface Journey {
  transitions: TransitionRow[];
  pageViews: PageViewRow[];
  /** The visitor's stage right after each event, by event id. */
  stageAfter: Map<string, number>;
  /** Path and stage of the last page view of each session. */
  lastPathOfSession: Map<string, { path: string; stage: number }>;
}

/**
 * Walks a visitor's events (already sorted by `byEventTime`): the stage moves on a page view,
 * and on any other event whose stage differs from the stage of its session's current page;
 * `page_leave` never moves it.
 */
export function walkJourney(events: StoredEvent[]): Journey {
  const transitions: TransitionRow[] = [];
  const stageAfter = new Map<string, number>();
  const pageStage = new Map<string, number>();
  let current: number | null = null;
  let lastMove: number | null = null;
  const lastEntry = new Map<number, number>();
  const lastPair = new Map<string, number>();

  for (const e of events) {
    let target: number | null = null;
    if (e.type === PAGE_VIEW) {
      pageStage.set(e.session, e.stage_index);
      target = e.stage_index;
    } else if (e.type !== PAGE_LEAVE) {
      // An event on a page of its own stage only inherits it; with no page seen in the session, its stage is all we know.
      const page = pageStage.get(e.session);
      if (page === undefined || page !== e.stage_index) target = e.stage_index;
    }
    if (target !== null && target !== current) {
      transitions.push({
        time: e.time,
        event_id: e.id,
        session: e.session,
        from_index: current,
        to_index: target,
        since_ms: lastMove === null ? null : e.time - lastMove,
        path: e.path,
        next_ms: null,
        onward_ms: null,
        prev_entry: lastEntry.get(target) ?? null,
        prev_pair: lastPair.get(`${current} ${target}`) ?? null,
      });
      lastEntry.set(target, e.time);
      lastPair.set(`${current} ${target}`, e.time);
      current = target;
      lastMove = e.time;
    }
    if (current !== null) stageAfter.set(e.id, current);
  }

  lookAhead(transitions);
  const { pageViews, lastPathOfSession } = pageViewsOf(events, transitions, stageAfter);
  return { transitions, pageViews, stageAfter, lastPathOfSession };
}

/**
 * Fills each move's `next_ms` and `onward_ms` in one backward pass (linear: a visitor alternating between two stages
 * once made the forward scan quadratic). Answers the time of the first of these moves into each stage.
 */
export function lookAhead(transitions: TransitionRow[]): Map<number, number> {
  const first = new Map<number, number>();
  for (let i = transitions.length - 1; i >= 0; i--) {
    const t = transitions[i]!;
    const next = first.get(t.to_index + 1);
    t.next_ms = next === undefined ? null : next - t.time;
    const onward = firstAbove(first, t.to_index);
    t.onward_ms = onward === null ? null : onward - t.time;
    first.set(t.to_index, t.time);
  }
  return first;
}

/** The earliest of these times of stages above `stage`, null if none. */
export function firstAbove(first: Map<number, number>, stage: number): number | null {
  let min: number | null = null;
  for (const [s, time] of first) if (s > stage && (min === null || time < min)) min = time;
  return min;
}

function pageViewsOf(events: StoredEvent[], transitions: TransitionRow[], stageAfter: Map<string, number>) {
  const bySession = new Map<string, { views: PageViewRow[]; open: PageViewRow | null }>();
  // The visitor's previous page view, overall and per page stage: events come in (time, id) order.
  let lastView: number | null = null;
  const lastStageView = new Map<number, number>();
  const lastPathView = new Map<string, number>();
  for (const e of events) {
    let s = bySession.get(e.session);
    if (!s) bySession.set(e.session, (s = { views: [], open: null }));
    if (e.type === PAGE_VIEW) {
      const row: PageViewRow = {
        session: e.session,
        time: e.time,
        event_id: e.id,
        path: e.path,
        stage_index: e.stage_index,
        journey_index: stageAfter.get(e.id) ?? e.stage_index,
        visible_ms: null,
        is_entry: s.views.length === 0 ? 1 : 0,
        is_bounce: 0,
        is_exit: 0,
        prev_view: lastView,
        prev_stage_view: lastStageView.get(e.stage_index) ?? null,
        prev_path_view: lastPathView.get(pageKey(e.stage_index, e.path_id)) ?? null,
      };
      lastView = e.time;
      lastStageView.set(e.stage_index, e.time);
      lastPathView.set(pageKey(e.stage_index, e.path_id), e.time);
      s.views.push(row);
      s.open = row;
    } else if (e.type === PAGE_LEAVE && s.open && e.duration_ms !== null) {
      // The first leave after a view closes it (an SPA may send one per route).
      s.open.visible_ms = e.duration_ms;
      s.open = null;
    }
  }

  const lastPurchase = new Map<string, number>();
  for (const e of events) if (e.type === 'purchase') lastPurchase.set(e.session, e.time);
  const moves = new Map<string, TransitionRow[]>();
  for (const t of transitions) {
    const list = moves.get(t.session);
    if (list) list.push(t);
    else moves.set(t.session, [t]);
  }

  const pageViews: PageViewRow[] = [];
  const lastPathOfSession = new Map<string, { path: string; stage: number }>();
  for (const [session, { views }] of bySession) {
    const last = views[views.length - 1];
    if (!last) continue;
    lastPathOfSession.set(session, { path: last.path, stage: last.stage_index });
    if (views.length === 1) last.is_bounce = 1;
    // An exit: the session's last page, after which no later stage was reached in that session.
    // A purchase makes the visitor a customer (docs/PROTOCOL.md: retention from then on): a later stage too.
    const progressed =
      (moves.get(session) ?? []).some(
        (t) => t.time >= last.time && t.event_id !== last.event_id && t.to_index > last.journey_index,
      ) || (lastPurchase.get(session) ?? -Infinity) >= last.time;
    if (!progressed) last.is_exit = 1;
    pageViews.push(...views);
  }
  return { pageViews, lastPathOfSession };
}
