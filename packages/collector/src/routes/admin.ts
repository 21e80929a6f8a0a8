// The admin API: register sites, change their options, read their ingestion counters, rotate read tokens and ingest keys.
import { Hono } from 'hono';
import { isStageList, MAX_NAME_LENGTH, MAX_STAGES } from '@parcours/protocol';
import { newToken, requireAdmin, sha256Hex } from '../auth.ts';
import { deleteSurvey, insertSurvey, listSurveys } from '../db/surveys.ts';
import {
  getSite,
  insertSite,
  setIngestKeyHash,
  setReadTokenHash,
  updateSite,
  type Quota,
  type Site,
  type SiteOptions,
} from '../db/sites.ts';
import { eraseVisitorWebhookStatements } from '../db/webhooks.ts';
import { fail, failWithMessage } from '../errors.ts';
import { forgetSite } from '../ingest/site-cache.ts';
import { limitAdmin } from '../rate-limit.ts';
import { MAX_ABANDON_MINUTES } from '../reports/query.ts';
import { alerts } from './alerts.ts';
import { jsonBody } from './json-body.ts';
import { webhooks } from './webhooks.ts';
import { readSurvey } from './survey-body.ts';
import { eraseInMove, shardsOfSite, startMove, targetShards } from '../shard/move.ts';
import { MAX_SHARDS, siteStorage } from '../shard/storage.ts';

export const admin = new Hono<{ Bindings: Env }>();

admin.use('*', limitAdmin, requireAdmin);
admin.route('/sites/:site/webhooks', webhooks);
admin.route('/sites/:site/alerts', alerts);

const SITE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
/** A visitor id as ingestion accepts it (the wire's names: docs/PROTOCOL.md, "Events"). */
const VISITOR_ID = SITE_ID;
/**
 * What an origin may be written as: scheme (of any case: `HTTP://` is `http://`) and host (letters of any script,
 * digits, dots, hyphens, or an IPv6 literal), an optional port. A host in another script (`bücher.example`) is stored
 * in the punycode browsers send.
 */
const PLAIN_ORIGIN = /^https?:\/\/(?:[\p{L}\p{M}\p{N}.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/iu;

/**
 * An origin as browsers send it in `Origin` (lower-case scheme and punycode host, no default port), or `*` for any; the
 * list keeps each once so normalised (`readOptions`). Null when
 * it is not a plain `scheme://host[:port]`: a wildcard host, user info, a path (even `/`), a query or a
 * fragment could never equal a browser's `Origin` header and would only hide a mistake.
 */
function normalOrigin(o: unknown): string | null {
  if (o === '*') return o;
  if (typeof o !== 'string' || o.length > 300 || !PLAIN_ORIGIN.test(o)) return null;
  try {
    return new URL(o).origin;
  } catch {
    return null; // a port over 65535, an IPv6 literal that is not one
  }
}

/** Longest retention that may be set: 100 years. */
const MAX_RETENTION_DAYS = 36_500;
/** Largest value of each quota (0 stops ingestion of the site: every valid event is over it). */
const MAX_QUOTA: Quota = { events_per_day: 1e9, bytes_per_day: 1e12, events_per_visitor_per_day: 1e9 };

/** `400 invalid-site-config`, saying which option is wrong and what it may be. */
function badConfig(message: string): never {
  failWithMessage(400, 'invalid-site-config', message);
}

const isWhole = (v: unknown, min: number, max: number): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max;

/** A `quota` object: any of its three keys, each a whole number from 0 to its maximum; anything else is refused. */
function readQuota(v: unknown): Partial<Quota> | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    badConfig(`quota is an object of ${Object.keys(MAX_QUOTA).join(', ')}`);
  const out: Partial<Quota> = {};
  for (const [k, n] of Object.entries(v)) {
    if (!Object.hasOwn(MAX_QUOTA, k)) badConfig(`quota has no ${k}: ${Object.keys(MAX_QUOTA).join(', ')}`);
    const max = MAX_QUOTA[k as keyof Quota];
    if (!isWhole(n, 0, max)) badConfig(`quota.${k} is a whole number from 0 to ${max}`);
    out[k as keyof Quota] = n;
  }
  return out;
}

/** The options a site has, as POST and PATCH read them. */
const OPTIONS = [
  'origins',
  'stages',
  'bot_filter',
  'visitor_ids',
  'retention_days',
  'abandon_after',
  'require_ingest_key',
  'quota',
  'shards',
] as const;
/** What a registration may hold: the id and the options. */
const SITE_FIELDS = ['id', ...OPTIONS];

/**
 * The options of an admin request body (`origins`, `stages`, `bot_filter`, `visitor_ids`, `retention_days`,
 * `abandon_after`, `require_ingest_key`, `quota`, `shards`) among `fields`; `400 invalid-site-config` if any is
 * malformed or the body holds another field.
 */
function readOptions(body: Record<string, unknown>, fields: readonly string[]): SiteOptions {
  // A misspelt option (`stage` for `stages`) would otherwise be dropped without a word, and the stage list is fixed
  // once registered: refused instead, naming what the body may hold.
  for (const key of Object.keys(body))
    if (!fields.includes(key)) badConfig(`no option ${key.slice(0, 64)}: the body may hold ${fields.join(', ')}`);
  const { origins, stages, bot_filter, visitor_ids, retention_days, abandon_after, require_ingest_key, quota } = body;
  const normal = origins === undefined ? undefined : Array.isArray(origins) ? origins.map(normalOrigin) : [null];
  if (normal?.includes(null))
    badConfig('origins is a list of plain origins, scheme://host[:port] (no path, not even /), or "*"');
  if (stages !== undefined && !isStageList(stages))
    badConfig(
      `stages is a list of 1 to ${MAX_STAGES} distinct names, each 1 to ${MAX_NAME_LENGTH} of A-Z a-z 0-9 . _ : - (no accents or spaces), starting with a letter or digit`,
    );
  if (bot_filter !== undefined && typeof bot_filter !== 'boolean') badConfig('bot_filter is true or false');
  if (visitor_ids !== undefined && visitor_ids !== 'client' && visitor_ids !== 'cookieless')
    badConfig('visitor_ids is "client" or "cookieless"');
  if (retention_days !== undefined && retention_days !== null && !isWhole(retention_days, 1, MAX_RETENTION_DAYS))
    badConfig(`retention_days is null or a whole number from 1 to ${MAX_RETENTION_DAYS}`);
  if (
    abandon_after !== undefined &&
    !(typeof abandon_after === 'number' && abandon_after > 0 && abandon_after <= MAX_ABANDON_MINUTES)
  )
    badConfig(`abandon_after is a number of minutes above 0 and at most ${MAX_ABANDON_MINUTES}`);
  if (require_ingest_key !== undefined && typeof require_ingest_key !== 'boolean')
    badConfig('require_ingest_key is true or false');
  return {
    origins: normal && [...new Set(normal as string[])],
    stages,
    botFilter: bot_filter,
    visitorIds: visitor_ids,
    retentionDays: retention_days as number | null | undefined,
    abandonAfter: abandon_after,
    requireIngestKey: require_ingest_key,
    quota: readQuota(quota),
  };
}

/** A site as the admin API shows it (never its token hash). */
function describe(site: Site) {
  return {
    id: site.id,
    origins: site.origins,
    stages: site.stages,
    bot_filter: site.botFilter,
    visitor_ids: site.visitorIds,
    retention_days: site.retentionDays,
    abandon_after: site.abandonAfter,
    require_ingest_key: site.requireIngestKey,
    quota: site.quota,
    shards: site.shards,
  };
}

/**
 * A cookieless visitor id changes with the day's salt and the client's address, so a batch sent again after midnight
 * or from another network can name another visitor: with several shards, another shard, which cannot know the event
 * ids the first one stored. One shard (or the one D1) keeps each id once whatever visitor it names.
 */
const COOKIELESS_ONE_SHARD =
  'a site with visitor_ids "cookieless" has one shard: its visitor ids change with the day and the network, and an event sent again must reach the shard that stored it';

/**
 * `shards` of a registration (default 1) or a move: a visitor's rows live in the shard their hash picks among them, so
 * the count changes only by a move (`POST /v1/admin/sites/{site}/shards`), never by PATCH.
 */
function readShards(v: unknown): number {
  if (v === undefined) return 1;
  if (!isWhole(v, 1, MAX_SHARDS)) badConfig(`shards is a whole number from 1 to ${MAX_SHARDS}`);
  return v;
}

admin.post('/sites', async (c) => {
  const body = await jsonBody(c.req, 'invalid-site-config');
  const id = body.id;
  if (typeof id !== 'string' || !SITE_ID.test(id))
    badConfig('id is 1 to 64 letters, digits, dots, underscores, colons or hyphens, starting with a letter or digit');
  const opts = readOptions(body, SITE_FIELDS);
  if (!opts.origins) badConfig('origins is required: the pages allowed to send, as scheme://host[:port]');
  const shards = readShards(body.shards);
  if (shards > 1 && opts.visitorIds === 'cookieless') badConfig(COOKIELESS_ONE_SHARD);
  const token = newToken();
  const ingestKey = newToken();
  const created = await insertSite(c.env.DB, {
    ...opts,
    id,
    origins: opts.origins,
    readTokenHash: await sha256Hex(token),
    ingestKeyHash: await sha256Hex(ingestKey),
    shards,
  });
  forgetSite(id); // none kept for an unknown id; after a write, always forget (ingest/site-cache.ts)
  if (!created) fail(409, 'site-exists');
  return c.json({ id, read_token: token, ingest_key: ingestKey }, 201);
});

admin.get('/sites/:id', async (c) => {
  const site = await getSite(c.env.DB, c.req.param('id'));
  if (!site) fail(404, 'not-found');
  return c.json({ ...describe(site), ingestion: await siteStorage(c.env, site).counts(site.id) });
});

admin.patch('/sites/:id', async (c) => {
  const body = await jsonBody(c.req, 'invalid-site-config');
  const opts = readOptions(body, OPTIONS);
  // Stored events carry their stage's index: changing the list would silently reorder history. A visitor's rows stay
  // in the shard of the count they were stored under: the count is fixed too.
  if (opts.stages) badConfig('stages cannot change once a site is registered');
  const current = await getSite(c.env.DB, c.req.param('id'));
  if (!current) fail(404, 'not-found');
  // Sending back what GET answered is no change.
  if (body.shards !== undefined && body.shards !== current.shards)
    badConfig('shards changes by a move: POST /v1/admin/sites/{site}/shards');
  // Both the count the site stores under now and the one a move is taking it to: during a move from several shards to
  // one, cookieless visitors would still be split by hash until the switch.
  if (opts.visitorIds === 'cookieless' && Math.max(current.shards, await targetShards(c.env.DB, current)) > 1)
    badConfig(COOKIELESS_ONE_SHARD);
  const site = await updateSite(c.env.DB, c.req.param('id'), opts);
  // Ingestion keeps site rows a few seconds (ingest/site-cache.ts): this isolate sees the change at once.
  forgetSite(c.req.param('id'));
  if (!site) fail(404, 'not-found');
  return c.json(describe(site));
});

admin.post('/sites/:id/token', async (c) => {
  const token = newToken();
  const rotated = await setReadTokenHash(c.env.DB, c.req.param('id'), await sha256Hex(token));
  // The ingestion cache holds no token hash; forgetting the site anyway keeps every admin write visible here at once.
  forgetSite(c.req.param('id'));
  if (!rotated) fail(404, 'not-found');
  return c.json({ id: c.req.param('id'), read_token: token });
});

/** A new ingest key (for senders without Origin, `x-parcours-key`): the old one stops working. */
admin.post('/sites/:id/ingest-key', async (c) => {
  const key = newToken();
  const rotated = await setIngestKeyHash(c.env.DB, c.req.param('id'), await sha256Hex(key));
  // Ingestion caches the hash for a few seconds: this isolate refuses the old key at once, others within 5 s.
  forgetSite(c.req.param('id'));
  if (!rotated) fail(404, 'not-found');
  return c.json({ id: c.req.param('id'), ingest_key: key });
});

/**
 * The right to erasure: every stored event, derived row, session and rollup count of one visitor, their abandoned-cart
 * claims and the webhook deliveries about them, in one transaction.
 * Answers how many events were erased (0 for a visitor the site never saw). Events of theirs received from now on are
 * new; those received before and still in the ingestion queue are dropped when the consumer takes them.
 */
admin.delete('/sites/:id/visitors/:visitor', async (c) => {
  const visitor = c.req.param('visitor');
  if (!VISITOR_ID.test(visitor))
    failWithMessage(
      400,
      'invalid-visitor',
      'visitor is 1 to 64 of A-Z a-z 0-9 . _ : -, starting with a letter or digit',
    );
  const site = await getSite(c.env.DB, c.req.param('id'));
  if (!site) fail(404, 'not-found');
  const erased = await siteStorage(c.env, site).erase(
    site.id,
    visitor,
    eraseVisitorWebhookStatements(c.env.DB, site.id, visitor),
  );
  // A move holds the visitor's events in both generations: the larger count is theirs (the other holds copies).
  return c.json({ events_deleted: Math.max(erased, await eraseInMove(c.env, site, visitor)) });
});

/** Moving a site to another shard count (docs/PROTOCOL.md "Moving a site to another count"): its state. */
admin.get('/sites/:id/shards', async (c) => {
  const site = await siteOf(c.env.DB, c.req.param('id'));
  return c.json(await shardsOfSite(c.env.DB, site));
});

/** Starts a move to `shards` (`202`, or `200` when the site has that count and no move runs), or its state if it runs. */
admin.post('/sites/:id/shards', async (c) => {
  const body = await jsonBody(c.req, 'invalid-site-config');
  const site = await siteOf(c.env.DB, c.req.param('id'));
  if (body.shards === undefined) badConfig('shards is required: the count to move the site to');
  const unknown = Object.keys(body).filter((k) => k !== 'shards');
  if (unknown.length) badConfig(`unknown option ${unknown[0]}: a move takes shards only`);
  const to = readShards(body.shards);
  if (to > 1 && site.visitorIds === 'cookieless') badConfig(COOKIELESS_ONE_SHARD);
  const { started } = await startMove(c.env, site, to, Date.now());
  const now = await siteOf(c.env.DB, site.id);
  return c.json(await shardsOfSite(c.env.DB, now), started && now.shards !== to ? 202 : 200);
});

/** The site of a surveys route, or `404 not-found`. */
async function siteOf(db: D1Database, id: string): Promise<Site> {
  return (await getSite(db, id)) ?? fail(404, 'not-found');
}

/** Adds a survey (docs/PROTOCOL.md "Satisfaction"): `201` with the survey as stored. */
admin.post('/sites/:id/surveys', async (c) => {
  const site = await siteOf(c.env.DB, c.req.param('id'));
  const survey = readSurvey(await jsonBody(c.req, 'invalid-survey'), site.stages);
  const added = await insertSurvey(c.env.DB, site.id, survey);
  if (added === 'exists') fail(409, 'survey-exists');
  if (added === 'full') fail(409, 'too-many-surveys');
  return c.json(survey, 201);
});

admin.get('/sites/:id/surveys', async (c) => {
  const site = await siteOf(c.env.DB, c.req.param('id'));
  return c.json({ surveys: await listSurveys(c.env.DB, site.id) });
});

admin.delete('/sites/:id/surveys/:survey', async (c) => {
  const site = await siteOf(c.env.DB, c.req.param('id'));
  if (!(await deleteSurvey(c.env.DB, site.id, c.req.param('survey')))) fail(404, 'not-found');
  return c.json({ id: c.req.param('survey'), deleted: true });
});
