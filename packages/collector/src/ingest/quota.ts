// The daily quotas: which events of a batch still fit in what the site and each visitor may store today.
import type { Quota } from '../db/sites.ts';
import type { CountedRow, Usage } from '../db/usage.ts';

/** The events of a batch that fit the quotas, in batch order, and how many did not. */
export interface QuotaFit {
  /** For each row: it fits. */
  fits: boolean[];
  /** Rows that do not fit (none of them stored already). */
  over: number;
  /** Rows that fit and are not stored already (as far as the usage read knew): what the batch takes from the quotas. */
  fresh: number;
}

/**
 * Walks the batch in order. Site quotas (events, bytes per day): once an event does not fit, neither does
 * any later one of the batch, so what is kept is a prefix of the site's events, as a sender would expect.
 * The visitor quota: a visitor's events past it do not fit; other visitors' events still do. An event
 * already stored (a resend, `usage.stored`) always fits and takes nothing, in this check as in the usage
 * (`addUsageStatements`).
 */
export function fitQuota(rows: CountedRow[], usage: Usage, quota: Quota): QuotaFit {
  let events = usage.events;
  let bytes = usage.bytes;
  let siteFull = false;
  let fresh = 0;
  const perVisitor = new Map(usage.visitors);
  const fits = rows.map((r) => {
    if (usage.stored.has(r.id)) return true;
    siteFull ||= events + 1 > quota.events_per_day || bytes + r.bytes > quota.bytes_per_day;
    const visitorEvents = perVisitor.get(r.visitor) ?? 0;
    if (siteFull || visitorEvents + 1 > quota.events_per_visitor_per_day) return false;
    events++;
    bytes += r.bytes;
    perVisitor.set(r.visitor, visitorEvents + 1);
    fresh++;
    return true;
  });
  return { fits, over: fits.filter((f) => !f).length, fresh };
}

/** Seconds from `now` (ms) to the next UTC midnight, when the daily quotas start again: at least 1. */
export function secondsToNextUtcDay(now: number): number {
  const next = Math.floor(now / 86_400_000 + 1) * 86_400_000;
  return Math.max(1, Math.ceil((next - now) / 1000));
}
