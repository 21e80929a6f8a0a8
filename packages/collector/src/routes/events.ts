// Ingestion: `POST /v1/events` (JSON or sendBeacon's text/plain) and its CORS preflight, answered per site.
import { type Context, Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { createMiddleware } from 'hono/factory';
import {
  type BatchError,
  type BatchReply,
  MAX_BATCH_EVENTS,
  MAX_BODY_BYTES,
  type ParsedBatch,
  parseBatch,
} from '@parcours/protocol';
import { secretsEqual, sha256Hex } from '../auth.ts';
import { anySiteAllowsOrigin, getSite } from '../db/sites.ts';
import { fail, failWithMessage } from '../errors.ts';
import { isBotRequest } from '../ingest/bots.ts';
import { clientAddress, rateLimitKey } from '../ingest/client-key.ts';
import { originAllowed, preflightHeaders, replyCorsHeaders } from '../ingest/cors.ts';
import { readBody } from '../ingest/read-body.ts';
import { enterLane, type LanePlace } from '../ingest/bulk-lane.ts';
import { isLargeBody, largeBodySite, refuseRemembered, rememberRefusal } from '../ingest/refusals.ts';
import { cachedSite, freshSite, type IngestSite } from '../ingest/site-cache.ts';
import { type BatchContext, overQuota } from '../ingest/store-batch.ts';
import { enqueueBatch } from '../queue-ingest/index.ts';
import { siteStorage } from '../shard/storage.ts';

export const events = new Hono<{ Bindings: Env }>();

/** Seconds a rate-limited client should wait: the limiter's period (wrangler.jsonc `ratelimits`). */
const RETRY_AFTER_SECONDS = 10;

const ACCEPTED_TYPES = new Set(['application/json', 'text/plain', '']);

/** What a malformed batch's refusal says, for a person sending batches by hand (the tag reads the status only). */
const BATCH_REFUSALS: Record<BatchError, string> = {
  'invalid-json': 'the body is not JSON',
  'invalid-batch': 'the body is an object with an events array: {"v":1,"site":"…","sent_at":…,"events":[…]}',
  'unsupported-version': 'v is 1',
  'invalid-site': 'site is a site id: 1 to 64 of A-Z a-z 0-9 . _ : -',
  'invalid-sent-at': 'sent_at is when the batch was sent, in ms since 1970 (Date.now()), from 2000 to 2100',
  'too-many-events': `a batch holds at most ${MAX_BATCH_EVENTS} events`,
};

/**
 * The one refusal for a site that is not registered and for a page whose origin the site does not
 * list: same status, same code, and no CORS headers, so a page elsewhere cannot read it and learns
 * neither which site ids exist nor which origins a site allows. Its browser sees a network error.
 */
function refuseSite(): never {
  fail(403, 'forbidden');
}

/**
 * Every other reply to a page (refusals included) is readable by it: the script must see a 4xx to
 * drop what it can never deliver, and a 429's Retry-After to wait. Refusals carry only an error code;
 * only an allowed origin's POST reaches the database. A 403 is only ever `refuseSite`: not readable.
 */
/** The header a sender without Origin (a server) carries the site's ingest key in. */
const INGEST_KEY_HEADER = 'x-parcours-key';

/**
 * Whether the request may send to the site: a page (it sends Origin) from an origin the site lists; a
 * sender without Origin with the site's ingest key, unless the site switched that off. The key is
 * compared as the read token is: hashed, in constant time.
 */
async function senderAllowed(site: IngestSite, origin: string | undefined, keyHash: string | null): Promise<boolean> {
  if (origin !== undefined) return originAllowed(site.origins, origin);
  if (!site.requireIngestKey) return true;
  return keyHash !== null && site.ingestKeyHash !== null && (await secretsEqual(keyHash, site.ingestKeyHash));
}

const readableReplies = createMiddleware(async function readableReplies(c, next) {
  await next();
  const origin = c.req.header('origin');
  if (origin && c.req.method === 'POST' && c.res.status !== 403)
    for (const [k, v] of Object.entries(replyCorsHeaders(origin))) c.res.headers.set(k, v);
});

events.use('/', readableReplies);

events.options('/', async (c) => {
  const origin = c.req.header('origin');
  // A preflight carries no body, so no site id: `?site=` names it, else any site that allows the origin will do
  // (the POST itself is then checked against its own site).
  const siteId = c.req.query('site');
  let allowed = false;
  if (origin) {
    if (siteId) {
      const site = await getSite(c.env.DB, siteId);
      allowed = !!site && originAllowed(site.origins, origin);
    } else allowed = await anySiteAllowsOrigin(c.env.DB, origin);
  }
  if (!origin || !allowed) return c.body(null, 204, { vary: 'Origin' });
  return c.body(null, 204, preflightHeaders(origin));
});

events.post('/', async (c) => {
  const receivedAt = Date.now();
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (!ACCEPTED_TYPES.has(type))
    failWithMessage(415, 'unsupported-media-type', 'the content type is application/json or text/plain');
  const address = clientAddress(c.req.raw.headers);
  const seen: Seen = { site: null, lane: null };
  try {
    return await receive(c, receivedAt, address, seen);
  } catch (error) {
    // A 429 for a known site: that client's next large bodies to it are held, then refused unparsed; after a 403,
    // its next large bodies to any site are held before they are judged (refusals.ts).
    const status = error instanceof HTTPException ? error.status : 0;
    const code = status === 429 || status === 403 ? (error as HTTPException).message : null;
    if (code === 'forbidden') await rememberRefusal('', address, code, 0, receivedAt);
    else if (seen.site && (code === 'rate-limited' || code === 'quota-exceeded')) {
      const retryAfter = Number((error as HTTPException).res?.headers.get('retry-after'));
      await rememberRefusal(seen.site, address, code, retryAfter, receivedAt);
    }
    throw error;
  } finally {
    seen.lane?.leave();
  }
});

/** What the handler learnt of a request as it went: the registered site it names, its place in that site's lane. */
interface Seen {
  site: string | null;
  lane: LanePlace | null;
}

/**
 * The site, when this sender may send to it; else the one refusal (`refuseSite`). A refusal rests on the site's
 * current row, never on a cached one, so an origin or a key just added counts at once.
 */
async function siteForSender(
  db: D1Database,
  id: string,
  origin: string | undefined,
  keyHash: string | null,
): Promise<IngestSite> {
  let site = await cachedSite(db, id);
  if (site && !(await senderAllowed(site, origin, keyHash))) site = await freshSite(db, id);
  if (!site || !(await senderAllowed(site, origin, keyHash))) refuseSite();
  return site;
}

/** A batch read, checked and stored: the reply of `POST /v1/events` once the request's headers let it through. */
async function receive(
  c: Context<{ Bindings: Env }>,
  receivedAt: number,
  address: string,
  seen: Seen,
): Promise<Response> {
  const origin = c.req.header('origin');
  const key = origin === undefined ? c.req.header(INGEST_KEY_HEADER) : undefined;
  const keyHash = key ? await sha256Hex(key) : null;
  // A large body is judged once its first kilobyte names the site, the rest dropped unparsed when refused: a sender
  // refused 429 a moment ago, an unknown site, a sender the site refuses, a site whose lane of large batches is full.
  const contentLength = c.req.header('content-length') ?? null;
  const text = await readBody(c.req.raw, MAX_BODY_BYTES, async (start) => {
    const named = largeBodySite(start, contentLength);
    if (named === undefined) return;
    await refuseRemembered(named, address, receivedAt);
    seen.site = (await siteForSender(c.env.DB, named, origin, keyHash)).id;
    seen.lane = enterLane(named);
  });
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    failWithMessage(400, 'invalid-json', BATCH_REFUSALS['invalid-json']);
  }

  const claimed =
    typeof body === 'object' && body !== null && 'site' in body ? (body as { site: unknown }).site : undefined;
  let site = typeof claimed === 'string' && claimed.length <= 64 ? await cachedSite(c.env.DB, claimed) : null;
  seen.site = site?.id ?? null;

  const { success } = await c.env.INGEST_LIMITER.limit({ key: await rateLimitKey(site?.id ?? '', address) });
  if (!success) fail(429, 'rate-limited', { 'retry-after': String(RETRY_AFTER_SECONDS) });

  const parsed = parseBatch(body, { stages: site?.stages ?? [] });
  if (!parsed.ok) failWithMessage(400, parsed.error, BATCH_REFUSALS[parsed.error]);
  if (!site) refuseSite();
  // Bots that matter run the tag in a page, and pages always send Origin (fetch and sendBeacon alike).
  // Without it the sender is a server (a backend, curl): the site owner's own integration, not filtered.
  const bot = origin !== undefined && isBotRequest(c.req.raw.headers);
  // Refusing or filtering throws the events away (the script drops what a 4xx refused): that must rest on the
  // site's current row, never on a cached one, so an origin just added or a filter just switched off counts at once.
  // A key just issued counts at once the same way (a key just rotated away may still pass here for those seconds).
  if (!(await senderAllowed(site, origin, keyHash)) || (bot && site.botFilter)) {
    site = await freshSite(c.env.DB, site.id);
    if (!site) refuseSite();
  }
  // A server without the key is refused like a page from an unlisted origin: it learns nothing of the site.
  if (!(await senderAllowed(site, origin, keyHash))) refuseSite();
  // A large batch waits for its site's earlier large batch to be stored (one whose start did not name its site, or
  // named another, takes its place now).
  if (isLargeBody(contentLength) && seen.lane?.site !== site.id) {
    seen.lane?.leave();
    seen.lane = null;
    seen.lane = enterLane(site.id);
  }
  await seen.lane?.turn(text.length);

  const ctx: BatchContext = {
    receivedAt,
    address,
    userAgent: c.req.header('user-agent') ?? '',
    // The edge's country of the client (request.cf, Cloudflare's): the session keeps it, never the address.
    country: ((c.req.raw.cf as { country?: unknown } | undefined)?.country as string | undefined) ?? null,
    bot,
    derivationFailsFor: c.env.PARCOURS_TEST_DERIVATION_FAILS,
  };
  return c.json(await storeOrQueue(c.env, site, parsed, ctx));
}

/**
 * The batch stored (or queued) where the site's rows are. A site row read a few seconds ago may name shards that a
 * move has just retired (src/shard/move.ts), which refuse with 503: then the row is read again and, if the site has
 * moved, the batch goes to its new shards (what an old shard stored of it is a duplicate there).
 */
export async function storeOrQueue(
  env: Env,
  site: IngestSite,
  parsed: ParsedBatch,
  ctx: BatchContext,
): Promise<BatchReply> {
  const store = (s: IngestSite) =>
    env.INGEST === 'queue' ? queueBatch(env, s, parsed, ctx) : siteStorage(env, s).ingest(s, parsed, ctx);
  try {
    return await store(site);
  } catch (error) {
    if (!(error instanceof HTTPException) || error.status !== 503) throw error;
    const now = await freshSite(env.DB, site.id);
    if (!now || now.generation === site.generation) throw error;
    return store(now);
  }
}

events.all('/', () => fail(405, 'method-not-allowed'));

/**
 * Queue mode: everything is decided here as in direct mode (filter, quotas, sessions' dimensions), then the batch is
 * enqueued and the reply says what was queued. A batch too large for one message is stored directly, as is one the
 * queue refuses: then the reply is direct mode's.
 */
async function queueBatch(env: Env, site: IngestSite, parsed: ParsedBatch, ctx: BatchContext): Promise<BatchReply> {
  const storage = siteStorage(env, site);
  const prepared = await storage.prepare(site, parsed, ctx);
  if ('reply' in prepared) return prepared.reply;
  const { over, quotaCounts, day } = prepared.store;
  const reply = await enqueueBatch(env.INGEST_QUEUE, site, prepared.store, ctx.receivedAt, parsed.dropped).catch(
    (e: unknown) => {
      console.error('ingest queue: send failed, storing directly', e instanceof Error ? e.message : e);
      return null;
    },
  );
  if (!reply) return storage.ingest(site, parsed, ctx);
  // A quota's refusal is counted by the request that decides it: a redelivered message must not count it again.
  if (over) {
    await storage.addCounts(site.id, day, quotaCounts);
    overQuota(ctx);
  }
  return reply;
}
