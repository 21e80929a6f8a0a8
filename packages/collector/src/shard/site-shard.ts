// A site's shard: a SQLite-backed Durable Object holding one site's events, sessions, derived rows, rollups, derivation
// state and usage counters (STORAGE "shards", docs/PROTOCOL.md "Storage layouts"). It applies the collector's
// migrations to its own SQLite when it starts, and runs the same store, derive and report code as the one D1 through
// a D1-shaped adapter (sql-d1.ts). The Worker calls it over RPC (storage.ts); refusals come back as values.
import { DurableObject } from 'cloudflare:workers';
import type { ParsedBatch } from '@parcours/protocol';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { SHARD_MIGRATIONS, TABLE } from '../db/schema.ts';
import { refusalMessage } from '../errors.ts';
import { eraseVisitorWebhookStatements } from '../db/webhooks.ts';
import { type SiteCounts, siteCountsStatement } from '../db/site-stats.ts';
import type { IngestSite } from '../ingest/site-cache.ts';
import type { BatchContext } from '../ingest/store-batch.ts';
import {
  ERASURE_MEMORY_MS,
  type ErasureMemory,
  erasureMemory,
  forgetOldErasures,
  inheritErasures,
} from '../queue-ingest/erasures.ts';
import type { IngestMessage } from '../queue-ingest/index.ts';
import { sliceValues, type Window } from '../reports/medians.ts';
import { reportForMerge, sampledPartial } from '../reports/partials.ts';
import type { Range, ReportQuery } from '../reports/query.ts';
import type { ReportSite } from '../reports/sql.ts';
import { type Metric, metricCounts } from '../schedule/alert-metrics.ts';
import { moveHorizon } from '../schedule/retention.ts';
import { deriveDirtyVisitors } from '../schedule/derive.ts';
import { ackOwed, decideInShard, owedDeliveries, type SiteToCheck } from '../schedule/carts.ts';
import { forgetWebhookHistory } from '../schedule/webhook-history.ts';
import { MIGRATIONS } from './migrations.gen.ts';
import {
  deleteMovedThrough,
  type HistoryRead,
  type MovePage,
  readHistoryPage,
  type VisitorPart,
  readMovePage,
  storeMovePage,
} from './move-rows.ts';
import { type SiteOperations, siteOperations } from './operations.ts';
import { shardDatabase } from './sql-d1.ts';

/** A refusal (`fail()`) made in the shard, carried back to the Worker as a value: RPC keeps no error's class. */
interface Refusal {
  status: ContentfulStatusCode;
  code: string;
  retryAfter: string | null;
  /** The refusal's sentence for a person, when it has one (see failWithMessage). */
  message?: string;
}

/** A shard call's answer: its value, or the refusal the Worker answers with. */
export type Outcome<T> = { ok: T } | { refused: Refusal };

/** The key (Durable Object storage) set once a move has switched the site away from this shard: it stores no more. */
const RETIRED = 'retired';

/**
 * What a retired shard answers a write: the sender tries again after Retry-After (the site cache's 5 s) and finds the
 * site's new shards (move.ts).
 */
const RETIRED_REFUSAL: Outcome<never> = { refused: { status: 503, code: 'storage-unavailable', retryAfter: '5' } };

/** How long a shard keeps a report's value lists for the medians' second round, which comes right after its answer. */
const KEPT_VALUES_MS = 60_000;
/** Delay before the shard derives visitors a request left behind (the schedule's minute, as in the one D1). */
const CATCH_UP_MS = 60_000;
/** Writes the shards of this isolate made (counted only for FAULT_SHARD_RESTARTS). */
let shardWrites = 0;

/** Applies the migrations this SQLite has not run yet, in order, each in its own transaction; answers their names. */
export function migrate(storage: Pick<DurableObjectStorage, 'sql' | 'transactionSync'>): string[] {
  storage.sql.exec(
    `CREATE TABLE IF NOT EXISTS ${SHARD_MIGRATIONS} (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)`,
  );
  const done = new Set(
    storage.sql
      .exec<{ name: string }>(`SELECT name FROM ${SHARD_MIGRATIONS}`)
      .toArray()
      .map((r) => r.name),
  );
  const applied: string[] = [];
  for (const [name, sql] of MIGRATIONS) {
    if (done.has(name)) continue;
    storage.transactionSync(() => {
      storage.sql.exec(sql);
      storage.sql.exec(`INSERT INTO ${SHARD_MIGRATIONS} (name, applied_at) VALUES (?, ?)`, name, Date.now());
    });
    applied.push(name);
  }
  return applied;
}

async function outcome<T>(work: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: await work() };
  } catch (error) {
    if (!(error instanceof HTTPException)) throw error;
    const retryAfter = error.getResponse().headers.get('retry-after');
    const message = refusalMessage(error);
    return {
      refused: {
        status: error.status as ContentfulStatusCode,
        code: error.message,
        retryAfter,
        ...(message ? { message } : {}),
      },
    };
  }
}

export class SiteShard extends DurableObject<Env> {
  private readonly db: D1Database;
  private readonly site: SiteOperations;
  /** The site's settings last written to the shard's `sites` row (derivation reads its stages there). */
  private remembered = '';
  /** Value lists of the reports answered lately, by `kept` id, until the medians' second round reads their slices. */
  private readonly keptValues = new Map<string, { values: Record<string, number[]>; at: number }>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Synchronous: no request reaches the shard before its schema is current.
    migrate(ctx.storage);
    this.db = shardDatabase(ctx.storage);
    this.site = siteOperations(this.db);
  }

  /** Stores a batch (src/ingest/store-batch.ts) and answers `POST /v1/events`'s reply. */
  async ingest(site: IngestSite, batch: ParsedBatch, ctx: BatchContext) {
    if (this.retired()) return RETIRED_REFUSAL;
    this.remember(site);
    const answer = await outcome(() => this.site.ingest(site, batch, ctx));
    await this.catchUpLater();
    this.restartIfInjected();
    return answer;
  }

  /** Queue mode's request: reads the day's usage and answers what to enqueue. */
  async prepare(site: IngestSite, batch: ParsedBatch, ctx: BatchContext) {
    if (this.retired()) return RETIRED_REFUSAL;
    return outcome(() => this.site.prepare(site, batch, ctx));
  }

  /** Queue mode's consumer: stores these messages of the site in one write. */
  async storeMessages(site: IngestSite, messages: IngestMessage[]) {
    this.refuseIfRetired();
    this.remember(site);
    await this.site.storeMessages(site, messages);
    await this.catchUpLater();
    this.restartIfInjected();
  }

  /** Queue mode's consumer: one message after its group's write failed. */
  async storeMessage(site: IngestSite, message: IngestMessage, attempts: number) {
    this.refuseIfRetired();
    this.remember(site);
    await this.site.storeMessage(site, message, attempts);
    await this.catchUpLater();
  }

  addCounts(site: string, day: string, counts: Partial<SiteCounts>) {
    this.refuseIfRetired();
    return this.site.addCounts(site, day, counts);
  }

  report(name: string, site: ReportSite, q: ReportQuery) {
    return outcome(() => this.site.report(name, site, q));
  }

  /**
   * A report (none when the merge reads the partial alone) and what a site of several shards merges it with
   * (src/reports/merge.ts): its value lists sampled, and kept here under the id `kept` for the second round of the
   * medians (medianSlices) when the sample is not all of them.
   */
  reportPart(name: string, site: ReportSite, q: ReportQuery) {
    return outcome(async () => {
      const report = await reportForMerge(name, () => this.site.report(name, site, q));
      const samples = Number(this.env.PARCOURS_TEST_MEDIAN_SAMPLES) || undefined;
      const { partial, values } = await sampledPartial(this.db, name, site, q, samples);
      const kept = crypto.randomUUID();
      const now = Date.now();
      for (const [id, { at }] of this.keptValues) if (now - at > KEPT_VALUES_MS) this.keptValues.delete(id);
      if (Object.values(partial.samples).some((s) => s.at.length < s.n)) this.keptValues.set(kept, { values, at: now });
      return { report, partial, kept };
    });
  }

  /**
   * The medians' second round: the slices of `windows` from the values kept by reportPart, or, if this shard has
   * restarted since, from its values read again.
   */
  medianSlices(kept: string, name: string, site: ReportSite, q: ReportQuery, windows: Record<string, Window>) {
    return outcome(async () => {
      const values = this.keptValues.get(kept)?.values ?? (await sampledPartial(this.db, name, site, q)).values;
      this.keptValues.delete(kept);
      return sliceValues(values, windows);
    });
  }

  exportEvents(site: ReportSite, range: Range, cursor: string | null, limit: number, maxBytes?: number) {
    return outcome(() => this.site.exportEvents(site, range, cursor, limit, maxBytes));
  }

  metric(site: ReportSite, m: Metric, range: Range, abandonAfter: number) {
    return this.site.metric(site, m, range, abandonAfter);
  }

  /** An alert metric's counts, which a site of several shards adds (src/schedule/alert-metrics.ts). */
  metricCounts(site: ReportSite, m: Metric, range: Range) {
    return metricCounts(this.db, site, m, range);
  }

  counts(site: string) {
    return this.site.counts(site);
  }

  /**
   * Erases a visitor (the Worker erases what D1 holds of them: webhook deliveries); the erasure's record
   * for the queue's consumer is forgotten here after ERASURE_MEMORY_MS (the alarm).
   */
  async erase(site: string, visitor: string) {
    // With their cart claims and the deliveries this shard still owes about them (src/schedule/carts.ts).
    const erased = await this.site.erase(site, visitor, eraseVisitorWebhookStatements(this.db, site, visitor));
    await this.forgetLater();
    return erased;
  }

  /**
   * The schedule's carts job for this shard (src/schedule/carts.ts): claims its abandoned carts and recoveries, forgets
   * claims too old to matter (as D1's webhook-history job does), and answers the deliveries it owes D1.
   */
  async decideCarts(site: SiteToCheck, now: number) {
    const owed = await decideInShard(this.db, site, now);
    await forgetWebhookHistory({ DB: this.db }, now);
    return owed;
  }

  /** The Worker has written these owed deliveries to D1: they are owed no more. */
  ackCarts(site: string, keys: string[]) {
    return ackOwed(this.db, site, keys);
  }

  /** Retention: the site's horizon moves to `horizon` here too (derivation reads it), then rows before it go. */
  async deleteBefore(site: string, horizon: number, budget: number) {
    await moveHorizon(this.db, site, horizon);
    return this.site.deleteBefore(site, horizon, budget);
  }

  /** A move's history page: the visitors after `after` whole, or the next part of one (src/shard/move-rows.ts). */
  historyPage(site: string, after: string, limit: number, part: VisitorPart | null): Promise<HistoryRead> {
    return readHistoryPage(this.db, site, after, limit, part);
  }

  /** A move's new shard takes the old shards' retention horizon before it derives anything. */
  async takeHorizon(site: IngestSite, horizon: number): Promise<void> {
    this.remember(site);
    await moveHorizon(this.db, site.id, horizon);
  }

  /** A move's page of this shard's events after `seq` `after` (src/shard/move-rows.ts). */
  movePage(site: string, after: number, limit: number): Promise<MovePage> {
    return readMovePage(this.db, site, after, limit);
  }

  /** A move's page (the part of it whose visitors this shard holds) stored here: answers the events newly stored. */
  async moveIn(site: IngestSite, page: MovePage): Promise<number> {
    this.remember(site);
    const stored = await storeMovePage(this.db, site, page);
    await this.catchUpLater();
    return stored;
  }

  /**
   * A move's new shard before the switch: derives now the visitors a page left behind (past derivation's budget), so
   * that reports are whole from the switch on; answers whether some still are.
   */
  async catchUp(): Promise<boolean> {
    await deriveDirtyVisitors(this.db);
    return this.behind();
  }

  /** The site has switched to a move's new shards: from now on this one refuses every write (RETIRED_REFUSAL). */
  retire(): void {
    this.ctx.storage.kv.put(RETIRED, true);
  }

  /** A retired shard's events up to `through`, which the move has stored in the new shards, are deleted. */
  dropMoved(site: string, through: number): Promise<void> {
    return deleteMovedThrough(this.db, site, through);
  }

  /** What a retired shard hands over before it is emptied: its daily counters and the cart deliveries it owes. */
  async handOver(site: string) {
    return { days: (await this.site.counts(site)).days, owed: await owedDeliveries(this.db, site) };
  }

  /**
   * Adds a retired shard's counters (named `from`) to this shard's, once whatever the retries: the events and bytes
   * aside, which the moved events counted where they landed (storeMovePage).
   */
  async takeCounts(site: string, from: string, days: Array<SiteCounts & { day: string }>): Promise<void> {
    const key = `counted:${from}`;
    if (this.ctx.storage.kv.get(key)) return;
    const statements = days.flatMap(({ day, ...counts }) => {
      const s = siteCountsStatement(this.db, site, day, { ...counts, events: 0, bytes: 0 });
      return s ? [s] : [];
    });
    // The batch runs synchronously underneath (sql-d1.ts): no other call comes between the counts and the mark, and
    // the Durable Object commits them together.
    if (statements.length) await this.db.batch(statements);
    this.ctx.storage.kv.put(key, true);
  }

  /** Empties a retired shard (every row, its alarm) and keeps it retired: a late write still finds it refusing. */
  /** This shard's erasure memory of `site`, for a move to hand to the new shards (erasures.ts `erasureMemory`). */
  erasureMemory(site: string): Promise<ErasureMemory> {
    return erasureMemory(this.db, site);
  }

  /** Takes on the old shards' erasure memories at a move's switch (erasures.ts `inheritErasures`). */
  inheritErasures(site: string, memories: ErasureMemory[]): Promise<void> {
    return inheritErasures(this.db, site, memories);
  }

  async wipe(): Promise<void> {
    await this.ctx.storage.deleteAll();
    migrate(this.ctx.storage);
    this.remembered = '';
    this.retire();
  }

  private retired(): boolean {
    return this.ctx.storage.kv.get(RETIRED) === true;
  }

  /** A write reaching a retired shard fails: the queue retries the message, and then finds the new shards. */
  private refuseIfRetired(): void {
    if (this.retired()) throw new Error('this shard is retired: its site moved to other shards');
  }

  /**
   * Fault injection for benches only, off unless set: the vars `FAULT_SHARD_RESTARTS` = N and
   * `FAULT_SHARD_RESTART_AFTER` = M (default 0) reset the shard (`ctx.abort()`, as a crash or an eviction would) right
   * after its writes M + 1 to M + N (counted per isolate), before it answers: the write is stored, the caller sees a
   * failure and sends again, and nothing may be stored twice.
   */
  private restartIfInjected(): void {
    const faults = this.env as { FAULT_SHARD_RESTARTS?: string; FAULT_SHARD_RESTART_AFTER?: string };
    const restarts = Number(faults.FAULT_SHARD_RESTARTS ?? 0);
    if (!(restarts > 0)) return;
    const write = ++shardWrites - Number(faults.FAULT_SHARD_RESTART_AFTER ?? 0);
    if (write >= 1 && write <= restarts)
      this.ctx.abort(`injected shard restart ${write} of ${restarts} (FAULT_SHARD_RESTARTS)`);
  }

  /**
   * The shard's own schedule (the Worker's Cron reaches D1 only): derives the visitors a request left behind (failed
   * or cut at its budget), forgets erasures older than the queue keeps a batch, then waits for what remains.
   */
  override async alarm() {
    const derived = await deriveDirtyVisitors(this.db);
    if (derived) console.log(`shard derive: ${derived} visitors caught up`);
    await forgetOldErasures(this.db, Date.now());
    await this.catchUpLater();
    await this.forgetLater();
  }

  /** Sets the alarm a minute on while some visitor's derivation is behind (batches and the alarm call it). */
  private async catchUpLater(): Promise<void> {
    if (this.behind()) await this.alarmBy(Date.now() + CATCH_UP_MS);
  }

  /** Whether some visitor's derivation is behind their stored events. */
  private behind(): boolean {
    return this.ctx.storage.sql.exec(`SELECT 1 FROM ${TABLE.dirty_visitors} LIMIT 1`).toArray().length > 0;
  }

  /** Sets the alarm for when the oldest erasure record is due to be forgotten (only erasures and the alarm add or drop them). */
  private async forgetLater(): Promise<void> {
    const { oldest } = this.ctx.storage.sql
      .exec<{ oldest: number | null }>(`SELECT MIN(erased_at) AS oldest FROM ${TABLE.erased_visitors}`)
      .one();
    if (oldest !== null) await this.alarmBy(oldest + ERASURE_MEMORY_MS + 1);
  }

  /** Sets the alarm for `due`, unless one is set as early. */
  private async alarmBy(due: number): Promise<void> {
    const set = await this.ctx.storage.getAlarm();
    if (set === null || set > due) await this.ctx.storage.setAlarm(due);
  }

  /**
   * Keeps the site's row here current with what derivation and the schedule read of it (stages, abandon_after, quota):
   * never its read-token or ingest-key hash, which stay in D1. `retained_from` is the shard's own (deleteBefore).
   */
  private remember(site: IngestSite): void {
    const row = [
      site.id,
      JSON.stringify(site.origins),
      JSON.stringify(site.stages),
      site.botFilter ? 1 : 0,
      site.visitorIds,
      site.retentionDays,
      site.abandonAfter,
      site.requireIngestKey ? 1 : 0,
      site.quota.events_per_day,
      site.quota.bytes_per_day,
      site.quota.events_per_visitor_per_day,
    ];
    const key = JSON.stringify(row);
    if (key === this.remembered) return;
    this.ctx.storage.sql.exec(
      `INSERT INTO ${TABLE.sites} (id, origins, stages, read_token_hash, created_at, bot_filter, visitor_ids,
         retention_days, abandon_after, require_ingest_key, quota_events_per_day, quota_bytes_per_day,
         quota_events_per_visitor_per_day)
       VALUES (?1, ?2, ?3, '', ?12, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
       ON CONFLICT (id) DO UPDATE SET origins = ?2, stages = ?3, bot_filter = ?4, visitor_ids = ?5,
         retention_days = ?6, abandon_after = ?7, require_ingest_key = ?8, quota_events_per_day = ?9,
         quota_bytes_per_day = ?10, quota_events_per_visitor_per_day = ?11`,
      ...row,
      Date.now(),
    );
    this.remembered = key;
  }
}
