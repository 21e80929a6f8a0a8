// The outbox: this page's waiting events, in memory and in IndexedDB, until the collector acknowledges them.
import type { WireEvent } from '@parcours/protocol';
import { tx } from './idb.ts';
import { toJson } from './json.ts';
import { DROPPED_KEY, SAVED_PREFIX } from './keys.ts';
import { store } from './local-store.ts';
import { withdrawn } from './privacy.ts';

/** Most events the outbox keeps; past it the oldest are dropped and counted. */
export const OUTBOX_CAP = 1000;
/** Oldest event the outbox keeps, ms (7 days). */
export const OUTBOX_MAX_AGE = 7 * 864e5;

// This page's waiting events by id: what it sends. Each page sends its own events (and what it adopted from pages gone
// before it, see `adopt`); IndexedDB holds a copy of each, for the pages that come after a tab that closed or crashed.
const mem = new Map<string, WireEvent>();
// localStorage key of this page's copy of its waiting events, written when the page is hidden (see `save`).
const SAVED = SAVED_PREFIX + Math.random();

/**
 * Adds `n` to the count of dropped events not yet reported and answers it. Kept in localStorage, not in
 * this tab's memory: a tab that closes before an acknowledged send must not take the count with it.
 */
function lostBy(n: number): number {
  const lost = (Number(store(DROPPED_KEY)) || 0) + n;
  store(DROPPED_KEY, String(lost));
  return lost;
}

/** Queues one event: in memory at once, in IndexedDB in the background. */
export function put(e: WireEvent): void {
  mem.set(e.id, e);
  tx((s) => s.put(e, e.id));
}

/**
 * This page's waiting events, newest first (a page going away gets one request out: it carries what the page just
 * did), and how many were dropped and not yet reported; read synchronously, so a send started as the page goes away
 * leaves at once. Events past the caps (more than OUTBOX_CAP, or older than OUTBOX_MAX_AGE) are dropped here, oldest
 * first. Consent withdrawn (in any tab): nothing waits any more.
 */
export function waiting(): [WireEvent[], number] {
  if (withdrawn()) mem.clear();
  const list = [...mem.values()].sort((a, b) => b.ts - a.ts);
  const old = list.filter((e, i) => Date.now() - e.ts > OUTBOX_MAX_AGE || i >= OUTBOX_CAP);
  release(old.map((e) => e.id));
  return [list.slice(0, list.length - old.length), lostBy(old.length)];
}

/** Removes events the collector acknowledged (or refused for good); `reported` drops were told to it. */
export function release(ids: string[], reported = 0): Promise<void> {
  lostBy(-reported);
  ids.map((id) => mem.delete(id));
  return tx((s) => ids.map((id) => s.delete(id)));
}

/** Empties the outbox, this page's and every other page's of the site (consent withdrawn). */
export function empty(): Promise<void> {
  adopt(true);
  mem.clear();
  store(DROPPED_KEY, '0');
  return tx((s) => s.clear());
}

/**
 * The page is being hidden, perhaps for good: writes `l`, this tab's waiting events, to localStorage, which is
 * synchronous, so the events queued just now (`page_leave`, form abandons) survive a tab closed before their IndexedDB
 * writes completed. The list is joined by hand, event by event, as a batch is (see `pack`): no array of the page's own
 * making goes through JSON.stringify (see `toJson`).
 */
export const save = (l: WireEvent[]): void => void store(SAVED, `[${l.map((e) => toJson(e))}]`);

/**
 * Makes what earlier pages of the site left this page's to send (once, as it starts: this page has saved no copy yet):
 * every page's copy saved when it was hidden (see `save`), forgotten once moved into the outbox, and every event IndexedDB holds (a closed or crashed tab's, or one
 * another live tab is sending too: the collector stores each id once). `discard` (consent withdrawn): the saved copies
 * are only deleted.
 */
export function adopt(discard?: boolean): void {
  try {
    // Storage's own methods are enumerable too, but none starts with the prefix.
    for (const key in localStorage)
      if (key.startsWith(SAVED_PREFIX)) {
        if (!discard) JSON.parse(localStorage[key]).map(put);
        delete localStorage[key];
      }
  } catch {}
  discard || tx<WireEvent[]>((s) => s.getAll()).then((stored) => stored?.map((e) => mem.set(e.id, e)));
}
