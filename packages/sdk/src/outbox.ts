// The outbox: every event waits here (IndexedDB, plus this tab's memory) until the collector acknowledges it.
import type { WireEvent } from '@parcours/protocol';
import { tx } from './idb.ts';
import { toJson } from './json.ts';
import { DROPPED_KEY, SAVED_PREFIX } from './keys.ts';
import { store } from './local-store.ts';
import { off } from './privacy.ts';

/** Most events the outbox keeps; past it the oldest are dropped and counted. */
export const OUTBOX_CAP = 1000;
/** Oldest event the outbox keeps, ms (7 days). */
export const OUTBOX_MAX_AGE = 7 * 864e5;

// id → [event, its id once IndexedDB holds it]. Memory is this tab's copy: what IndexedDB refused (missing, blocked,
// over quota) is still sent from here, and a beacon can read it synchronously when the page goes away.
const mem = new Map<string, [WireEvent, string?]>();
// localStorage key of this page's copy of what IndexedDB had not confirmed when the page was last hidden.
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
  const entry: [WireEvent, string?] = [e];
  mem.set(e.id, entry);
  tx((s) => s.put(e, e.id)).then((key) => (entry[1] = key as string));
}

/**
 * Every waiting event, oldest first, and how many were dropped and not yet reported. Events past the
 * caps (more than OUTBOX_CAP, or older than OUTBOX_MAX_AGE) are dropped here, oldest first.
 */
export async function waiting(): Promise<[WireEvent[], number]> {
  const read = await tx<WireEvent[]>((s) => s.getAll());
  const list = read || [];
  // Stored, then gone from the database (read): another tab had it acknowledged. Unread, memory is all there is.
  for (const [id, [event, stored]] of mem) {
    if (list.some((e) => e.id == id)) continue;
    if (read && stored) mem.delete(id);
    else list.push(event);
  }
  list.sort((a, b) => a.ts - b.ts);
  const old = list.filter((e, i) => Date.now() - e.ts > OUTBOX_MAX_AGE || i < list.length - OUTBOX_CAP);
  await release(old.map((e) => e.id));
  return [list.slice(old.length), lostBy(old.length)];
}

/** Removes events the collector acknowledged (or refused for good); `reported` drops were told to it. */
export function release(ids: string[], reported = 0): Promise<void> {
  lostBy(-reported);
  ids.map((id) => mem.delete(id));
  return tx((s) => ids.map((id) => s.delete(id)));
}

/** Events this tab queued that nobody acknowledged yet, in queue order, read synchronously (for a beacon). */
export const live = (): WireEvent[] => Array.from(mem.values(), ([event]) => event);

/** Empties the outbox (consent withdrawn). */
export function empty(): Promise<void> {
  restore();
  mem.clear();
  store(DROPPED_KEY, '0');
  return tx((s) => s.clear());
}

/**
 * The page is being hidden, perhaps for good: writes `l`, this tab's waiting events (see `live`), to
 * localStorage, which is synchronous, so the events queued just now (`page_leave`, form abandons)
 * survive a tab closed before their IndexedDB writes completed. The list is joined by hand, event by event, as a
 * batch is (see `pack`): no array of the page's own making goes through JSON.stringify (see `toJson`).
 */
export const save = (l: WireEvent[]): void => void store(SAVED, `[${l.map((e) => toJson(e))}]`);

/**
 * Moves what other pages saved (see `save`) into the outbox, and forgets every saved copy; while tracking is off
 * (consent withdrawn, Do Not Track) the copies are forgotten only: none of their events may leave.
 */
export function restore(): void {
  try {
    // Storage's own methods are enumerable too, but none starts with the prefix.
    for (const key in localStorage)
      if (key.startsWith(SAVED_PREFIX)) {
        const copy = localStorage[key];
        // Forgotten before it is read: a copy that cannot be read (torn, or not a list) must not stop the others,
        // now and on every later page.
        delete localStorage[key];
        try {
          if (key != SAVED && !off()) JSON.parse(copy).map(put);
        } catch {}
      }
  } catch {}
}
