// Scheduled job: decides abandoned carts (`cart.abandoned`, once per cart) and their recoveries (`cart.recovered`).
import { pathTextSql } from '../db/insert-sql.ts';
import { shardOf, sharded } from '../shard/storage.ts';
import { INDEX, TABLE } from '../db/schema.ts';
import { CART_EVENTS } from '@parcours/protocol';
import { deliveriesStatement, deliveryKey, type WebhookEvent } from '../db/webhooks.ts';
import { applyCartEvent, openCart } from '../derive/carts.ts';
import type { StoredEvent } from '../derive/types.ts';
import { NO_CURRENCY } from '../reports/carts.ts';

/**
 * Carts whose abandonment moment (last cart activity + abandon_after) is older than this are left alone: the first
 * run after webhooks are added does not send a year of history, and a cart left a day ago is past winning back.
 */
const LOOKBACK_MS = 24 * 3_600_000;
/** Carts decided per site and run; the next run (a minute later) takes the rest. */
const CARTS_PER_RUN = 100;

const CART_TYPES = CART_EVENTS.map((t) => `'${t}'`).join(',');

/** A site whose carts to decide, as D1's `sites` row gives it (`shards`: how many shards hold its rows, and their generation). */
export interface SiteToCheck {
  id: string;
  stages: string;
  abandon_after: number;
  shards: number;
  generation: number;
}

/** What a decision writes for its event: deliveriesStatement (the one D1) or owedStatement (a shard). */
type DeliveryWriter = typeof deliveriesStatement;

interface Candidate {
  visitor: string;
  cart_id: string;
  session: string;
  started_at: number;
  last_activity: number;
  exit_path: string | null;
  exit_stage: number | null;
  channel: string | null;
  device: string | null;
  customer: string | null;
}

/** One money amount as the reports write it (`[money]`). */
const money = (value: number, currency: string | null) => [{ currency: currency ?? NO_CURRENCY, value }];

const iso = (ms: number) => new Date(ms).toISOString();

/** A delivery body as Standard Webhooks describe it: `{ type, timestamp, data }`. */
const body = (type: WebhookEvent, now: number, data: object) => JSON.stringify({ type, timestamp: iso(now), data });

/** Sites with a webhook that receives cart events: only they need deciding. */
async function sitesWithCartWebhooks(db: D1Database): Promise<SiteToCheck[]> {
  const { results } = await db
    .prepare(
      `SELECT id, stages, abandon_after, shards, shard_generation AS generation FROM ${TABLE.sites} AS s WHERE EXISTS (
         SELECT 1 FROM ${TABLE.webhooks} AS w, json_each(w.events) AS e WHERE w.site = s.id AND e.value IN ('cart.abandoned', 'cart.recovered'))`,
    )
    .all<SiteToCheck>();
  return results;
}

/**
 * Carts abandoned at `now` and not yet claimed: unpaid, holding items, no cart activity for abandon_after minutes,
 * with the dimensions of the session that opened them and the last customer reference their visitor's cart events gave.
 */
async function candidates(db: D1Database, site: SiteToCheck, now: number): Promise<Candidate[]> {
  const idleSince = now - site.abandon_after * 60_000;
  const { results } = await db
    .prepare(
      `SELECT c.visitor, c.event_id AS cart_id, c.session, c.started_at, c.last_activity,
              ${pathTextSql('c.exit_path_id')} AS exit_path, c.exit_stage,
              s.channel, s.device,
              (SELECT json_extract(e.data, '$.customer') FROM ${TABLE.events} AS e INDEXED BY ${INDEX.events_site_visitor_time}
                WHERE e.site = c.site AND e.visitor = c.visitor AND e.time >= c.started_at AND e.time <= c.last_activity
                  AND e.type IN (${CART_TYPES}) AND json_extract(e.data, '$.customer') IS NOT NULL
                ORDER BY e.time DESC LIMIT 1) AS customer
         FROM ${TABLE.carts} AS c
         LEFT JOIN ${TABLE.sessions} AS s ON s.site = c.site AND s.visitor = c.visitor AND s.session = c.session
        WHERE c.site = ?1 AND c.purchased_at IS NULL AND c.quantity > 0 AND c.last_activity <= ?2 AND c.last_activity > ?3
          AND NOT EXISTS (SELECT 1 FROM ${TABLE.cart_abandonments} AS a WHERE a.site = c.site AND a.cart_id = c.event_id)
        ORDER BY c.last_activity LIMIT ?4`,
    )
    .bind(site.id, idleSince, idleSince - LOOKBACK_MS, CARTS_PER_RUN)
    .all<Candidate>();
  return results;
}

/** The cart ?2 of visitor ?3 of site ?1 is stored and unpaid. */
const UNPAID_CART = `SELECT 1 FROM ${TABLE.carts} WHERE site = ?1 AND visitor = ?3 AND event_id = ?2 AND purchased_at IS NULL`;

/** Most cart events read to fold one cart's items (a cart is a visitor's items since their last purchase). */
const CART_EVENTS_READ = 1_000;

/**
 * The cart `c` as derivation folds it (items, value, currency), from its own cart events only: from the one that
 * opened it to its last activity. Never the visitor's whole history. Undefined when its opening event is gone (the
 * cart was re-derived meanwhile).
 */
async function foldCart(db: D1Database, site: string, c: Candidate) {
  const { results } = await db
    .prepare(
      `SELECT seq, id, type, stage_index, session, time, ${pathTextSql('path_id')} AS path, duration_ms, value, currency,
              json_extract(data, '$.items') AS items, json_extract(data, '$.transaction_id') AS transaction_id
         FROM ${TABLE.events} INDEXED BY ${INDEX.events_site_visitor_time}
        WHERE site = ? AND visitor = ? AND time >= ? AND time <= ? AND type IN (${CART_TYPES})
        ORDER BY time, id LIMIT ${CART_EVENTS_READ}`,
    )
    .bind(site, c.visitor, c.started_at, c.last_activity)
    .all<StoredEvent>();
  const opening = results.findIndex((e) => e.id === c.cart_id);
  if (opening < 0) return undefined;
  const cart = openCart(results[opening]!);
  for (const e of results.slice(opening)) applyCartEvent(cart, e);
  return cart.row;
}

/** Claims the abandoned carts of a site and writes their `cart.abandoned` deliveries, in one transaction. */
async function decideAbandoned(
  db: D1Database,
  site: SiteToCheck,
  now: number,
  deliveries: DeliveryWriter = deliveriesStatement,
): Promise<number> {
  const found = await candidates(db, site, now);
  if (!found.length) return 0;
  const stages: string[] = JSON.parse(site.stages);
  const statements: D1PreparedStatement[] = [];
  for (const c of found) {
    const cart = await foldCart(db, site.id, c);
    if (!cart) continue; // re-derived since we read: the next run sees it as it is now
    const abandonedAt = c.last_activity + site.abandon_after * 60_000;
    statements.push(
      db
        .prepare(
          // Only while the cart is still there and unpaid: a purchase derived, or the visitor erased, since it was read
          // leaves nothing to claim.
          `INSERT INTO ${TABLE.cart_abandonments} (site, cart_id, visitor, abandoned_at, customer)
           SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS (${UNPAID_CART})
           ON CONFLICT DO NOTHING`,
        )
        .bind(site.id, c.cart_id, c.visitor, abandonedAt, c.customer),
      deliveries(
        db,
        site.id,
        'cart.abandoned',
        await deliveryKey('cart.abandoned', c.cart_id),
        body('cart.abandoned', now, {
          cart_id: c.cart_id,
          visitor: c.visitor,
          ...(c.customer ? { customer: c.customer } : {}),
          items: cart.items,
          value: money(cart.value, cart.currency),
          exit_page: c.exit_path,
          stage: c.exit_stage === null ? null : (stages[c.exit_stage] ?? null),
          channel: c.channel,
          device: c.device,
          started_at: iso(c.started_at),
          last_activity_at: iso(c.last_activity),
        }),
        now,
        // With its claim only: none when the cart was paid or erased meanwhile.
        {
          sql: `EXISTS (SELECT 1 FROM ${TABLE.cart_abandonments} WHERE site = ?1 AND cart_id = ?6)`,
          params: [c.cart_id],
        },
      ),
    );
  }
  if (statements.length) await db.batch(statements);
  return statements.length / 2;
}

interface Recovery {
  cart_id: string;
  visitor: string;
  customer: string | null;
  abandoned_at: number;
  purchased_at: number;
  value: number | null;
  currency: string | null;
  transaction_id: string | null;
}

/** Abandoned carts of a site that their visitor has bought since: marks them and writes `cart.recovered` deliveries. */
async function decideRecovered(
  db: D1Database,
  site: SiteToCheck,
  now: number,
  deliveries: DeliveryWriter = deliveriesStatement,
): Promise<number> {
  const { results } = await db
    .prepare(
      `SELECT a.cart_id, a.visitor, a.customer, a.abandoned_at, c.purchased_at, p.value, p.currency,
              json_extract(e.data, '$.transaction_id') AS transaction_id
         FROM ${TABLE.cart_abandonments} AS a
         JOIN ${TABLE.carts} AS c ON c.site = a.site AND c.visitor = a.visitor AND c.event_id = a.cart_id
         LEFT JOIN ${TABLE.purchases} AS p ON p.site = c.site AND p.visitor = c.visitor AND p.time = c.purchased_at
         LEFT JOIN ${TABLE.events} AS e ON e.site = p.site AND e.id = p.event_id
        WHERE a.site = ?1 AND a.recovered_at IS NULL AND c.purchased_at IS NOT NULL LIMIT ?2`,
    )
    .bind(site.id, CARTS_PER_RUN)
    .all<Recovery>();
  const statements: D1PreparedStatement[] = [];
  for (const r of results) {
    statements.push(
      db
        .prepare(
          `UPDATE ${TABLE.cart_abandonments} SET recovered_at = ? WHERE site = ? AND cart_id = ? AND recovered_at IS NULL`,
        )
        .bind(r.purchased_at, site.id, r.cart_id),
    );
    // A purchase that happened before the abandonment moment (its event arrived late, from an offline outbox) means
    // the cart was never really left: marked, nothing sent.
    if (r.purchased_at < r.abandoned_at) continue;
    statements.push(
      deliveries(
        db,
        site.id,
        'cart.recovered',
        await deliveryKey('cart.recovered', r.cart_id),
        body('cart.recovered', now, {
          cart_id: r.cart_id,
          visitor: r.visitor,
          ...(r.customer ? { customer: r.customer } : {}),
          transaction_id: r.transaction_id,
          value: money(r.value ?? 0, r.currency),
          recovered_after_ms: r.purchased_at - r.abandoned_at,
        }),
        now,
      ),
    );
  }
  if (statements.length) await db.batch(statements);
  return results.length;
}

/**
 * In a shard: the delivery a decision owes, kept in the shard's own webhook_deliveries (its outbox: `id` the decision's
 * key, no webhook) in the transaction of the claim, until the Worker has written it to D1 (ackOwed). Webhooks stay in
 * D1, so the shard knows none: D1 makes one delivery per subscribed webhook from it. Parameters as deliveriesStatement's.
 */
const owedStatement: DeliveryWriter = (db, site, type, key, body, now, onlyIf) =>
  db
    .prepare(
      `INSERT OR IGNORE INTO ${TABLE.webhook_deliveries} (id, site, webhook, type, body, created_at)
       SELECT ?3, ?1, '', ?2, ?4, ?5 WHERE 1${onlyIf ? ` AND ${onlyIf.sql}` : ''}`,
    )
    .bind(site, type, key, body, now, ...(onlyIf?.params ?? []));

/** A delivery a shard owes D1: the decision's key, its event type and body, and when it was decided. */
export interface OwedDelivery {
  key: string;
  type: WebhookEvent;
  body: string;
  created_at: number;
}

/**
 * In a site's shard: decides its abandoned carts and recoveries (claims and owed deliveries in the shard, each
 * decision in one transaction) and answers every delivery it still owes, oldest first: a crash before ackOwed leaves
 * them owed, and the next run answers them again.
 */
export async function decideInShard(db: D1Database, site: SiteToCheck, now: number): Promise<OwedDelivery[]> {
  await decideAbandoned(db, site, now, owedStatement);
  await decideRecovered(db, site, now, owedStatement);
  return owedDeliveries(db, site.id);
}

/** In a site's shard: the deliveries it still owes D1, oldest first (a shard a move empties hands them over too). */
export async function owedDeliveries(db: D1Database, site: string): Promise<OwedDelivery[]> {
  const { results } = await db
    .prepare(
      `SELECT id AS key, type, body, created_at FROM ${TABLE.webhook_deliveries}
        WHERE site = ? AND webhook = '' ORDER BY created_at, id LIMIT ?`,
    )
    .bind(site, 2 * CARTS_PER_RUN)
    .all<OwedDelivery>();
  return results;
}

/** In a site's shard: the deliveries D1 now holds are owed no more. */
export async function ackOwed(db: D1Database, site: string, keys: string[]): Promise<void> {
  await db
    .prepare(
      `DELETE FROM ${TABLE.webhook_deliveries} WHERE site = ? AND webhook = '' AND id IN (SELECT value FROM json_each(?))`,
    )
    .bind(site, JSON.stringify(keys))
    .run();
}

/**
 * Writes what a shard owes to D1's deliveries, one per subscribed webhook, with the ids the one-D1 layout gives them
 * (deliveriesStatement): written twice (a crash before the ack), they are still one.
 */
export async function writeOwed(db: D1Database, site: string, owed: OwedDelivery[]): Promise<void> {
  if (owed.length) await db.batch(owed.map((o) => deliveriesStatement(db, site, o.type, o.key, o.body, o.created_at)));
}

/** Sharded layout: each shard of the site decides its own carts; what they owe is written to D1, then acked. */
async function decideShards(env: Pick<Env, 'DB' | 'SHARDS'>, site: SiteToCheck, now: number): Promise<void> {
  for (let k = 0; k < site.shards; k++) {
    const shard = shardOf(env, site.id, k, site.generation);
    const owed = await shard.decideCarts(site, now);
    if (!owed.length) continue;
    await writeOwed(env.DB, site.id, owed);
    await shard.ackCarts(
      site.id,
      owed.map((o) => o.key),
    );
  }
}

/** The carts job of the schedule: for each site with cart webhooks, abandoned carts then recoveries. */
export async function abandonedCarts(env: Pick<Env, 'DB' | 'SHARDS' | 'STORAGE'>, now: number): Promise<void> {
  for (const site of await sitesWithCartWebhooks(env.DB)) {
    // Sharded: a site's carts are in its shards, its webhooks and deliveries in D1 (docs/PROTOCOL.md "Storage layouts").
    if (sharded(env)) {
      await decideShards(env, site, now);
      continue;
    }
    await decideAbandoned(env.DB, site, now);
    await decideRecovered(env.DB, site, now);
  }
}
