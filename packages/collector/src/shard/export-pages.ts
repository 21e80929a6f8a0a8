// The events export of a site of several shards: each shard pages its own events in insertion order; a page of the
// site interleaves the shards' next events by `received_at` (then shard), and its cursor holds each shard's own
// cursor, so every event comes exactly once, in each shard's order, whatever the shards store meanwhile.
import {
  CursorError,
  cursorAfter,
  EXPORT_PAGE_BYTES,
  type EventsPage,
  fromBase64Url,
  toBase64Url,
} from '../reports/events.ts';

/** Each shard's cursor (null: from its first event) read from the site's opaque cursor; CursorError if it is not one. */
function shardCursors(cursor: string | null, count: number): Array<string | null> {
  if (cursor === null) return Array.from({ length: count }, () => null);
  let parsed: unknown;
  try {
    parsed = JSON.parse(fromBase64Url(cursor));
  } catch {
    throw new CursorError('malformed cursor');
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== count ||
    !parsed.every((c) => c === null || (typeof c === 'string' && c.length <= 400))
  )
    throw new CursorError('not a cursor of this site');
  return parsed;
}

/**
 * One page of at most `limit` lines and EXPORT_PAGE_BYTES (a first line over it alone) from `count` shards;
 * `read(k, after)` is shard k's own page after its cursor.
 */
export async function exportAcross(
  count: number,
  cursor: string | null,
  limit: number,
  read: (k: number, after: string | null) => Promise<EventsPage>,
): Promise<EventsPage> {
  const cursors = shardCursors(cursor, count);
  const pages = await Promise.all(cursors.map((after, k) => read(k, after)));
  const heads = pages.map((page) =>
    page.lines.map((line) => ({ line, ...(JSON.parse(line) as { id: string; received_at: number }) })),
  );
  const taken = heads.map(() => 0);
  const lines: string[] = [];
  let bytes = 0;
  while (lines.length < limit) {
    // A shard whose page ran out while it has more cannot say what comes next: the page ends there.
    if (pages.some((page, k) => page.next !== null && taken[k] === heads[k]!.length)) break;
    let next = -1;
    for (let k = 0; k < count; k++) {
      const head = heads[k]![taken[k]!];
      if (head && (next < 0 || head.received_at < heads[next]![taken[next]!]!.received_at)) next = k;
    }
    if (next < 0) break;
    const head = heads[next]![taken[next]!]!;
    const size = new TextEncoder().encode(head.line).length + 1;
    if (lines.length > 0 && bytes + size > EXPORT_PAGE_BYTES) break;
    lines.push(head.line);
    bytes += size;
    cursors[next] = cursorAfter(head.id);
    taken[next]! += 1;
  }
  const more = pages.some((page, k) => page.next !== null || taken[k]! < heads[k]!.length);
  return { lines, next: more ? toBase64Url(JSON.stringify(cursors)) : null };
}
