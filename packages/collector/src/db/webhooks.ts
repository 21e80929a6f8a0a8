// Webhook endpoints and their deliveries: plain functions over D1, no HTTP.
import { TABLE } from './schema.ts';

/** Event types a webhook can receive. */
export const WEBHOOK_EVENTS = ['cart.abandoned', 'cart.recovered', 'alert.triggered', 'alert.resolved'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** Most webhooks per site. */
const MAX_WEBHOOKS_PER_SITE = 20;

export interface Webhook {
  id: string;
  site: string;
  url: string;
  events: WebhookEvent[];
  secretEnc: string;
  createdAt: number;
}

interface WebhookRow {
  id: string;
  site: string;
  url: string;
  events: string;
  secret_enc: string;
  created_at: number;
}

const toWebhook = (r: WebhookRow): Webhook => ({
  id: r.id,
  site: r.site,
  url: r.url,
  events: JSON.parse(r.events),
  secretEnc: r.secret_enc,
  createdAt: r.created_at,
});

/** Stores a webhook unless the site already has MAX_WEBHOOKS_PER_SITE; false then. */
export async function insertWebhook(db: D1Database, w: Webhook): Promise<boolean> {
  const r = await db
    .prepare(
      `INSERT INTO ${TABLE.webhooks} (id, site, url, events, secret_enc, created_at)
       SELECT ?, ?, ?, ?, ?, ? WHERE (SELECT COUNT(*) FROM ${TABLE.webhooks} WHERE site = ?2) < ?7`,
    )
    .bind(w.id, w.site, w.url, JSON.stringify(w.events), w.secretEnc, w.createdAt, MAX_WEBHOOKS_PER_SITE)
    .run();
  return r.meta.changes === 1;
}

/** A site's webhooks, oldest first. */
export async function listWebhooks(db: D1Database, site: string): Promise<Webhook[]> {
  const { results } = await db
    .prepare(`SELECT * FROM ${TABLE.webhooks} WHERE site = ? ORDER BY created_at, id`)
    .bind(site)
    .all<WebhookRow>();
  return results.map(toWebhook);
}

/** Removes a webhook of a site and its deliveries (queued messages of it are then acked unsent). */
export async function deleteWebhook(db: D1Database, site: string, id: string): Promise<boolean> {
  const [r] = await db.batch([
    db.prepare(`DELETE FROM ${TABLE.webhooks} WHERE site = ? AND id = ?`).bind(site, id),
    db.prepare(`DELETE FROM ${TABLE.webhook_deliveries} WHERE site = ? AND webhook = ?`).bind(site, id),
  ]);
  return r!.meta.changes === 1;
}

/**
 * A statement that creates one delivery of `type` for each webhook of `site` subscribed to it: run it in the same
 * batch as the decision that makes the event; sendUnsent (webhooks/enqueue.ts) then queues it.
 * Each delivery's id (the `webhook-id`) is made of the webhook's id and `key` (hex, naming the decision: see
 * deliveryKey), so a decision taken twice makes no second delivery (INSERT OR IGNORE on the primary key).
 */
export function deliveriesStatement(
  db: D1Database,
  site: string,
  type: WebhookEvent,
  key: string,
  body: string,
  now: number,
  onlyIf?: { sql: string; params: unknown[] },
): D1PreparedStatement {
  return db
    .prepare(
      `INSERT OR IGNORE INTO ${TABLE.webhook_deliveries} (id, site, webhook, type, body, created_at)
       SELECT 'msg_' || substr(w.id, 4) || ?3, ?1, w.id, ?2, ?4, ?5
         FROM ${TABLE.webhooks} AS w, json_each(w.events) AS e WHERE w.site = ?1 AND e.value = ?2${onlyIf ? ` AND ${onlyIf.sql}` : ''}`,
    )
    .bind(site, type, key, body, now, ...(onlyIf?.params ?? []));
}

/** The key of a decision (`cart.abandoned` of cart X, an alert's change at time T) in a delivery id: 24 hex digits. */
export async function deliveryKey(...parts: Array<string | number>): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(parts.join('\u0000')));
  return [...new Uint8Array(digest).slice(0, 12)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Delivery ids not yet sent to the queue, claimed for sending (`enqueued_at` set) so an overlapping run skips them. */
export async function claimUnsent(db: D1Database, now: number, limit = 500): Promise<string[]> {
  const { results } = await db
    .prepare(
      `UPDATE ${TABLE.webhook_deliveries} SET enqueued_at = ?1
        WHERE id IN (SELECT id FROM ${TABLE.webhook_deliveries} WHERE enqueued_at IS NULL AND status = 'pending' LIMIT ?2)
        RETURNING id`,
    )
    .bind(now, limit)
    .all<{ id: string }>();
  return results.map((r) => r.id);
}

/** Marks deliveries as not sent (the queue refused them): the next run sends them again. */
export async function unclaim(db: D1Database, ids: string[]): Promise<void> {
  if (!ids.length) return;
  await db
    .prepare(`UPDATE ${TABLE.webhook_deliveries} SET enqueued_at = NULL WHERE id IN (SELECT value FROM json_each(?))`)
    .bind(JSON.stringify(ids))
    .run();
}

/** A delivery with what it takes to post it; null when it or its webhook is gone. */
export interface DeliveryToPost {
  id: string;
  site: string;
  webhook: string;
  url: string;
  secretEnc: string;
  body: string;
  status: 'pending' | 'delivered' | 'dead';
}

export async function getDeliveryToPost(db: D1Database, id: string): Promise<DeliveryToPost | null> {
  return db
    .prepare(
      `SELECT d.id, d.site, d.webhook, w.url, w.secret_enc AS secretEnc, d.body, d.status
         FROM ${TABLE.webhook_deliveries} AS d JOIN ${TABLE.webhooks} AS w ON w.id = d.webhook WHERE d.id = ?`,
    )
    .bind(id)
    .first<DeliveryToPost>();
}

/** Records an attempt: delivered (a 2xx), or its HTTP status or error for the admin API to show. */
export async function recordAttempt(
  db: D1Database,
  id: string,
  outcome: { delivered: boolean; status: number | null; error: string | null; now: number },
): Promise<void> {
  await db
    .prepare(
      `UPDATE ${TABLE.webhook_deliveries} SET attempts = attempts + 1, last_status = ?2, last_error = ?3,
              status = CASE WHEN ?4 THEN 'delivered' ELSE status END, delivered_at = CASE WHEN ?4 THEN ?5 END
        WHERE id = ?1`,
    )
    .bind(id, outcome.status, outcome.error, outcome.delivered ? 1 : 0, outcome.now)
    .run();
}

/** Marks a delivery dead (it left the dead-letter queue here, or its URL is refused now). */
export async function markDead(db: D1Database, id: string, error?: string): Promise<void> {
  await db
    .prepare(
      `UPDATE ${TABLE.webhook_deliveries} SET status = 'dead', last_error = coalesce(?2, last_error) WHERE id = ?1 AND status = 'pending'`,
    )
    .bind(id, error ?? null)
    .run();
}

/** A dead delivery as the admin API lists it. */
export interface DeadDelivery {
  id: string;
  webhook: string;
  type: string;
  created_at: number;
  attempts: number;
  last_status: number | null;
  last_error: string | null;
}

/** A site's dead deliveries, newest first. */
export async function listDead(db: D1Database, site: string, limit = 100): Promise<DeadDelivery[]> {
  const { results } = await db
    .prepare(
      `SELECT id, webhook, type, created_at, attempts, last_status, last_error FROM ${TABLE.webhook_deliveries}
        WHERE site = ? AND status = 'dead' ORDER BY created_at DESC, id LIMIT ?`,
    )
    .bind(site, limit)
    .all<DeadDelivery>();
  return results;
}

/** Puts a dead delivery back to pending (same id, so the receiver can still tell a repeat); false when it is not dead. */
export async function revive(db: D1Database, site: string, id: string, now: number): Promise<boolean> {
  const r = await db
    .prepare(
      `UPDATE ${TABLE.webhook_deliveries} SET status = 'pending', enqueued_at = ?3 WHERE site = ?1 AND id = ?2 AND status = 'dead'`,
    )
    .bind(site, id, now)
    .run();
  return r.meta.changes === 1;
}

/**
 * Erasure of one visitor (admin `DELETE …/visitors/{visitor}`): their abandoned-cart claims and every delivery about
 * them, sent or not (a queued one whose row is gone is acknowledged without a post).
 */
export function eraseVisitorWebhookStatements(db: D1Database, site: string, visitor: string): D1PreparedStatement[] {
  return [
    db.prepare(`DELETE FROM ${TABLE.cart_abandonments} WHERE site = ? AND visitor = ?`).bind(site, visitor),
    db
      .prepare(`DELETE FROM ${TABLE.webhook_deliveries} WHERE site = ? AND json_extract(body, '$.data.visitor') = ?`)
      .bind(site, visitor),
  ];
}
