// Turns a validated wire event into the row `events` stores: corrected time, stage index, path and the columns reports group by.
import type { WireEvent } from '@parcours/protocol';
import type { EventRow } from '../db/insert-sql.ts';
import { correctTime } from './clock.ts';

/**
 * A path someone wrote (an alert's page, a survey's path glob) as `pathOf` stores it and browsers give it in
 * `location.pathname`: `/produits/café crème` is `/produits/caf%C3%A9%20cr%C3%A8me`. An encoded path, and `*`, stay
 * as they are.
 */
export const storedPath = (path: string): string => new URL(`https://path.invalid${path}`).pathname;

/** The url's path, or null if the url does not parse (the validator only checks its scheme and host). */
function pathOf(url: string): string | null {
  try {
    return new URL(url).pathname || '/';
  } catch {
    return null;
  }
}

/** The stored row of an event; null when its url has no parsable path. */
export function toRow(
  event: WireEvent,
  stages: readonly string[],
  sentAt: number,
  receivedAt: number,
): EventRow | null {
  const path = pathOf(event.url);
  if (path === null) return null;
  return {
    id: event.id,
    type: event.type,
    stage: event.stage,
    stage_index: stages.indexOf(event.stage),
    visitor: event.visitor,
    session: event.session,
    time: correctTime(event.ts, sentAt, receivedAt),
    ts: event.ts,
    sent_at: sentAt,
    path,
    form: event.form ?? null,
    last_field: event.last_field ?? null,
    duration_ms: event.duration_ms ?? null,
    value: event.value ?? null,
    currency: event.currency ?? null,
    data: JSON.stringify(event),
  };
}
