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

/**
 * Longest stored path, in characters of its percent-encoded form: a url is cut to 2,048 characters, but encoding makes a
 * character of its path up to 9 (`é` is `%C3%A9`), so its path is cut again, the way `cutEncoded` cuts.
 */
export const MAX_PATH_LENGTH = 2048;

const HEX2 = /^[0-9A-Fa-f]{2}$/;

/** The byte of the escape `%XX` at `i` in `s`, or -1 when there is none. */
function escapeAt(s: string, i: number): number {
  const hex = s.slice(i + 1, i + 3);
  return s[i] === '%' && HEX2.test(hex) ? Number.parseInt(hex, 16) : -1;
}

/** Whether `byte` continues a UTF-8 sequence (10xxxxxx). */
const continues = (byte: number) => byte >= 0x80 && byte < 0xc0;

/** Bytes of the UTF-8 sequence a lead byte starts (1 for any byte that starts none). */
const sequenceLength = (byte: number) => (byte >= 0xf0 && byte < 0xf8 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1);

/**
 * A percent-encoded text (a url's path) cut to at most `max` characters where a character ends: never inside an escape
 * (`%C3%A` is not one), never between the escapes of one UTF-8 sequence (`%C3` alone is no character), never between
 * the two halves of a surrogate pair. A `%` that starts no escape is a character of its own.
 */
export function cutEncoded(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = 0;
  for (let i = 0; i < s.length; ) {
    let next = i + 1;
    const byte = escapeAt(s, i);
    if (byte >= 0) {
      next = i + 3;
      const n = sequenceLength(byte);
      let k = 1;
      while (k < n && continues(escapeAt(s, i + 3 * k))) k++;
      // A whole sequence is one character; a lead byte whose sequence is broken is a character alone.
      if (k === n) next = i + 3 * n;
    } else if (/[\uD800-\uDBFF]/.test(s[i]!) && /[\uDC00-\uDFFF]/.test(s[i + 1] ?? '')) next = i + 2;
    if (next > max) break;
    end = i = next;
  }
  return s.slice(0, end);
}

/**
 * The url's path, cut to MAX_PATH_LENGTH, or null if the url does not parse (the validator only checks its scheme and
 * host).
 */
function pathOf(url: string): string | null {
  try {
    return cutEncoded(new URL(url).pathname || '/', MAX_PATH_LENGTH);
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
