// A site kept in several shards (admin `shards` > 1, docs/PROTOCOL.md "Storage layouts"): each visitor's events and
// derived rows live in the shard shardIndex picks, so a visitor's journey is derived inside one shard and distinct
// visitors add across shards. Batches are split by visitor; reads fan out to every shard and merge
// (src/reports/merge.ts, export-pages.ts).
import type { BatchReply, ParsedBatch, Rejection } from '@parcours/protocol';
import type { Quota } from '../db/sites.ts';
import type { SiteCounts } from '../db/site-stats.ts';
import type { IngestSite } from '../ingest/site-cache.ts';
import type { PreparedBatch } from '../ingest/store-batch.ts';
import type { IngestMessage } from '../queue-ingest/index.ts';
import { mergeReports, PART_LIMIT, type ShardAnswer } from '../reports/merge.ts';
import { EXPORT_PAGE_BYTES } from '../reports/events.ts';
import type { ReportQuery } from '../reports/query.ts';
import { invalidQuery } from '../reports/run.ts';
import { rate } from '../reports/sql.ts';
import { COUNTED_METRICS, metricFromReports } from '../schedule/alert-metrics.ts';
import { exportAcross } from './export-pages.ts';
import type { Outcome } from './site-shard.ts';
import { forShard, oneShard, reportSite, shardIndex, shardOf, type SiteStorage, unwrap } from './storage.ts';

/**
 * A site's daily quotas as each of its `count` shards applies them: the site's events and bytes a day shared out
 * evenly (each shard counts only its visitors' usage), a visitor's own quota whole (a visitor is in one shard).
 */
function shareOfQuota<S extends { quota: Quota }>(site: S, count: number): S {
  const { events_per_day, bytes_per_day, events_per_visitor_per_day } = site.quota;
  const share = (n: number) => Math.ceil(n / count);
  return {
    ...site,
    quota: { events_per_day: share(events_per_day), bytes_per_day: share(bytes_per_day), events_per_visitor_per_day },
  };
}

/**
 * A batch split by its visitors' shards: `[shard, part]` for each shard with events. The outbox's drop count and the
 * batch's own rejections ride with the first part; a batch of no valid event goes whole to shard 0.
 */
function splitBatch(batch: ParsedBatch, count: number): Array<[number, ParsedBatch]> {
  const byShard = new Map<number, ParsedBatch['events']>();
  for (const e of batch.events) {
    const k = shardIndex(e.event.visitor, count);
    byShard.set(k, [...(byShard.get(k) ?? []), e]);
  }
  if (!byShard.size) return [[0, batch]];
  return [...byShard].map(([k, events], i) => [
    k,
    { ...batch, events, dropped: i === 0 ? batch.dropped : 0, rejected: i === 0 ? batch.rejected : [] },
  ]);
}

/** A queued message split by its rows' shards (sessions follow their visitor); the drop count rides with the first part. */
function splitMessage(m: IngestMessage, count: number): Map<number, IngestMessage> {
  const parts = new Map<number, IngestMessage>();
  m.rows.forEach((row, i) => {
    const k = shardIndex(row.visitor, count);
    const part = parts.get(k) ?? { ...m, dropped: parts.size ? 0 : m.dropped, rows: [], bytes: [], sessions: [] };
    part.rows.push(row);
    part.bytes.push(m.bytes[i]!);
    parts.set(k, part);
  });
  // No rows (a batch of bots or drops only): the message goes whole to the first shard, which keeps its counters.
  if (!parts.size) return new Map([[0, m]]);
  for (const s of m.sessions) parts.get(shardIndex(s.visitor, count))?.sessions.push(s);
  return parts;
}

const byIndex = (a: Rejection, b: Rejection) => a.index - b.index;

/** One reply for a batch stored in parts: the parts' numbers added, their rejections in batch order. */
function addReplies(replies: BatchReply[]): BatchReply {
  const filtered = replies.reduce((n, r) => n + (r.filtered ?? 0), 0);
  const reply: BatchReply = {
    accepted: replies.reduce((n, r) => n + r.accepted, 0),
    duplicates: replies.reduce((n, r) => n + r.duplicates, 0),
    rejected: replies.flatMap((r) => r.rejected).sort(byIndex),
  };
  if (filtered) reply.filtered = filtered;
  return reply;
}

/**
 * The parts' answers once all have come: any refusal (a quota, storage unavailable) refuses the whole batch, which the
 * sender then resends whole (the parts stored now are duplicates then: nothing is lost or stored twice).
 */
function allOrRefusal<T>(outcomes: Outcome<T>[]): T[] {
  const refused = outcomes.find((o) => 'refused' in o);
  if (refused) unwrap(refused);
  return outcomes.map(unwrap);
}

type Prepared = Awaited<ReturnType<SiteStorage['prepare']>>;

/** Queue mode: the parts prepared in their shards, as one batch to enqueue (the consumer splits it again). */
function addPrepared(parts: Prepared[]): Prepared {
  const stores = parts.flatMap((p) => ('store' in p ? [p.store] : []));
  const replies = parts.flatMap((p) => ('reply' in p ? [p.reply] : []));
  if (!stores.length) return { reply: addReplies(replies) };
  const over = stores.reduce((n, s) => n + s.over, 0);
  const store: PreparedBatch = {
    day: stores[0]!.day,
    rows: stores.flatMap((s) => s.rows),
    counted: stores.flatMap((s) => s.counted),
    indexes: stores.flatMap((s) => s.indexes),
    sessions: stores.flatMap((s) => s.sessions),
    rejected: [...stores, ...replies].flatMap((s) => s.rejected).sort(byIndex),
    over,
    fresh: stores.reduce((n, s) => n + s.fresh, 0),
    quotaCounts: { quota_events: over, quota_batches: over ? 1 : 0 },
  };
  return { store };
}

/** Usage counters of every shard, added day by day. */
function addUsage(all: Array<Awaited<ReturnType<SiteStorage['counts']>>>): Awaited<ReturnType<SiteStorage['counts']>> {
  const days = new Map<string, SiteCounts & { day: string }>();
  const add = <T extends object>(into: T, from: T) => {
    for (const [k, v] of Object.entries(from)) if (typeof v === 'number') (into as Record<string, number>)[k]! += v;
  };
  for (const { days: shardDays } of all)
    for (const d of shardDays) {
      const seen = days.get(d.day);
      if (seen) add(seen, d);
      else days.set(d.day, { ...d });
    }
  const totals = { ...all[0]!.totals };
  for (const c of all.slice(1)) add(totals, c.totals);
  return { days: [...days.values()].sort((a, b) => a.day.localeCompare(b.day)), totals };
}

/** The storage of a site of `count` shards. */
export function severalShards(
  env: Pick<Env, 'DB' | 'SHARDS'>,
  id: string,
  count: number,
  generation: number,
): SiteStorage {
  const shards = Array.from({ length: count }, (_, k) => shardOf(env, id, k, generation));
  const each = shards.map((shard) => oneShard(env, shard));
  /**
   * The batch's visitor ids made (cookieless) and the site's quota shared out, then its parts by shard. A bot's batch
   * that the site filters is only counted: whole, by shard 0 (one batch, not one per shard).
   */
  const parts = async (s: IngestSite, batch: ParsedBatch, ctx: Parameters<SiteStorage['ingest']>[2]) => {
    const [site, ready, context] = await forShard(env.DB, s, batch, ctx);
    const filtered = ctx.bot && s.botFilter;
    return {
      site: shareOfQuota(site, count),
      context,
      parts: filtered ? ([[0, ready]] as Array<[number, ParsedBatch]>) : splitBatch(ready, count),
    };
  };
  const storage: SiteStorage = {
    ingest: async (s, batch, ctx) => {
      const split = await parts(s, batch, ctx);
      const outcomes = await Promise.all(split.parts.map(([k, p]) => shards[k]!.ingest(split.site, p, split.context)));
      return addReplies(allOrRefusal(outcomes));
    },
    prepare: async (s, batch, ctx) => {
      const split = await parts(s, batch, ctx);
      const outcomes = await Promise.all(split.parts.map(([k, p]) => shards[k]!.prepare(split.site, p, split.context)));
      return addPrepared(allOrRefusal(outcomes));
    },
    storeMessages: async (s, messages) => {
      const byShard = new Map<number, IngestMessage[]>();
      for (const m of messages)
        for (const [k, part] of splitMessage(m, count)) byShard.set(k, [...(byShard.get(k) ?? []), part]);
      const site = shareOfQuota(s, count);
      await Promise.all([...byShard].map(([k, ms]) => shards[k]!.storeMessages(site, ms)));
    },
    storeMessage: async (s, message, attempts) => {
      const site = shareOfQuota(s, count);
      await Promise.all(
        [...splitMessage(message, count)].map(([k, part]) => shards[k]!.storeMessage(site, part, attempts)),
      );
    },
    // Counters that belong to no visitor (a refused quota, dead letters) are kept by shard 0; counts() adds them all.
    addCounts: (s, day, counts) => shards[0]!.addCounts(s, day, counts),
    counts: async (s) => addUsage(await Promise.all(shards.map((shard) => shard.counts(s)))),
    report: async (name, s, q) => {
      // Every group of each shard's lists, so that the merged ranking is cut after adding.
      const asked = { ...q, limit: PART_LIMIT };
      const answers = await Promise.all(
        shards.map(
          async (shard) => unwrap(await shard.reportPart(name, reportSite(s), asked)) as ShardAnswer & { kept: string },
        ),
      );
      // The medians' second round: a shard sends its slices from the values it kept when it answered (`kept`).
      return mergeReports(name, s, q, answers, async (k, windows) =>
        unwrap(await shards[k]!.medianSlices(answers[k]!.kept, name, reportSite(s), asked, windows)),
      );
    },
    // Each shard sends its share of a page's bytes: a page of 64 shards must not hold 64 pages in the Worker's memory.
    // A shard whose share runs out first ends the merged page there (exportAcross), so its next page starts where it stopped.
    exportEvents: (s, range, cursor, limit) =>
      exportAcross(count, cursor, limit, async (k, after) =>
        unwrap(await shards[k]!.exportEvents(reportSite(s), range, after, limit, Math.ceil(EXPORT_PAGE_BYTES / count))),
      ).catch(invalidQuery),
    metric: async (s, m, range, abandonAfter) => {
      if (!COUNTED_METRICS.includes(m.name)) {
        const q: ReportQuery = { range, abandonAfter, limit: 1, cursor: null, by: null, interval: null };
        return metricFromReports(m, (name) => storage.report(name, s, q));
      }
      const counts = await Promise.all(shards.map((shard) => shard.metricCounts(reportSite(s), m, range)));
      const count = counts.reduce((n, c) => n + c.count, 0);
      return m.name === 'visitors'
        ? count
        : rate(
            count,
            counts.reduce((n, c) => n + c.of, 0),
          );
    },
    erase: (s, visitor, d1) => each[shardIndex(visitor, count)]!.erase(s, visitor, d1),
    // Retention's budget of rows is spent shard after shard.
    deleteBefore: async (s, horizon, budget) => {
      const total = { events: 0, rows: 0 };
      for (const shard of shards) {
        if (total.rows >= budget) break;
        const d = await shard.deleteBefore(s, horizon, budget - total.rows);
        total.events += d.events;
        total.rows += d.rows;
      }
      return total;
    },
  };
  return storage;
}
