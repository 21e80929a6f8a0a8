// A visitor's saved derivation state keys their pages by the path's id: its size does not grow with how long paths are.
import { describe, expect, it } from 'vitest';
import { registerSite } from '../../test/helpers.ts';
import { siteDb } from '../../test/site-rows.ts';
import { report, send, wire } from '../../test/test-support.ts';
import { TABLE } from '../db/schema.ts';

const LONG = 1_700;
const longPath = (i: number) => `/p${i}/${'x'.repeat(LONG)}`;

describe("a visitor's saved state", () => {
  it('holds a long path once per session, not once per page viewed, and still knows a page seen before', async () => {
    const site = await registerSite();
    const start = Date.now() - 3_600_000;
    const view = (i: number, at: number) =>
      wire({ type: 'page_view', ts: at, stage: 'awareness', visitor: 'v1', session: 's1', path: longPath(i) });
    // 40 pages with 1,700-character paths, then one more batch that resumes from the state saved after them.
    await send(
      site.id,
      Array.from({ length: 40 }, (_, i) => view(i, start + i * 1000)),
    );
    await send(site.id, [view(0, start + 60_000)]);

    const { results } = await siteDb(site.id)
      .prepare(
        `SELECT MAX(LENGTH(state)) AS bytes, COUNT(*) AS states FROM ${TABLE.visitor_state} WHERE site = ? AND visitor = ?`,
      )
      .bind(site.id, 'v1')
      .all<{ bytes: number; states: number }>();
    expect(results[0]!.states).toBeGreaterThan(0);
    // The session's last page view carries its path's text (one); 40 page keys by text would be over 68,000.
    expect(results[0]!.bytes).toBeLessThan(3 * LONG);

    // The page viewed again is no new viewer of it: the state knew it, by id, across the two batches.
    const { pages } = await report(site, 'friction', { from: new Date(start - 1000).toISOString() });
    const first = pages.find((p: { path: string }) => p.path === longPath(0));
    expect([first.views, first.visitors]).toEqual([2, 1]);
    expect(pages.filter((p: { visitors: number }) => p.visitors === 1)).toHaveLength(40);
  });
});
