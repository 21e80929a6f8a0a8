// Event, visitor and session ids: random UUIDs; the visitor and the session (ended after 30 idle minutes) kept in localStorage.
import { IDS_KEY } from './keys.ts';
import { store } from './local-store.ts';

/** Minutes without an event after which the next event opens a new session. */
const SESSION_IDLE_MS = 30 * 60_000;

/** A random UUID (v4) from one getRandomValues call (randomUUID exists only on https pages). */
export const uuid = (r = crypto.getRandomValues(new Uint8Array(36))): string =>
  // Each 0, 1 and 8 of the template becomes a random hex digit (8 keeps the variant bits); the 4 stays: version 4.
  '10000000-1000-4000-8000-100000000000'.replace(/[018]/g, (c: any, i) => (c ^ (r[i]! & (15 >> (c / 4)))).toString(16));

/**
 * Last activity is written when it moved by this much at least: a burst of events (a click's, a page change's) writes
 * localStorage once, and a session's idle time is counted to the second.
 */
const ACTIVITY_STEP_MS = 1000;

/**
 * The visitor id (made once, kept) and the session id at `now` (a new one after SESSION_IDLE_MS without
 * an event); marks `now` as activity. One localStorage key, IDS_KEY, holds "visitor session last-activity":
 * the answer, joined.
 */
export function ids(now: number): [string, string, number] {
  const [visitor, session, last] = (store(IDS_KEY) || '').split(' ');
  // Nothing stored (or forgotten): no last activity, NaN, so a new session.
  const idle = now - Number(last);
  const current: [string, string, number] = [visitor || uuid(), idle < SESSION_IDLE_MS ? session! : uuid(), now];
  // `idle < ACTIVITY_STEP_MS` is false for NaN: a new visitor or session is always written.
  if (!(idle < ACTIVITY_STEP_MS)) store(IDS_KEY, current.join(' '));
  return current;
}
