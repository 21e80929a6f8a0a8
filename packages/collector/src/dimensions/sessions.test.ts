// Session dimensions at ingestion: fixed by the session's first page view and its request, whatever order batches arrive in.
import { exports } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import type { WireEvent } from '@parcours/protocol';
import { registerSite } from '../../test/helpers.ts';
import { siteDb } from '../../test/site-rows.ts';
import { ORIGIN, wire } from '../../test/test-support.ts';
import { TABLE } from '../db/schema.ts';

const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
const WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

let site: { id: string; token: string };
beforeAll(async () => {
  // Bot filtering off: a 100 KB or garbage User-Agent must still give dimensions (isbot would filter it).
  site = await registerSite({ bot_filter: false });
});

/** Posts a batch as a browser would, with a User-Agent and the edge's country (request.cf). */
async function post(events: WireEvent[], userAgent: string, country?: string) {
  const init: RequestInit & { cf?: unknown } = {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: ORIGIN, 'user-agent': userAgent },
    body: JSON.stringify({ v: 1, site: site.id, sent_at: Date.now(), events }),
  };
  if (country) init.cf = { country };
  const res = await exports.default.fetch(new Request('http://collector.test/v1/events', init as RequestInit));
  expect(res.status).toBe(200);
}

const session = (visitor: string, s: string) =>
  siteDb(site.id)
    .prepare(`SELECT * FROM ${TABLE.sessions} WHERE site = ? AND visitor = ? AND session = ?`)
    .bind(site.id, visitor, s)
    .first<Record<string, unknown>>();

describe('session dimensions', () => {
  it('stores channel, source, medium, campaign, referrer, landing, device, browser, os and country of the first page view', async () => {
    const t = Date.now() - 60_000;
    await post(
      [
        wire({
          visitor: 'v1',
          session: 's1',
          ts: t,
          type: 'page_view',
          stage: 'awareness',
          path: '/blog/post?utm_source=newsletter&utm_medium=email&utm_campaign=spring',
          referrer: 'https://mail.google.com/',
        }),
        wire({
          visitor: 'v1',
          session: 's1',
          ts: t + 1000,
          type: 'page_view',
          stage: 'consideration',
          path: '/p/mug',
          referrer: `${ORIGIN}/blog/post`,
        }),
      ],
      IPHONE,
      'FR',
    );
    expect(await session('v1', 's1')).toMatchObject({
      channel: 'email',
      source: 'newsletter',
      medium: 'email',
      campaign: 'spring',
      referrer: 'mail.google.com',
      landing: '/blog/post',
      device: 'mobile',
      browser: 'Safari',
      os: 'iOS',
      country: 'FR',
      from_view: 1,
    });
  });

  it('reads a search referrer, a click id, direct traffic, and XX without a country', async () => {
    const t = Date.now() - 60_000;
    await post(
      [
        wire({
          visitor: 'v2',
          session: 's2',
          ts: t,
          type: 'page_view',
          stage: 'awareness',
          path: '/',
          referrer: 'https://www.google.com/',
        }),
      ],
      WINDOWS,
    );
    expect(await session('v2', 's2')).toMatchObject({
      channel: 'organic_search',
      source: 'google.com',
      medium: '(none)',
      campaign: '(none)',
      referrer: 'www.google.com',
      device: 'desktop',
      browser: 'Chrome',
      os: 'Windows',
      country: 'XX',
    });
    await post(
      [
        wire({
          visitor: 'v3',
          session: 's3',
          ts: t,
          type: 'page_view',
          stage: 'awareness',
          path: '/',
          referrer: 'https://www.google.com/',
          click_id: 'gclid',
        }),
      ],
      WINDOWS,
      'DE',
    );
    expect(await session('v3', 's3')).toMatchObject({ channel: 'paid_search', source: 'google.com', country: 'DE' });
    await post(
      [
        wire({
          visitor: 'v4',
          session: 's4',
          ts: t,
          type: 'page_view',
          stage: 'awareness',
          path: '/a',
          referrer: `${ORIGIN}/b`,
        }),
      ],
      '',
    );
    expect(await session('v4', 's4')).toMatchObject({
      channel: 'direct',
      source: '(direct)',
      referrer: '(none)',
      device: 'other',
      browser: 'other',
      os: 'other',
    });
    await post(
      [
        wire({
          visitor: 'v5',
          session: 's5',
          ts: t,
          type: 'page_view',
          stage: 'awareness',
          path: '/',
          referrer: 'not a url',
        }),
      ],
      `Mozilla/5.0 (${'x'.repeat(100_000)})`,
    );
    expect(await session('v5', 's5')).toMatchObject({ channel: 'direct', referrer: '(none)', device: 'other' });
  });

  it('keeps the first page view whatever order its batches arrive in, and never stores the User-Agent', async () => {
    const t = Date.now() - 120_000;
    const first = wire({
      visitor: 'v6',
      session: 's6',
      ts: t,
      type: 'page_view',
      stage: 'awareness',
      path: '/landing?utm_source=partner&utm_medium=affiliate',
    });
    const custom = wire({
      visitor: 'v6',
      session: 's6',
      ts: t - 5000,
      type: 'newsletter_signup',
      stage: 'awareness',
      path: '/other',
    });
    const later = wire({
      visitor: 'v6',
      session: 's6',
      ts: t + 5000,
      type: 'page_view',
      stage: 'consideration',
      path: '/p/1',
      referrer: 'https://www.bing.com/',
    });
    // The later page view first (from a phone), then an earlier custom event, then the first page view (from a desktop).
    await post([later], IPHONE, 'ES');
    expect(await session('v6', 's6')).toMatchObject({ landing: '/p/1', channel: 'organic_search', device: 'mobile' });
    await post([custom], IPHONE, 'ES');
    expect(await session('v6', 's6')).toMatchObject({ landing: '/p/1' });
    await post([first], WINDOWS, 'IT');
    expect(await session('v6', 's6')).toMatchObject({
      landing: '/landing',
      channel: 'affiliate',
      source: 'partner',
      device: 'desktop',
      country: 'IT',
    });
    // Resent: nothing changes.
    await post([later], IPHONE, 'ES');
    expect(await session('v6', 's6')).toMatchObject({ landing: '/landing', device: 'desktop', country: 'IT' });
    const dump = JSON.stringify(
      (await siteDb(site.id).prepare(`SELECT * FROM ${TABLE.sessions} WHERE site = ?`).bind(site.id).all()).results,
    );
    expect(dump).not.toContain('Mozilla/5.0');
    expect(dump).not.toContain('AppleWebKit');
    expect(dump).not.toContain('iPhone OS');
  });

  it('cuts a long landing page where a character ends, never inside its percent-escapes', async () => {
    // 100 × é is 600 characters encoded; a cut at 200 would end at `%C3%A`.
    await post(
      [
        wire({
          visitor: 'v8',
          session: 's8',
          ts: Date.now() - 60_000,
          type: 'page_view',
          stage: 'awareness',
          path: `/${'é'.repeat(100)}`,
        }),
      ],
      WINDOWS,
    );
    const { landing } = (await session('v8', 's8')) as { landing: string };
    expect(landing).toBe(`/${'%C3%A9'.repeat(33)}`);
    expect(decodeURIComponent(landing)).toBe(`/${'é'.repeat(33)}`);
  });

  it('gives a session without a page view the dimensions of its first event', async () => {
    await post(
      [
        wire({
          visitor: 'v7',
          session: 's7',
          ts: Date.now() - 60_000,
          type: 'quote_request',
          stage: 'consideration',
          path: '/quote?utm_source=facebook&utm_medium=paid',
        }),
      ],
      IPHONE,
      'BE',
    );
    expect(await session('v7', 's7')).toMatchObject({
      channel: 'paid_social',
      landing: '/quote',
      from_view: 0,
      country: 'BE',
    });
  });
});
