// One validated batch into storage: bot filter, cookieless ids, rows, quotas, then insert, counters and derived data, in as few D1 calls as it takes.
import type { BatchReply, ParsedBatch, Rejection, WireEvent } from '@parcours/protocol';
import {
  type EventRow,
  formFieldsStatements,
  type InsertResult,
  insertEvents,
  insertStatements,
} from '../db/events.ts';
import { dailySalt } from '../db/salts.ts';
import { sessionCandidates, upsertSessionStatements } from '../db/sessions.ts';
import { addDroppedIfNewStatement, addSiteCounts, type SiteCounts, siteCountsStatement } from '../db/site-stats.ts';
import { guardFailed } from '../db/guards.ts';
import type { SessionRow } from '../db/schema.ts';
import { addUsageStatements, type CountedRow, noUsage, quotaGuardStatement, readUsage } from '../db/usage.ts';
import { deriveVisitors, writeThenDerive } from '../derive/index.ts';
import { fail } from '../errors.ts';
import { cookielessVisitor } from './client-key.ts';
import { fitQuota, secondsToNextUtcDay } from './quota.ts';
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
  /** Tests only: derivation fails for visitors whose id starts with this (the PARCOURS_TEST_DERIVATION_FAILS binding). */
  derivationFailsFor?: string;
}

/** Times a batch tries to store (the first reading no usage, the others reading it) while batches in flight take what is left of a quota. */
const QUOTA_ATTEMPTS = 4;

/** Seconds a client should wait before resending when the database is unavailable. */
const STORAGE_RETRY_AFTER_SECONDS = 30;

/** The UTC day (YYYY-MM-DD) of a time in ms. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

const utf8 = new TextEncoder();

/**
 * Stores a batch's valid events once each and answers the reply of `POST /v1/events`.
 * Bot batches of a filtering site are counted (`filtered`) and not stored. Past a daily quota
 * (site events or bytes, or one visitor's events) the events that still fit are stored, the others
 * counted in the site's `quota_events`, and the answer is `429 quota-exceeded` with Retry-After the
 * seconds to the next UTC day: the script keeps the whole batch and resends it then, when the events
 * stored now are duplicates and the others fit a new day's quota.
 */
/** A batch ready to store: its valid rows that fit the quotas, what they count, and the reply's refusals so far. */
export interface PreparedBatch {
  day: string;
  rows: EventRow[];
  /** Each row as the usage counts it (same order as `rows`). */
  counted: CountedRow[];
  /** The rows' positions in the request's batch. */
  indexes: number[];
  /** The candidate rows of `sessions`, from the request's User-Agent and country. */
  sessions: SessionRow[];
  rejected: Rejection[];
  /** Valid events a quota refused (0: none), and the counts saying so. */
  over: number;
  /** Rows not stored already as far as the usage read knew (all of them when it was not read): what they take. */
  fresh: number;
  quotaCounts: Partial<SiteCounts>;
}

/** What `prepareBatch` decided: a batch to store, or the reply already (nothing to store). */
type Prepared = { store: PreparedBatch } | { reply: BatchReply };

/**
 * Everything decided in the request before storage, in both ingestion modes: bot filter, cookieless ids, rows,
 * quotas, session dimensions. Bot batches of a filtering site are counted (`filtered`) and not stored; a batch with
 * no valid event answers at once; when nothing fits a quota, `429 quota-exceeded` is thrown.
 */
export async function prepareBatch(
  db: D1Database,
  site: IngestSite,
  batch: ParsedBatch,
  ctx: BatchContext,
  /** Fit the quotas as if nothing were used today: only when the write checks them again (`quotaGuardStatement`). */
  assumeUnused = false,
): Promise<Prepared> {
  const day = utcDay(ctx.receivedAt);
  const rejected: Rejection[] = [...batch.rejected];

  if (ctx.bot && site.botFilter) {
    await addSiteCounts(db, site.id, day, { bot_events: batch.events.length, bot_batches: 1 });
    const reply: BatchReply = { accepted: 0, duplicates: 0, rejected };
    if (batch.events.length) reply.filtered = batch.events.length;
    return { reply };
  }

  if (site.visitorIds === 'cookieless' && batch.events.length) {
    const visitor = await cookielessVisitor(await dailySalt(db, day), site.id, ctx.address, ctx.userAgent);
    for (const { event } of batch.events) event.visitor = visitor;
  }

  const valid: EventRow[] = [];
  const validIndexes: number[] = [];
  const validEvents: WireEvent[] = [];
  for (const { index, event } of batch.events) {
    const row = toRow(event, site.stages, batch.sent_at, ctx.receivedAt);
    if (row) {
      valid.push(row);
      validIndexes.push(index);
      validEvents.push(event);
    } else rejected.push({ index, error: 'invalid-url' });
  }

  if (valid.length === 0) {
    // Nothing to store. A batch of no events at all still carries the outbox's drop count.
    await addSiteCounts(db, site.id, day, { dropped: batch.events.length === 0 ? batch.dropped : 0 });
    return { reply: { accepted: 0, duplicates: 0, rejected: rejected.sort((a, b) => a.index - b.index) } };
  }

  const counted: CountedRow[] = valid.map((r) => ({ id: r.id, visitor: r.visitor, bytes: utf8.encode(r.data).length }));
  // Fitted to no usage when the write's guard judges, unless even that leaves events out (a batch larger than a quota,
  // a quota of 0): those may be stored already, which take nothing, so then the usage and the stored ids are read.
  let fit = assumeUnused ? fitQuota(counted, noUsage(), site.quota) : null;
  if (!fit || fit.over) fit = fitQuota(counted, await readUsage(db, site.id, day, counted), site.quota);
  const { fits, over, fresh } = fit;
  const rows = valid.filter((_, i) => fits[i]);
  const quotaCounts = { quota_events: over, quota_batches: over ? 1 : 0 };
  if (rows.length === 0) {
    // Nothing fits: the drop count rides with the batch when it is resent.
    await addSiteCounts(db, site.id, day, quotaCounts);
    overQuota(ctx);
  }
  const fittingEvents = validEvents.filter((_, i) => fits[i]);
  const stored = rows.map((row, i) => ({ ...row, event: fittingEvents[i]! }));
  return {
    store: {
      day,
      rows,
      counted: counted.filter((_, i) => fits[i]),
      indexes: validIndexes.filter((_, i) => fits[i]),
      sessions: sessionCandidates(stored, { userAgent: ctx.userAgent, country: ctx.country ?? null }),
      rejected: rejected.sort((a, b) => a.index - b.index),
      over,
      fresh,
      quotaCounts,
    },
  };
}

/** `429 quota-exceeded`, to resend the whole batch at the next UTC day (the events stored now are then duplicates). */
export function overQuota(ctx: Pick<BatchContext, 'receivedAt'>): never {
  fail(429, 'quota-exceeded', { 'retry-after': String(secondsToNextUtcDay(ctx.receivedAt)) });
}

/**
 * What rides after an insert of `rows` (their sessions' dimensions, and their form events' per-field entries in
 * `form_fields`, read from the stored rows): stored exactly when the events are, in every way of storing them.
 */
export const afterInsertStatements = (
  db: D1Database,
  site: string,
  rows: EventRow[],
  sessions: SessionRow[],
): D1PreparedStatement[] => [...upsertSessionStatements(db, site, sessions), ...formFieldsStatements(db, site, rows)];

/**
 * The statements storing some prepared rows, to run in front of their derivation (`writeThenDerive`), and where the
 * inserts are among them. Counters first: the usage and drop statements count only ids not stored yet, so they must
 * run before the insert, and so must `paths`, which add the rows' paths to the site's dictionary. The sessions'
 * dimensions and the form events' per-field entries (`form_fields`) ride after the insert in the same transaction:
 * stored exactly when their events are. Every statement is idempotent: run twice, the second changes nothing.
 */
export function storeStatements(
  db: D1Database,
  site: string,
  part: {
    day: string;
    receivedAt: number;
    rows: EventRow[];
    counted: CountedRow[];
    sessions: SessionRow[];
    dropped: number;
  },
): {
  counters: D1PreparedStatement[];
  paths: D1PreparedStatement[];
  inserts: D1PreparedStatement[];
  afterInsert: D1PreparedStatement[];
} {
  const counters = addUsageStatements(db, site, part.day, part.counted);
  if (part.dropped)
    counters.push(
      addDroppedIfNewStatement(
        db,
        site,
        part.day,
        part.dropped,
        part.rows.map((r) => r.id),
      ),
    );
  return {
    counters,
    ...insertStatements(db, site, part.receivedAt, part.rows),
    // After the insert: the sessions' dimensions, and the per-field entries of the form events stored.
    afterInsert: afterInsertStatements(db, site, part.rows, part.sessions),
  };
}

/**
 * Stores a batch's valid events once each and answers the reply of `POST /v1/events`.
 * Bot batches of a filtering site are counted (`filtered`) and not stored. Past a daily quota
 * (site events or bytes, or one visitor's events) the events that still fit are stored, the others
 * counted in the site's `quota_events`, and the answer is `429 quota-exceeded` with Retry-After the
 * seconds to the next UTC day: the script keeps the whole batch and resends it then, when the events
 * stored now are duplicates and the others fit a new day's quota.
 */
export async function storeBatch(
  db: D1Database,
  site: IngestSite,
  batch: ParsedBatch,
  ctx: BatchContext,
): Promise<BatchReply> {
  // Tests only (PARCOURS_TEST_DERIVATION_FAILS): derivation of these visitors fails once their events are stored.
  const failing = ctx.derivationFailsFor;
  for (let attempt = 1; ; attempt++) {
    // The first try reads no usage: the write's quota guard refuses it when what it adds passes a quota, and every
    // later try reads the day's usage (prepareBatch) to keep what still fits. Far under the quotas, as nearly every
    // batch is, that is one D1 round trip fewer. An event stored already takes nothing from the quota.
    const prepared = await prepareBatch(db, site, batch, ctx, attempt === 1);
    if ('reply' in prepared) return prepared.reply;
    const { day, rows, counted, indexes, rejected, over, fresh, quotaCounts } = prepared.store;
    const deriveOptions =
      failing && rows.some((r) => r.visitor.startsWith(failing))
        ? { beforeWrite: () => Promise.reject(new Error('derivation failed (PARCOURS_TEST_DERIVATION_FAILS)')) }
        : {};

    // The insert (and the drop count, when there is one) rides in front of derivation's first read, in
    // the same batch: one transaction and one round trip fewer, and derivation sees the new rows.
    // Derive even when everything was a duplicate: a resend after a failed derivation repairs it.
    const { counters, paths, inserts, afterInsert } = storeStatements(db, site.id, {
      ...prepared.store,
      receivedAt: ctx.receivedAt,
      dropped: batch.dropped,
    });
    // The quota guard after the usage: another batch that stored since the read fails this one, read again.
    counters.push(quotaGuardStatement(db, site.id, day, rows, site.quota));
    const refused = siteCountsStatement(db, site.id, day, quotaCounts);
    if (refused) counters.push(refused);
    let results: D1Result[] | null;
    try {
      results = await writeThenDerive(
        db,
        site,
        [...counters, ...paths, ...inserts, ...afterInsert],
        rows,
        deriveOptions,
      );
    } catch (error) {
      // Stored, but neither derived nor marked for the schedule: only the sender's resend will derive them again.
      if (!guardFailed(error, 'quota_race')) {
        console.error('derivation and its mark failed', error instanceof Error ? error.message : error);
        fail(503, 'storage-unavailable', { 'retry-after': String(STORAGE_RETRY_AFTER_SECONDS) });
      }
      // Batches in flight took what was left of the quota: read it again (after a few tries, the sender retries later).
      if (attempt < QUOTA_ATTEMPTS) continue;
      await addSiteCounts(db, site.id, day, { quota_events: fresh + over, quota_batches: 1 });
      return overQuota(ctx);
    }
    if (results) {
      const before = counters.length + paths.length;
      const inserted = results.slice(before, before + inserts.length).reduce((n, r) => n + r.meta.changes, 0);
      if (over) overQuota(ctx);
      return { accepted: inserted, duplicates: rows.length - inserted, rejected };
    }
    // That batch failed, so nothing of it was stored. The first try fitted the quotas to no usage and storing apart
    // has no guard: try once more with the usage read. Then store the rows apart, where one bad row costs only itself.
    if (attempt === 1) continue;
    const result = await storeApart(db, site, {
      day,
      receivedAt: ctx.receivedAt,
      rows,
      counted,
      afterInsert,
      dropped: batch.dropped,
    });
    // The database refused every row: it is down, not the events at fault. 503 keeps them in the client's outbox.
    if (!result) fail(503, 'storage-unavailable', { 'retry-after': String(STORAGE_RETRY_AFTER_SECONDS) });
    for (const i of result.failed) rejected.push({ index: indexes[i]!, error: 'storage-failed' });
    rejected.sort((a, b) => a.index - b.index);
    const reply = { accepted: result.inserted, duplicates: result.duplicates, rejected };
    if (over) {
      await addSiteCounts(db, site.id, day, quotaCounts);
      overQuota(ctx);
    }
    return reply;
  }
}

/**
 * The careful way, after a failed write of these rows (in either ingestion mode): usage, the insert (chunk by chunk,
 * row by row if need be), counts, sessions and derivation each on its own, so a row the database refuses costs only
 * itself: it is counted in the site's `storage_failed` and its position is in `failed`. Null when the database
 * refused every row: it is down, not the events at fault, and nothing was stored.
 */
export async function storeApart(
  db: D1Database,
  site: IngestSite,
  part: {
    day: string;
    receivedAt: number;
    rows: EventRow[];
    counted: CountedRow[];
    afterInsert: D1PreparedStatement[];
    dropped: number;
  },
): Promise<InsertResult | null> {
  const { day, rows } = part;
  // Usage before the insert (it counts only ids not stored yet), out of a transaction now: the rows the database then
  // refuses are taken back out, so a batch tried again (a resend, a queued message's retries) never counts them twice.
  const usage = (counted: CountedRow[], sign: 1 | -1) =>
    db.batch(addUsageStatements(db, site.id, day, counted, sign)).catch(() => {});
  await usage(part.counted, 1);
  let result: InsertResult;
  try {
    result = await insertEvents(db, site.id, part.receivedAt, rows);
  } catch (e) {
    console.error('insert failed', e instanceof Error ? e.message : e);
    await usage(part.counted, -1);
    return null;
  }
  const failed = new Set(result.failed);
  if (failed.size)
    await usage(
      part.counted.filter((_, i) => failed.has(i)),
      -1,
    );

  // A resent batch (all duplicates) carries the same `dropped` again: count it only with new events.
  // The events are stored now: a failing count must not fail the store (a resend would count nothing).
  await addSiteCounts(db, site.id, day, {
    dropped: result.inserted > 0 ? part.dropped : 0,
    storage_failed: failed.size,
  }).catch((e: unknown) => console.error('counts failed', e instanceof Error ? e.message : e));

  // Dimensions of the sessions of the rows stored (a session's candidate from a refused row is a rare approximation),
  // and the form fields of those stored. A failing write costs only those, never the derivation of the rows stored.
  if (result.inserted + result.duplicates > 0 && part.afterInsert.length)
    await db
      .batch(part.afterInsert)
      .catch((e: unknown) => console.error('sessions failed', e instanceof Error ? e.message : e));
  const kept = rows.filter((_, i) => !failed.has(i));
  if (kept.length) await deriveVisitors(db, site, kept);
  return result;
}
