import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { ADMIN, call, freshEvents, postEvents, registerSite } from '../../test/helpers.ts';
import { app } from '../app.ts';
import { MIN_ADMIN_TOKEN_LENGTH } from '../auth.ts';
import { DEFAULT_QUOTA } from '../db/sites.ts';

describe('admin API', () => {
  it('registers a site once and answers 409 for the same id again', async () => {
    const { id, token } = await registerSite();
    expect(token.length).toBeGreaterThanOrEqual(40);
    const again = await call('/v1/admin/sites', {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}` },
      body: JSON.stringify({ id, origins: [] }),
    });
    expect(again.status).toBe(409);
    expect(await again.json()).toEqual({ error: 'site-exists' });
  });

  it('refuses a wrong or missing admin token with 401', async () => {
    for (const authorization of ['Bearer nope', '', `Bearer ${ADMIN}x`]) {
      const res = await call('/v1/admin/sites', {
        method: 'POST',
        headers: { authorization },
        body: '{"id":"x","origins":[]}',
      });
      expect(res.status).toBe(401);
    }
  });

  it('runs only with an admin token of 32 characters or more: 403 admin-disabled otherwise, whatever the request bears', async () => {
    /** GET an unknown site with `token` as both the configured admin token and the bearer. */
    const ask = (configured: Partial<Env>, bearer: string | undefined) =>
      app.request(
        '/v1/admin/sites/nobody-here',
        { headers: { authorization: `Bearer ${bearer}` } },
        { ...env, ...configured },
      );
    const short = 'x'.repeat(MIN_ADMIN_TOKEN_LENGTH - 1);
    const long = 'x'.repeat(MIN_ADMIN_TOKEN_LENGTH);
    for (const [configured, bearer] of [
      [{ ADMIN_TOKEN: short }, short],
      [{ ADMIN_TOKEN: 'dev-admin-token' }, 'dev-admin-token'],
      [{ ADMIN_TOKEN: undefined }, 'anything'],
      [{ ADMIN_TOKEN: '' }, ''],
    ] as const) {
      const res = await ask(configured, bearer);
      expect(res.status, JSON.stringify(configured)).toBe(403);
      expect(await res.json()).toEqual({ error: 'admin-disabled' });
    }
    // Admitted: the site is simply not there.
    expect((await ask({ ADMIN_TOKEN: long }, long)).status).toBe(404);
    expect((await ask({ ADMIN_TOKEN: long }, short)).status).toBe(401);
    // Local development (`pnpm dev`, the end-to-end tests) keeps its short token.
    expect((await ask({ ADMIN_TOKEN: 'dev-admin-token', PARCOURS_LOCAL_DEV: 'true' }, 'dev-admin-token')).status).toBe(
      404,
    );
    expect((await ask({ ADMIN_TOKEN: 'dev-admin-token', PARCOURS_LOCAL_DEV: '1' }, 'dev-admin-token')).status).toBe(
      403,
    );
  });

  it('refuses a bad stage list or origin with 400 invalid-site-config', async () => {
    for (const body of [
      { id: 'a1', origins: ['not a url'] },
      { id: 'a2', origins: [], stages: ['x', 'x'] },
      { id: '../x', origins: [] },
    ]) {
      const res = await call('/v1/admin/sites', {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN}` },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'invalid-site-config', message: expect.any(String) });
    }
  });

  it('says which option was wrong and what it may be', async () => {
    const said = async (body: unknown) => {
      const res = await call('/v1/admin/sites', {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN}` },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(400);
      return ((await res.json()) as { message: string }).message;
    };
    expect(await said({ id: 'm1', origins: ['https://shop.example/'] })).toMatch(/^origins is a list of plain origins/);
    expect(await said({ id: 'm2' })).toMatch(/^origins is required/);
    expect(await said({ id: 'm3', origins: ['*'], retention_days: 0 })).toBe(
      'retention_days is null or a whole number from 1 to 36500',
    );
    expect(await said({ id: 'm4', origins: ['*'], quota: { events_per_hour: 5 } })).toBe(
      'quota has no events_per_hour: events_per_day, bytes_per_day, events_per_visitor_per_day',
    );
    expect(await said(['not', 'an', 'object'])).toBe('the body is a JSON object');
    // An accented letter is a letter to a person: the message says which characters a stage name may hold.
    expect(await said({ id: 'm5', origins: ['*'], stages: ['découverte', 'choix', 'achat'] })).toBe(
      'stages is a list of 1 to 20 distinct names, each 1 to 64 of A-Z a-z 0-9 . _ : - (no accents or spaces), starting with a letter or digit',
    );
  });

  it('refuses a misspelt option instead of dropping it: a site is not registered with stages it was not given', async () => {
    const id = `typo-${crypto.randomUUID().slice(0, 8)}`;
    const admin = { authorization: `Bearer ${ADMIN}` };
    // `stage` for `stages`: registered with the default five stages, the list could never be set again.
    const created = await call('/v1/admin/sites', {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ id, origins: ['*'], stage: ['look', 'choose-it', 'buy'] }),
    });
    expect(created.status).toBe(400);
    expect(await created.json()).toEqual({
      error: 'invalid-site-config',
      message:
        'no option stage: the body may hold id, origins, stages, bot_filter, visitor_ids, retention_days, abandon_after, require_ingest_key, quota, shards',
    });
    expect((await call(`/v1/admin/sites/${id}`, { headers: admin })).status).toBe(404);

    // A change that names no option it knows changes nothing, and says so.
    const site = await registerSite();
    const patched = await call(`/v1/admin/sites/${site.id}`, {
      method: 'PATCH',
      headers: admin,
      body: JSON.stringify({ botfilter: false }),
    });
    expect(patched.status).toBe(400);
    expect(((await patched.json()) as { message: string }).message).toMatch(/^no option botfilter: /);
    const shown = await call(`/v1/admin/sites/${site.id}`, { headers: admin });
    expect(((await shown.json()) as { bot_filter: boolean }).bot_filter).toBe(true);
  });

  it('refuses an origin that is not a plain scheme://host[:port] with 400, on registration and on change', async () => {
    const { id } = await registerSite();
    const bad = [
      'https://*.example',
      'http://a.example?x#y',
      'https://user@host.example',
      'https://user:pw@host.example',
      'https://shop.example/',
      'https://shop.example/path',
      'https://shop.example#x',
      'ftp://shop.example',
      'null',
      'shop.example',
      'https://',
      'https://shop.example:99999',
      'https://shop example',
      'https://[zz::1]',
      'https://shop.example:',
      ' https://shop.example',
      'https://shop.example\n',
      42,
      '',
    ];
    for (const origin of bad) {
      const body = JSON.stringify({ id: `bad-${crypto.randomUUID().slice(0, 8)}`, origins: [origin] });
      const created = await call('/v1/admin/sites', {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN}` },
        body,
      });
      expect(created.status, JSON.stringify(origin)).toBe(400);
      expect(await created.json()).toMatchObject({ error: 'invalid-site-config', message: expect.any(String) });
      const patched = await call(`/v1/admin/sites/${id}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${ADMIN}` },
        body: JSON.stringify({ origins: ['https://ok.example', origin] }),
      });
      expect(patched.status, JSON.stringify(origin)).toBe(400);
    }
    const shown = await call(`/v1/admin/sites/${id}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(((await shown.json()) as { origins: string[] }).origins).toEqual(['https://shop.example']);
  });

  it('stores origins as browsers send them: lower-case host, no default port', async () => {
    const { id } = await registerSite({
      origins: ['https://Shop.Example:443', 'http://127.0.0.1:8788', 'http://[::1]:8080', 'https://shop.example', '*'],
    });
    const shown = await call(`/v1/admin/sites/${id}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(((await shown.json()) as { origins: string[] }).origins).toEqual([
      'https://shop.example',
      'http://127.0.0.1:8788',
      'http://[::1]:8080',
      '*',
    ]);
  });

  it("normalises the scheme's case as well, and keeps each origin once once normalised", async () => {
    const { id } = await registerSite({
      origins: ['HTTP://LOCALHOST:80', 'http://localhost', 'Https://Shop.Example:443', 'https://shop.example'],
    });
    const shown = async () =>
      (
        (await (await call(`/v1/admin/sites/${id}`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as {
          origins: string[];
        }
      ).origins;
    expect(await shown()).toEqual(['http://localhost', 'https://shop.example']);
    const patched = await call(`/v1/admin/sites/${id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${ADMIN}` },
      body: JSON.stringify({ origins: ['HTTPS://SHOP.EXAMPLE', 'https://shop.example:443', 'hTTp://127.0.0.1:8788'] }),
    });
    expect(patched.status).toBe(200);
    expect(await shown()).toEqual(['https://shop.example', 'http://127.0.0.1:8788']);
  });

  it("stores an internationalized domain as browsers send it (punycode) and takes its pages' events", async () => {
    const { id } = await registerSite({ origins: ['https://Bücher.example', 'https://例え.テスト:8443'] });
    const shown = await call(`/v1/admin/sites/${id}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(((await shown.json()) as { origins: string[] }).origins).toEqual([
      'https://xn--bcher-kva.example',
      'https://xn--r8jz45g.xn--zckzah:8443',
    ]);
    const [event] = freshEvents(1);
    const res = await postEvents(
      { v: 1, site: id, sent_at: Date.now(), events: [event] },
      { origin: 'https://xn--bcher-kva.example' },
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ accepted: 1 });
  });

  it('rotates the read token: the old one stops working, the new one reads', async () => {
    const { id, token } = await registerSite();
    const rotated = await call(`/v1/admin/sites/${id}/token`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    const { read_token } = (await rotated.json()) as { read_token: string };
    expect(read_token).not.toBe(token);
    const read = (t: string) => call(`/v1/sites/${id}/funnel`, { headers: { authorization: `Bearer ${t}` } });
    expect((await read(token)).status).toBe(401);
    expect((await read(read_token)).status).not.toBe(401);
  });

  it('answers health', async () => {
    const res = await call('/v1/health');
    expect(await res.json()).toEqual({ ok: true });
  });

  it('shows a site with its options and ingestion counters, never its token hash', async () => {
    const { id } = await registerSite({ stages: ['discovery', 'reflection', 'decision'], visitor_ids: 'cookieless' });
    const res = await call(`/v1/admin/sites/${id}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({
      id,
      origins: ['https://shop.example'],
      stages: ['discovery', 'reflection', 'decision'],
      bot_filter: true,
      visitor_ids: 'cookieless',
      retention_days: null,
      abandon_after: 30,
      require_ingest_key: true,
      quota: DEFAULT_QUOTA,
      shards: 1,
      ingestion: {
        days: [],
        totals: {
          events: 0,
          bytes: 0,
          dropped: 0,
          bot_events: 0,
          bot_batches: 0,
          storage_failed: 0,
          quota_events: 0,
          quota_batches: 0,
          dead_events: 0,
          dead_batches: 0,
        },
      },
    });
    expect((await call('/v1/admin/sites/nope-nope', { headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(
      404,
    );
  });

  it('changes origins, bot filtering and visitor ids with PATCH, refuses stage changes and bad values', async () => {
    const { id } = await registerSite();
    const patch = (body: unknown, site = id) =>
      call(`/v1/admin/sites/${site}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${ADMIN}` },
        body: JSON.stringify(body),
      });
    const ok = await patch({ origins: ['https://new.example', '*'], visitor_ids: 'cookieless', bot_filter: false });
    expect(await ok.json()).toMatchObject({
      origins: ['https://new.example', '*'],
      visitor_ids: 'cookieless',
      bot_filter: false,
    });
    for (const bad of [
      { stages: ['a', 'b'] },
      { visitor_ids: 'ip' },
      { bot_filter: 'no' },
      { origins: 'https://x.example' },
      [],
    ]) {
      const res = await patch(bad);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'invalid-site-config', message: expect.any(String) });
    }
    expect((await patch({ bot_filter: true }, 'nope-nope')).status).toBe(404);
    expect((await call(`/v1/admin/sites/${id}`, { method: 'PATCH', body: '{}' })).status).toBe(401);
  });
});
