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
 * The visitor id (made once, kept) and the session id at `now` (a new one after SESSION_IDLE_MS without
 * an event); marks `now` as activity. One localStorage key, IDS_KEY, holds "visitor session last-activity":
 * the answer, joined.
 */
export function ids(now: number): [string, string, number] {
  const [visitor, session, last] = (store(IDS_KEY) || '').split(' ');
  // Nothing stored (or forgotten): no last activity, NaN, so a new session.
  const current: [string, string, number] = [
    visitor || uuid(),
    now - Number(last) < SESSION_IDLE_MS ? session! : uuid(),
    now,
  ];
  store(IDS_KEY, current.join(' '));
  return current;
}
