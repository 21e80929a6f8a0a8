// One validated batch into storage: bot filter, cookieless ids, rows, then insert, counters and derived data, in as few D1 calls as it takes.
import type { BatchReply, ParsedBatch, Rejection, WireEvent } from '@parcours/protocol';
import { insertEvents, insertStatements, type EventRow } from '../db/events.ts';
import { withLeadingStatements } from '../db/leading-statements.ts';
import { dailySalt } from '../db/salts.ts';
import { sessionOpeners, upsertSessionStatements } from '../db/sessions.ts';
import { addDroppedIfNewStatement, addSiteCounts } from '../db/site-stats.ts';
import { deriveVisitors } from '../derive/index.ts';
import { sessionDimensions } from '../dimensions/session-dimensions.ts';
import { fail } from '../errors.ts';
import { cookielessVisitor } from './client-key.ts';
import type { IngestSite } from './site-cache.ts';
import { toRow } from './to-row.ts';

/** What the collector knows about the request besides its body. Address and User-Agent are used, never stored. */
export interface BatchContext {
  receivedAt: number;
  address: string;
  userAgent: string;
  /** `request.cf.country`, null when the edge does not say. */
  country?: string | null;
  /** The sender looks like a bot or crawler. */
  bot: boolean;
}

/** Seconds a client should wait before resending when the database is unavailable. */
export const STORAGE_RETRY_AFTER_SECONDS = 30;

/** The UTC day (YYYY-MM-DD) of a time in ms. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * Stores a batch's valid events once each and answers the reply of `POST /v1/events`.
 * Bot batches of a filtering site are counted (`filtered`) and not stored.
 */
export async function storeBatch(db: D1Database, site: IngestSite, batch: ParsedBatch, ctx: BatchContext): Promise<BatchReply> {
  const day = utcDay(ctx.receivedAt);
  const rejected: Rejection[] = [...batch.rejected];

  if (ctx.bot && site.botFilter) {
    await addSiteCounts(db, site.id, day, { bot_events: batch.events.length, bot_batches: 1 });
    const reply: BatchReply = { accepted: 0, duplicates: 0, rejected };
    if (batch.events.length) reply.filtered = batch.events.length;
    return reply;
  }

  if (site.visitorIds === 'cookieless' && batch.events.length) {
    const visitor = await cookielessVisitor(await dailySalt(db, day), site.id, ctx.address, ctx.userAgent);
    for (const { event } of batch.events) event.visitor = visitor;
  }

  const rows: EventRow[] = [];
  const indexes: number[] = [];
  const stored: Array<EventRow & { event: WireEvent }> = [];
  for (const { index, event } of batch.events) {
    const row = toRow(event, site.stages, batch.sent_at, ctx.receivedAt);
    if (row) {
      rows.push(row);
      indexes.push(index);
      stored.push({ ...row, event });
    } else rejected.push({ index, error: 'invalid-url' });
  }

  if (rows.length === 0) {
    // Nothing to store. A batch of no events at all still carries the outbox's drop count.
    await addSiteCounts(db, site.id, day, { dropped: batch.events.length === 0 ? batch.dropped : 0 });
    return { accepted: 0, duplicates: 0, rejected: rejected.sort((a, b) => a.index - b.index) };
  }

  // The insert (and the drop count, when there is one) rides in front of derivation's first read, in
  // the same batch: one transaction and one round trip fewer, and derivation sees the new rows.
  // Derive even when everything was a duplicate: a resend after a failed derivation repairs it.
  // The sessions' dimensions ride in the same transaction: stored exactly when their events are.
  const inserts = insertStatements(db, site.id, ctx.receivedAt, rows);
  const sessions = sessionStatements(db, site.id, stored, ctx);
  const leading = [...inserts, ...sessions];
  if (batch.dropped) leading.unshift(addDroppedIfNewStatement(db, site.id, day, batch.dropped, rows.map((r) => r.id)));
  const carried = withLeadingStatements(db, leading);
  const derivation = await deriveVisitors(carried.db, site, [...new Set(rows.map((r) => r.visitor))]).then(
    () => ({ ok: true as const }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  const results = await carried.results().catch(() => null);
  if (results) {
    if (!derivation.ok) throw derivation.error;
    const first = batch.dropped ? 1 : 0;
    const inserted = results.slice(first, first + inserts.length).reduce((n, r) => n + r.meta.changes, 0);
    return { accepted: inserted, duplicates: rows.length - inserted, rejected: rejected.sort((a, b) => a.index - b.index) };
  }
  // That batch failed, so nothing of it was stored: store the rows apart, where one bad row costs only itself.
  return storeApart(db, site, day, batch, rows, indexes, rejected, ctx.receivedAt, sessions);
}

/**
 * The upserts of the dimensions of the batch's sessions: per session, its first page view here (else first
 * event) with this request's User-Agent families and country. The stored row keeps the first across batches.
 */
function sessionStatements(db: D1Database, site: string, stored: Array<EventRow & { event: WireEvent }>, ctx: BatchContext): D1PreparedStatement[] {
  const request = { userAgent: ctx.userAgent, country: ctx.country ?? null };
  const candidates = sessionOpeners(stored).map((e) => ({
    visitor: e.visitor,
    session: e.session,
    started_at: e.time,
    first_event: e.id,
    from_view: e.type === 'page_view' ? (1 as const) : (0 as const),
    ...sessionDimensions(e.event, e.path, request),
  }));
  return upsertSessionStatements(db, site, candidates);
}

/** The careful way, after a failed batch: insert (chunk by chunk, row by row if need be), counters, then derivation. */
async function storeApart(
  db: D1Database,
  site: IngestSite,
  day: string,
  batch: ParsedBatch,
  rows: EventRow[],
  indexes: number[],
  rejected: Rejection[],
  receivedAt: number,
  sessions: D1PreparedStatement[],
): Promise<BatchReply> {
  // The database refused every row: it is down, not the events at fault. 503 keeps them in the client's outbox.
  const result = await insertEvents(db, site.id, receivedAt, rows).catch((e: unknown) => {
    console.error('insert failed', e instanceof Error ? e.message : e);
    fail(503, 'storage-unavailable', { 'retry-after': String(STORAGE_RETRY_AFTER_SECONDS) });
  });
  const failed = new Set(result.failed);
  for (const i of result.failed) rejected.push({ index: indexes[i]!, error: 'storage-failed' });
  rejected.sort((a, b) => a.index - b.index);

  // A resent batch (all duplicates) carries the same `dropped` again: count it only with new events.
  await addSiteCounts(db, site.id, day, { dropped: result.inserted > 0 ? batch.dropped : 0, storage_failed: failed.size });

  // Dimensions of the sessions of the rows stored (a session's candidate from a refused row is a rare approximation).
  if (result.inserted + result.duplicates > 0 && sessions.length) await db.batch(sessions);
  const visitors = [...new Set(rows.filter((_, i) => !failed.has(i)).map((r) => r.visitor))];
  if (visitors.length) await deriveVisitors(db, site, visitors);

  return { accepted: result.inserted, duplicates: result.duplicates, rejected };
}
