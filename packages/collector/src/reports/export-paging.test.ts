// The export's pages: bounded by `limit` and by bytes, with a cursor that is opaque, per site, and never the global insertion number;
// a dimension filter keeps the matching sessions' events on every page.
import { describe, expect, it } from 'vitest';
import { freshEvents, registerSite } from '../../test/helpers.ts';
import { exportEvents } from './events.ts';
import { siteDb, withSiteDb } from '../../test/site-rows.ts';
import { get, send, text, wire } from '../../test/test-support.ts';
import { TABLE } from '../db/schema.ts';

const WIDE = () => ({
  from: new Date(Date.now() - 40 * 86_400_000).toISOString(),
  to: new Date(Date.now() + 86_400_000).toISOString(),
});

describe('events export paging', () => {
  it('gives a cursor that names no global number and reads only within its own site', async () => {
    const a = await registerSite();
    const b = await registerSite();
    await send(a.id, freshEvents(3));
    await send(b.id, freshEvents(3));
    const first = await get(a, 'events', { ...WIDE(), limit: 1 });
    await first.arrayBuffer();
    const cursor = first.headers.get('x-next-cursor')!;
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    const { n } = (await siteDb(a.id).prepare(`SELECT MAX(seq) AS n FROM ${TABLE.events}`).first<{ n: number }>())!;
    for (let seq = 1; seq <= n; seq++) expect(cursor).not.toBe(String(seq));
    // Site b's reader cannot use a's cursor (nor learn from it): 400, as for any cursor this export did not give.
    for (const bad of [cursor, '1', 'x'.repeat(401), '!!', btoa('nope')]) {
      const res = await get(b, 'events', { ...WIDE(), cursor: bad });
      expect(res.status, bad).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'invalid-query', message: expect.any(String) });
    }
    const next = await get(a, 'events', { ...WIDE(), limit: 5, cursor });
    expect((await text(next)).trimEnd().split('\n')).toHaveLength(2);
  });

  it('lists a batch sent newest first (as the beacon sends it) in the order its events happened', async () => {
    const site = await registerSite();
    const events = freshEvents(6);
    const reply = await send(site.id, [...events].reverse());
    expect(reply).toMatchObject({ accepted: 6 });
    const lines = (await text(await get(site, 'events', WIDE()))).trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l).id)).toEqual(events.map((e) => e.id));
  });

  it('cuts a page at the byte budget, a single larger line still making a page, and loses or repeats nothing', async () => {
    const site = await registerSite();
    const big = { a: 'x'.repeat(256), b: 'y'.repeat(256), c: 'z'.repeat(256) };
    const events = freshEvents(12).map((e, i) => (i === 5 ? { ...e, props: big } : e));
    await send(site.id, events);
    const range = { from: Date.now() - 86_400_000, to: Date.now() + 1, now: Date.now() };
    const lines: string[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 50; pages++) {
      const page = await withSiteDb(site.id, (db) =>
        exportEvents(db, { id: site.id, stages: [] }, range, cursor, 1000, 900),
      );
      const bytes = page.lines.reduce((n, l) => n + new TextEncoder().encode(l).length + 1, 0);
      sizes.push(bytes);
      if (page.lines.length > 1) expect(bytes).toBeLessThanOrEqual(900);
      else if (bytes > 900) expect(JSON.parse(page.lines[0]!).props).toEqual(big);
      lines.push(...page.lines);
      cursor = page.next;
      if (!cursor) break;
    }
    expect(cursor).toBeNull();
    expect(sizes.length).toBeGreaterThan(2);
    expect(Math.max(...sizes)).toBeGreaterThan(900);
    expect(lines.map((l) => JSON.parse(l).id)).toEqual(events.map((e) => e.id));
  });

  it("keeps only the matching sessions' events with a filter, byte pages and cursors included, in the API and below it", async () => {
    const site = await registerSite();
    const t = Date.now() - 10 * 60_000;
    const props = { note: 'n'.repeat(200) };
    // Six sessions in turn, the even ones from a newsletter (source `mail`), four events each, interleaved in one batch.
    const events = Array.from({ length: 24 }, (_, i) => {
      const s = i % 6;
      const path = i < 6 && s % 2 === 0 ? '/?utm_source=mail&utm_medium=email' : '/p';
      return wire({
        type: i < 6 ? 'page_view' : 'signup',
        ts: t + i * 1000,
        stage: 'awareness',
        visitor: `v${s}`,
        session: `s${s}`,
        path,
        props,
      });
    });
    await send(site.id, events);
    const matching = events.filter((e) => Number(e.session.slice(1)) % 2 === 0).map((e) => e.id);
    expect(matching).toHaveLength(12);
    const range = {
      from: t - 1,
      to: Date.now() + 1,
      now: Date.now(),
      filter: [{ dimension: 'source' as const, values: ['mail'] }],
    };

    // Below the API: byte pages (about two lines each) hold only matching events and give them all, once, in order.
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    for (; pages < 30; pages++) {
      const page = await withSiteDb(site.id, (db) =>
        exportEvents(db, { id: site.id, stages: [] }, range, cursor, 1000, 700),
      );
      expect(page.lines.length).toBeGreaterThan(0);
      ids.push(...page.lines.map((l) => JSON.parse(l).id as string));
      cursor = page.next;
      if (!cursor) break;
    }
    expect(pages).toBeGreaterThan(3);
    expect(ids).toEqual(matching);

    // Through the API: `limit` pages with the filter, then a cursor of a filtered page read without the filter resumes after it.
    const wide = { from: new Date(t - 1).toISOString(), to: new Date(Date.now() + 1).toISOString() };
    const viaApi: string[] = [];
    let next: string | null = null;
    for (let p = 0; p < 10; p++) {
      const res = await get(site, 'events', { ...wide, source: 'mail', limit: 5, ...(next ? { cursor: next } : {}) });
      expect(res.status).toBe(200);
      viaApi.push(
        ...(await text(res))
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l).id as string),
      );
      next = res.headers.get('x-next-cursor');
      if (!next) break;
    }
    expect(viaApi).toEqual(matching);
    const first = await get(site, 'events', { ...wide, source: 'mail', limit: 1 });
    await first.arrayBuffer();
    const rest = await get(site, 'events', { ...wide, limit: 1000, cursor: first.headers.get('x-next-cursor')! });
    const after = events.findIndex((e) => e.id === matching[0]);
    expect(
      (await text(rest))
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).id),
    ).toEqual(events.slice(after + 1).map((e) => e.id));
    // A filter no session matches: an empty export, no cursor.
    const none = await get(site, 'events', { ...wide, source: 'nobody' });
    expect(await text(none)).toBe('');
    expect(none.headers.get('x-next-cursor')).toBeNull();
  });
});
