// Admin API of webhooks: register, list, remove a site's endpoints; list and replay its dead deliveries.
import { Hono } from 'hono';
import { newId } from '../auth.ts';
import { getSite } from '../db/sites.ts';
import {
  deleteWebhook,
  insertWebhook,
  listDead,
  listWebhooks,
  revive,
  unclaim,
  WEBHOOK_EVENTS,
  type Webhook,
  type WebhookEvent,
} from '../db/webhooks.ts';
import { fail, failWithMessage } from '../errors.ts';
import type { DeliveryMessage } from '../webhooks/deliver.ts';
import { encryptSecret, newWebhookSecret, webhookKey } from '../webhooks/secret.ts';
import { checkWebhookUrl, URL_REFUSALS } from '../webhooks/url-check.ts';
import { jsonBody, unknownField } from './json-body.ts';

/** Mounted under the admin API (auth and rate limit applied there) at `/sites/:site/webhooks`. */
export const webhooks = new Hono<{ Bindings: Env }>();

/** A webhook as the admin API shows it: never its secret, shown once at creation. */
const describe = (w: Webhook) => ({ id: w.id, url: w.url, events: w.events, created_at: w.createdAt });

function readEvents(v: unknown): WebhookEvent[] {
  if (!Array.isArray(v) || v.length === 0 || !v.every((e) => (WEBHOOK_EVENTS as readonly unknown[]).includes(e)))
    failWithMessage(400, 'invalid-webhook', `events is a non-empty list of ${WEBHOOK_EVENTS.join(', ')}`);
  return [...new Set(v as WebhookEvent[])];
}

async function siteOf(c: { env: Env; req: { param(name: 'site'): string } }): Promise<string> {
  const site = await getSite(c.env.DB, c.req.param('site'));
  if (!site) fail(404, 'not-found');
  return site.id;
}

webhooks.post('/', async (c) => {
  const key = webhookKey(c.env);
  if (!key) fail(403, 'webhooks-disabled');
  const body = await jsonBody(c.req, 'invalid-webhook');
  // A field it does not read (`secret`: the collector makes it) is refused.
  const unknown = unknownField(body, ['url', 'events'], 'a webhook');
  if (unknown) failWithMessage(400, 'invalid-webhook', unknown);
  const checked = checkWebhookUrl(body.url, c.env.PARCOURS_LOCAL_DEV === 'true');
  if ('refused' in checked) failWithMessage(400, 'invalid-webhook-url', URL_REFUSALS[checked.refused]);
  const events = readEvents(body.events);
  const site = await siteOf(c);
  const id = newId('wh_');
  const secret = newWebhookSecret();
  const stored = await insertWebhook(c.env.DB, {
    id,
    site,
    url: checked.url,
    events,
    secretEnc: await encryptSecret(key, id, secret),
    createdAt: Date.now(),
  });
  if (!stored) fail(409, 'too-many-webhooks');
  return c.json({ id, secret, url: checked.url, events }, 201);
});

webhooks.get('/', async (c) => {
  const site = await siteOf(c);
  return c.json({ webhooks: (await listWebhooks(c.env.DB, site)).map(describe) });
});

webhooks.get('/dead-letters', async (c) => {
  const site = await siteOf(c);
  return c.json({ deliveries: await listDead(c.env.DB, site) });
});

/** Sends a dead delivery again, with the same `webhook-id` (a receiver that got it after all can tell). */
webhooks.post('/dead-letters/:delivery/replay', async (c) => {
  const site = await siteOf(c);
  const id = c.req.param('delivery');
  if (!(await revive(c.env.DB, site, id, Date.now()))) fail(404, 'not-found');
  // A failed send leaves it pending and unsent: the schedule's next run sends it.
  await c.env.WEBHOOK_QUEUE.send({ delivery: id } satisfies DeliveryMessage).catch(() => unclaim(c.env.DB, [id]));
  return c.json({ id, status: 'pending' }, 202);
});

webhooks.delete('/:id', async (c) => {
  const site = await siteOf(c);
  if (!(await deleteWebhook(c.env.DB, site, c.req.param('id')))) fail(404, 'not-found');
  return c.json({ id: c.req.param('id'), deleted: true });
});
