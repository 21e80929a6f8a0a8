// The export's pages: bounded by `limit` and by bytes, with a cursor that is opaque, per site, and never the global insertion number.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { freshEvents, registerSite } from '../../test/helpers.ts';
import { exportEvents } from './events.ts';
import { get, send, text } from './test-support.ts';

const WIDE = () => ({ from: new Date(Date.now() - 40 * 86_400_000).toISOString(), to: new Date(Date.now() + 86_400_000).toISOString() });

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
    const { n } = (await env.DB.prepare('SELECT MAX(seq) AS n FROM events').first<{ n: number }>())!;
    for (let seq = 1; seq <= n; seq++) expect(cursor).not.toBe(String(seq));
    // Site b's reader cannot use a's cursor (nor learn from it): 400, as for any cursor this export did not give.
    for (const bad of [cursor, '1', 'x'.repeat(401), '!!', btoa('nope')]) {
      const res = await get(b, 'events', { ...WIDE(), cursor: bad });
      expect(res.status, bad).toBe(400);
      expect(await res.json()).toEqual({ error: 'invalid-query' });
    }
    const next = await get(a, 'events', { ...WIDE(), limit: 5, cursor });
    expect((await text(next)).trimEnd().split('\n')).toHaveLength(2);
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
      const page = await exportEvents(env.DB, { id: site.id, stages: [] }, range, cursor, 1000, 900);
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
});
