// Ingestion through a Queue (wrangler.jsonc `INGEST: "queue"`): the request enqueues a prepared batch, a consumer stores
// many at once per site, a dead-letter consumer counts what could never be stored. docs/PROTOCOL.md says what the reply means.
import type { BatchReply } from '@parcours/protocol';
import type { EventRow } from '../db/insert-sql.ts';
import type { SessionRow } from '../db/schema.ts';
import { addSiteCounts } from '../db/site-stats.ts';
import type { CountedRow } from '../db/usage.ts';
import { writeThenDerive } from '../derive/index.ts';
import { cachedSite, type IngestSite } from '../ingest/site-cache.ts';
import {
  afterInsertStatements,
  type PreparedBatch,
  storeApart,
  storeStatements,
  utcDay,
} from '../ingest/store-batch.ts';
import { siteStorage, siteStorageById } from '../shard/storage.ts';
import { retryDelay } from '../webhooks/backoff.ts';
import {
  cachedErasures,
  erasedSince,
  erasureGuard,
  erasureStatements,
  readErasures,
  type SiteErasures,
} from './erasures.ts';

/** The ingestion queue and its dead-letter queue (wrangler.jsonc). */
export const INGEST_QUEUE_NAME = 'parcours-events';
export const INGEST_DEAD_QUEUE_NAME = 'parcours-events-dead';

/**
 * One request's batch, as the request prepared it: its valid rows that fit the quotas (visitor ids, corrected times and
 * paths already computed), their usage bytes, the sessions' dimensions from the request's User-Agent and country
 * (neither of which travels), and the outbox's drop count. Version 1 of the message; a consumer refuses other shapes.
 */
export interface IngestMessage {
  v: 1;
  site: string;
  received_at: number;
  dropped: number;
  rows: EventRow[];
  bytes: number[];
  sessions: SessionRow[];
}

/**
 * Cloudflare Queues' limit on one message is 128 KB: a larger batch is stored directly by the request. Measured in
 * JSON characters; text outside Latin-1 may serialize larger, and a send the queue refuses is stored directly too.
 */
const MAX_MESSAGE_CHARS = 120_000;

/**
 * Enqueues a prepared batch and answers the reply: `accepted` counts the events durably queued, `duplicates` is 0
 * (the request does not know what is stored already: the consumer skips those ids). Null when the batch is too
 * large for one message: the caller stores it directly instead.
 */
export async function enqueueBatch(
  queue: Queue,
  site: IngestSite,
  prepared: PreparedBatch,
  receivedAt: number,
  dropped: number,
): Promise<BatchReply | null> {
  const message: IngestMessage = {
    v: 1,
    site: site.id,
    received_at: receivedAt,
    dropped,
    rows: prepared.rows,
    bytes: prepared.counted.map((c) => c.bytes),
    sessions: prepared.sessions,
  };
  if (JSON.stringify(message).length > MAX_MESSAGE_CHARS) return null;
  await queue.send(message);
  return { accepted: prepared.rows.length, duplicates: 0, rejected: prepared.rejected };
}

/** Whether a queue message has the shape this consumer stores (anything else is retried into the dead-letter queue). */
function isIngestMessage(body: unknown): body is IngestMessage {
  const m = body as Partial<IngestMessage> | null;
  return (
    typeof m === 'object' &&
    m !== null &&
    m.v === 1 &&
    typeof m.site === 'string' &&
    typeof m.received_at === 'number' &&
    typeof m.dropped === 'number' &&
    Array.isArray(m.rows) &&
    Array.isArray(m.bytes) &&
    m.bytes.length === m.rows.length &&
    Array.isArray(m.sessions)
  );
}

/** The message without the rows (and sessions) of visitors erased at or after its reception. */
async function withoutErased(m: IngestMessage, erasures: SiteErasures): Promise<IngestMessage> {
  const erased = await erasedSince(
    erasures,
    m.rows.map((r) => r.visitor),
    m.received_at,
  );
  if (erased.size === 0) return m;
  const kept = m.rows.flatMap((row, i) => (erased.has(row.visitor) ? [] : [{ row, bytes: m.bytes[i]! }]));
  return {
    ...m,
    rows: kept.map((k) => k.row),
    bytes: kept.map((k) => k.bytes),
    sessions: m.sessions.filter((s) => !erased.has(s.visitor)),
  };
}

/**
 * Stores these messages of one site in one D1 batch with the first read of their derivation: each event id once
 * (a redelivered message, or the script's resend queued twice, stores nothing again and counts nothing again), none
 * of a visitor erased since the message was received (the write fails if the site's erasures changed since
 * `erasures` was read). Throws when the write or the derivation failed: nothing of a failed write was stored, and a
 * derivation is repaired by running it again, so the messages can be retried as they are.
 */
async function storeGroup(
  db: D1Database,
  site: IngestSite,
  erasures: SiteErasures,
  messages: IngestMessage[],
): Promise<void> {
  const seen = new Set<string>();
  const kept = await Promise.all(messages.map((m) => withoutErased(m, erasures)));
  const parts = kept.map((m) => {
    const rows: EventRow[] = [];
    const counted: CountedRow[] = [];
    m.rows.forEach((row, i) => {
      if (seen.has(row.id)) return;
      seen.add(row.id);
      rows.push(row);
      counted.push({ id: row.id, visitor: row.visitor, bytes: m.bytes[i]! });
    });
    // The drop count comes with new events only: a resend of the same batch in the same group carries it again.
    const dropped = rows.length ? m.dropped : 0;
    return storeStatements(db, site.id, {
      day: utcDay(m.received_at),
      receivedAt: m.received_at,
      rows,
      counted,
      sessions: m.sessions,
      dropped,
    });
  });
  const writes = [
    erasureGuard(db, site.id, erasures),
    ...parts.flatMap((p) => p.counters),
    ...parts.flatMap((p) => p.paths),
    ...parts.flatMap((p) => p.inserts),
    ...parts.flatMap((p) => p.afterInsert),
  ];
  const rows = kept.flatMap((m) => m.rows);
  if (!(await writeThenDerive(db, site, writes, rows))) throw new Error('the write of queued events failed');
}

/**
 * One message whose write failed, stored the careful way as direct mode does (src/ingest/store-batch.ts): a row the
 * database refuses on its own is dropped and counted in the site's `storage_failed`, the others are stored. Throws
 * when the database refused every row (it is down: the message is retried). An erasure of one of its visitors while
 * this ran (the careful way holds no transaction to guard) is applied again to what was just stored.
 */
async function storeCarefully(db: D1Database, site: IngestSite, erasures: SiteErasures, message: IngestMessage) {
  const m = await withoutErased(message, erasures);
  if (m.rows.length === 0) return;
  const result = await storeApart(db, site, {
    day: utcDay(m.received_at),
    receivedAt: m.received_at,
    rows: m.rows,
    counted: m.rows.map((row, i) => ({ id: row.id, visitor: row.visitor, bytes: m.bytes[i]! })),
    afterInsert: afterInsertStatements(db, site.id, m.rows, m.sessions),
    dropped: m.dropped,
  });
  if (!result) throw new Error('the database refused every queued event');
  if (result.failed.length) console.error(`ingest queue: ${result.failed.length} events refused by the database`);
  const now = await readErasures(db, site.id);
  if (now.count === erasures.count) return;
  const erased = await erasedSince(
    now,
    m.rows.map((r) => r.visitor),
    m.received_at,
  );
  for (const visitor of erased) await db.batch(erasureStatements(db, site.id, visitor));
}

/**
 * Stores these messages of one site in one write (see `storeGroup`), with the site's erasures as this isolate last read
 * them: a stale read fails the write's guard, and the messages are then tried one by one (`storeMessage`).
 */
export async function storeMessages(db: D1Database, site: IngestSite, messages: IngestMessage[]): Promise<void> {
  await storeGroup(db, site, await cachedErasures(db, site.id), messages);
}

/**
 * A message alone, after its group's write failed: with the site's erasures read again (one may have come in
 * between), in one write. When that fails too, on its first delivery (`attempts` 1) it is retried whole (a database
 * failing for a moment must not cost events); from its second on, it is stored the careful way.
 */
export async function storeMessage(
  db: D1Database,
  site: IngestSite,
  message: IngestMessage,
  attempts: number,
): Promise<void> {
  const erasures = await readErasures(db, site.id);
  try {
    await storeGroup(db, site, erasures, [message]);
  } catch (error) {
    if (attempts < 2) throw error;
    console.error('ingest queue: a message failed, stored apart', error instanceof Error ? error.message : error);
    await storeCarefully(db, site, erasures, message);
  }
}

/** Retries a message after the backoff its attempts call for (wrangler.jsonc's max_retries, then the dead-letter queue). */
function retryLater(message: Message<unknown>): void {
  message.retry({ delaySeconds: retryDelay(message.attempts) });
}

/** Deliveries of the ingestion queue this isolate has taken (counted only for FAULT_CONSUMER_CRASHES). */
let deliveries = 0;

/**
 * The consumer of the ingestion queue. Fault injection for benches and tests, off unless set: the vars
 * `FAULT_CONSUMER_CRASHES` = N and `FAULT_CONSUMER_CRASH_AFTER` = M (default 0) make the deliveries M + 1 to M + N of
 * this isolate crash after their writes and before any ack, as a consumer that dies there would: the queue delivers
 * those messages again, and their events must not be stored twice.
 */
export async function storeQueued(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const faults = env as { FAULT_CONSUMER_CRASHES?: string; FAULT_CONSUMER_CRASH_AFTER?: string };
  const crashes = Number(faults.FAULT_CONSUMER_CRASHES ?? 0);
  if (!(crashes > 0)) return storeDelivery(batch, env);
  const delivery = ++deliveries - Number(faults.FAULT_CONSUMER_CRASH_AFTER ?? 0);
  if (delivery < 1 || delivery > crashes) return storeDelivery(batch, env);
  // The same messages with ack and retry made no-ops: the writes happen, and nothing reaches the queue before the crash.
  const unacked = batch.messages.map((m) => ({
    id: m.id,
    timestamp: m.timestamp,
    body: m.body,
    attempts: m.attempts,
    ack() {},
    retry() {},
  }));
  await storeDelivery(
    { queue: batch.queue, metadata: batch.metadata, messages: unacked, ackAll() {}, retryAll() {} },
    env,
  );
  throw new Error(`injected consumer crash ${delivery} of ${crashes} (FAULT_CONSUMER_CRASHES)`);
}

/**
 * One delivery of the ingestion queue: messages grouped per site, each group stored in one write. A group that
 * fails is tried message by message, and a message that fails alone is retried once, then stored the careful way: a
 * row the database always refuses costs only itself, and only a message the database refuses whole (it is down, or
 * every row is at fault) is retried until the dead-letter queue. A failing site never holds back another. Messages of a site that no longer
 * exists are dropped.
 */
async function storeDelivery(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const bySite = new Map<string, Array<Message<IngestMessage>>>();
  for (const m of batch.messages) {
    if (!isIngestMessage(m.body)) {
      console.error('ingest queue: a message of an unknown shape', m.id);
      retryLater(m);
      continue;
    }
    const site = m.body.site;
    bySite.set(site, [...(bySite.get(site) ?? []), m as Message<IngestMessage>]);
  }
  for (const [siteId, messages] of bySite) {
    try {
      const site = await cachedSite(env.DB, siteId);
      if (!site) {
        for (const m of messages) m.ack();
        continue;
      }
      const storage = siteStorage(env, site);
      try {
        await storage.storeMessages(
          site,
          messages.map((m) => m.body),
        );
        for (const m of messages) m.ack();
      } catch {
        for (const m of messages)
          await storage.storeMessage(site, m.body, m.attempts).then(
            () => m.ack(),
            (e: unknown) => {
              console.error('ingest queue: a message failed', m.id, e instanceof Error ? e.message : e);
              retryLater(m);
            },
          );
      }
    } catch (error) {
      console.error('ingest queue: site', siteId, error instanceof Error ? error.message : error);
      for (const m of messages) retryLater(m);
    }
  }
}

/**
 * The consumer of the dead-letter queue: a message whose retries ran out is counted on its site's stats
 * (`dead_events`, `dead_batches`: `GET /v1/admin/sites/{site}/stats`) and acked. One of an unknown shape names no site: logged.
 */
export async function countDead(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  for (const m of batch.messages) {
    if (isIngestMessage(m.body))
      await (await siteStorageById(env, m.body.site)).addCounts(m.body.site, utcDay(m.body.received_at), {
        dead_events: m.body.rows.length,
        dead_batches: 1,
      });
    else console.error('ingest dead-letter queue: a message of an unknown shape', m.id);
    m.ack();
  }
}
