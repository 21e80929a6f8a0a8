// What the collector does with one site's rows (store a batch, read a report, export, count, erase, delete before the
// retention horizon), over a database: the one D1, or the site's shard (src/shard/site-shard.ts). Both layouts run
// these very functions.
import type { BatchReply, ParsedBatch } from '@parcours/protocol';
import { addSiteCounts, getSiteCounts, type SiteCounts } from '../db/site-stats.ts';
import type { IngestSite } from '../ingest/site-cache.ts';
import { type BatchContext, prepareBatch, storeBatch } from '../ingest/store-batch.ts';
import { eraseVisitor } from '../queue-ingest/erasures.ts';
import { type IngestMessage, storeMessage, storeMessages } from '../queue-ingest/index.ts';
import { type EventsPage, exportEvents } from '../reports/events.ts';
import type { Range, ReportQuery } from '../reports/query.ts';
import { invalidQuery, runReport } from '../reports/run.ts';
import type { ReportSite } from '../reports/sql.ts';
import { type Metric, readMetric } from '../schedule/alert-metrics.ts';
import { type Deleted, deleteBeforeHorizon } from '../schedule/retention.ts';

export function siteOperations(db: D1Database) {
  return {
    ingest: (site: IngestSite, batch: ParsedBatch, ctx: BatchContext): Promise<BatchReply> =>
      storeBatch(db, site, batch, ctx),
    /** Queue mode's request: what to enqueue (quotas read here), or the reply already. */
    prepare: (site: IngestSite, batch: ParsedBatch, ctx: BatchContext) => prepareBatch(db, site, batch, ctx),
    /** Queue mode's consumer: these messages of the site stored in one write with their derivation. */
    storeMessages: (site: IngestSite, messages: IngestMessage[]): Promise<void> => storeMessages(db, site, messages),
    /** Queue mode's consumer: one message after its group failed (retried whole once, then stored the careful way). */
    storeMessage: (site: IngestSite, message: IngestMessage, attempts: number): Promise<void> =>
      storeMessage(db, site, message, attempts),
    addCounts: (site: string, day: string, counts: Partial<SiteCounts>): Promise<void> =>
      addSiteCounts(db, site, day, counts),
    report: (name: string, site: ReportSite, q: ReportQuery): Promise<unknown> => runReport(db, name, site, q),
    /** A page of the export; `maxBytes` its size (default EXPORT_PAGE_BYTES: a site of several shards asks each a share). */
    exportEvents: (
      site: ReportSite,
      range: Range,
      cursor: string | null,
      limit: number,
      maxBytes?: number,
    ): Promise<EventsPage> => exportEvents(db, site, range, cursor, limit, maxBytes).catch(invalidQuery),
    counts: (site: string) => getSiteCounts(db, site),
    /**
     * Erases a visitor's events, derived rows, sessions and rollup counts in one transaction, behind `before` (other
     * statements of the same database to run in it); answers the events erased.
     */
    erase: (site: string, visitor: string, before: D1PreparedStatement[] = []): Promise<number> =>
      eraseVisitor(db, site, visitor, Date.now(), before),
    /** An alert's metric over `range`, as the reports would answer it (src/schedule/alert-metrics.ts). */
    metric: (site: ReportSite, m: Metric, range: Range, abandonAfter: number): Promise<number | null> =>
      readMetric(db, site, m, range, abandonAfter),
    deleteBefore: (site: string, horizon: number, budget: number): Promise<Deleted> =>
      deleteBeforeHorizon(db, site, horizon, budget),
  };
}

/** A site's operations as siteOperations gives them. */
export type SiteOperations = ReturnType<typeof siteOperations>;
