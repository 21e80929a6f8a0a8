// Senders without Origin (servers) need the site's ingest key in x-parcours-key, unless the site switched that off.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { ADMIN, call, freshEvents, postEvents, registerSite } from '../../test/helpers.ts';
import { sha256Hex } from '../auth.ts';
import { storedEvents } from '../../test/site-rows.ts';
import { TABLE } from '../db/schema.ts';

const admin = (path: string, method = 'POST', body?: unknown) =>
  call(`/v1/admin/sites/${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
/** A batch posted as a server does: no Origin, the key when given. */
const fromServer = (site: string, key?: string) =>
  call('/v1/events', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key === undefined ? {} : { 'x-parcours-key': key }) },
    body: JSON.stringify({ v: 1, site, sent_at: Date.now(), events: freshEvents(1) }),
  });
async function expectForbidden(res: Response) {
  expect(res.status).toBe(403);
  expect(await res.json()).toEqual({ error: 'forbidden' });
}

describe('ingest key', () => {
  it('is issued at registration, stored hashed, and required of a sender without Origin: missing or wrong is 403 forbidden', async () => {
    const { id, ingestKey } = await registerSite();
    expect(ingestKey.length).toBeGreaterThanOrEqual(40);
    const row = await env.DB.prepare(`SELECT ingest_key_hash FROM ${TABLE.sites} WHERE id = ?`)
      .bind(id)
      .first<{ ingest_key_hash: string }>();
    expect(row!.ingest_key_hash).toBe(await sha256Hex(ingestKey));
    await expectForbidden(await fromServer(id));
    await expectForbidden(await fromServer(id, ''));
    await expectForbidden(await fromServer(id, `${ingestKey}x`));
    await expectForbidden(await fromServer(id, ingestKey.slice(1)));
    expect(await storedEvents(id)).toBe(0);
    expect(await (await fromServer(id, ingestKey)).json()).toMatchObject({ accepted: 1 });
  });

  it('leaves pages alone: Origin decides, with or without a key', async () => {
    const { id, ingestKey } = await registerSite({ origins: ['https://shop.example'] });
    const batch = () => ({ v: 1, site: id, sent_at: Date.now(), events: freshEvents(1) });
    expect((await postEvents(batch())).status).toBe(200);
    // The key does not let a page from an unlisted origin in.
    await expectForbidden(await postEvents(batch(), { origin: 'https://evil.example', 'x-parcours-key': ingestKey }));
  });

  it('rotates: the old key stops working at once, the new one sends', async () => {
    const { id, ingestKey } = await registerSite();
    expect((await fromServer(id, ingestKey)).status).toBe(200);
    const res = await admin(`${id}/ingest-key`);
    expect(res.status).toBe(200);
    const { id: shown, ingest_key } = (await res.json()) as { id: string; ingest_key: string };
    expect(shown).toBe(id);
    expect(ingest_key).not.toBe(ingestKey);
    await expectForbidden(await fromServer(id, ingestKey));
    expect((await fromServer(id, ingest_key)).status).toBe(200);
    expect((await admin('nope-nope/ingest-key')).status).toBe(404);
    expect((await call(`/v1/admin/sites/${id}/ingest-key`, { method: 'POST' })).status).toBe(401);
  });

  it('is not required once the site sets require_ingest_key: false, and is again when it sets true', async () => {
    const { id } = await registerSite();
    await expectForbidden(await fromServer(id));
    expect(await (await admin(id, 'PATCH', { require_ingest_key: false })).json()).toMatchObject({
      require_ingest_key: false,
    });
    expect(await (await fromServer(id)).json()).toMatchObject({ accepted: 1 });
    await admin(id, 'PATCH', { require_ingest_key: true });
    await expectForbidden(await fromServer(id));
    const open = await registerSite({ require_ingest_key: false });
    expect((await fromServer(open.id)).status).toBe(200);
  });

  it('refuses servers of a site registered before ingest keys until one is issued', async () => {
    const { id } = await registerSite();
    await env.DB.prepare(`UPDATE ${TABLE.sites} SET ingest_key_hash = NULL WHERE id = ?`).bind(id).run();
    await expectForbidden(await fromServer(id, 'anything'));
    const { ingest_key } = (await (await admin(`${id}/ingest-key`)).json()) as { ingest_key: string };
    expect((await fromServer(id, ingest_key)).status).toBe(200);
  });
});
