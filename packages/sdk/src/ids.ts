// Event, visitor and session ids: random UUIDs, visitor kept in localStorage, session ends after 30 idle minutes.
import { store } from './local-store.ts';

/** Minutes without an event after which the next event opens a new session. */
export const SESSION_IDLE_MS = 30 * 60_000;

/** A random UUID (v4) from one getRandomValues call (randomUUID exists only on https pages). */
export const uuid = (r = crypto.getRandomValues(new Uint8Array(36))): string =>
  '10000000-1000-4000-8000-100000000000'.replace(/[018]/g, (c, i) => (+c ^ (r[i]! & (15 >> (+c / 4)))).toString(16));

/** The visitor id, made once and kept. */
export function visitorId(): string {
  return store('pcv') || store('pcv', uuid())!;
}

/** The session id at `now`: the current one unless 30 minutes passed since the last event; marks `now` as activity. */
export function sessionId(now: number): string {
  const [id, last] = (store('pcs') || '').split(' ');
  const s = id && now - +last! < SESSION_IDLE_MS ? id : uuid();
  store('pcs', s + ' ' + now);
  return s;
}
