import { describe, expect, it } from 'vitest';
import { ADMIN, call, freshEvents, postEvents, registerSite } from '../../test/helpers.ts';
import { storedEvents, withSiteDb } from '../../test/site-rows.ts';
import { chunkRows, MAX_JSON_PER_STATEMENT, MAX_ROWS_PER_STATEMENT, type EventRow } from './insert-sql.ts';
import { TABLE } from './schema.ts';

/** The site's ingestion counters, as the admin API answers them. */
const totals = async (site: string) =>
  (
    (await (await call(`/v1/admin/sites/${site}`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as {
      ingestion: { totals: Record<string, number> };
    }
  ).ingestion.totals;

// A real fault in the real database holding the site's rows (D1, or the site's shard): a trigger that refuses some
// rows, as a corrupt page or a constraint added later would. Storage of this test file only.
async function registerFaultySite(id?: string) {
  const site = await registerSite(id === undefined ? {} : { id });
  await withSiteDb(site.id, (db) =>
    db
      .prepare(
        `CREATE TRIGGER IF NOT EXISTS refuse_poison BEFORE INSERT ON ${TABLE.events}
         WHEN NEW.visitor = 'v-poison' OR NEW.site LIKE 'down-%'
         BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END`,
      )
      .run(),
  );
  return site;
}

describe('insertEvents', () => {
  it('splits rows into statements of at most 100 rows and 90 000 characters', () => {
    const row = (data: string): EventRow => ({
      id: crypto.randomUUID(),
      type: 'page_view',
      stage: 'awareness',
      stage_index: 0,
      visitor: 'v',
      session: 's',
      time: 1,
      ts: 1,
      sent_at: 1,
      path: '/',
      form: null,
      last_field: null,
      duration_ms: null,
      value: null,
      currency: null,
      data,
    });
    const small = chunkRows(Array.from({ length: 500 }, () => row('{}')));
    expect(small.map((c) => c.json.length)).toEqual([100, 100, 100, 100, 100]);
    const big = chunkRows(Array.from({ length: 10 }, () => row('x'.repeat(30_000))));
    for (const c of big) expect(c.json.join(',').length).toBeLessThanOrEqual(MAX_JSON_PER_STATEMENT);
    expect(big.flatMap((c) => c.json).length).toBe(10);
    expect(MAX_ROWS_PER_STATEMENT).toBeLessThanOrEqual(100);
  });

  it('keeps every other event when the database refuses one, and reports that one as storage-failed', async () => {
    const { id } = await registerFaultySite();
    const events = freshEvents(250);
    events[130] = { ...events[130]!, visitor: 'v-poison' };
    const res = await postEvents({ v: 1, site: id, sent_at: Date.now(), dropped: 5, events });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      accepted: 249,
      duplicates: 0,
      rejected: [{ index: 130, error: 'storage-failed' }],
    });
    expect(await storedEvents(id)).toBe(249);
    // The refused event is counted as refused, not in the day's stored events (nor, so, in its quota).
    expect(await totals(id)).toMatchObject({ events: 249, storage_failed: 1, dropped: 5 });
    // Resending the batch stores nothing twice, and counts its drops no more.
    expect(await (await postEvents({ v: 1, site: id, sent_at: Date.now(), dropped: 5, events })).json()).toMatchObject({
      accepted: 0,
      duplicates: 249,
    });
    expect(await totals(id)).toMatchObject({ events: 249, storage_failed: 2, dropped: 5 });
  });

  it('names the refused event by its place in the request when the batch came newest first (stored oldest first)', async () => {
    const { id } = await registerFaultySite();
    const events = freshEvents(250);
    events[130] = { ...events[130]!, visitor: 'v-poison' };
    const res = await postEvents({ v: 1, site: id, sent_at: Date.now(), events: [...events].reverse() });
    expect(await res.json()).toEqual({
      accepted: 249,
      duplicates: 0,
      rejected: [{ index: 249 - 130, error: 'storage-failed' }],
    });
  });

  it('answers 503 with Retry-After, storing nothing, when the database refuses everything, so the client keeps the events', async () => {
    const { id } = await registerFaultySite(`down-${crypto.randomUUID().slice(0, 8)}`);
    const res = await postEvents({ v: 1, site: id, sent_at: Date.now(), events: freshEvents(120) });
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: 'storage-unavailable' });
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await storedEvents(id)).toBe(0);
    // Nothing stored, nothing counted: the client's resend will be.
    expect(await totals(id)).toMatchObject({ events: 0, bytes: 0, storage_failed: 0 });
  });
});
