import { describe, expect, it } from 'vitest';
import { call, freshEvents, postEvents, registerSite } from '../test/helpers.ts';

const REPORTS = ['funnel', 'transitions', 'friction', 'forms', 'carts', 'kpis', 'events'];

const read = (site: string, report: string, token: string) =>
  call(`/v1/sites/${site}/${report}`, { headers: { authorization: `Bearer ${token}` } });

/** Variants of a token that must all fail: one character off at every position, cut, extended, case-flipped, padded. */
function nearMisses(token: string): string[] {
  const out = new Set<string>();
  for (let i = 0; i < token.length; i++) {
    const c = token[i]!;
    out.add(token.slice(0, i) + (c === 'A' ? 'B' : 'A') + token.slice(i + 1));
  }
  out.add(token.slice(0, -1));
  out.add(token.slice(1));
  out.add(`${token}A`);
  out.add(`A${token}`);
  out.add(token.toUpperCase() === token ? token.toLowerCase() : token.toUpperCase());
  out.add(token + token);
  out.add('x');
  out.add('x'.repeat(4096));
  out.delete(token);
  return [...out];
}

describe('read API isolation', () => {
  it('lets each token read only its own site: every site x token pair, 200 own, 404 another site, for every report', async () => {
    const sites = await Promise.all([registerSite(), registerSite(), registerSite()]);
    const ids = new Map<string, string[]>();
    for (const s of sites) {
      const events = freshEvents(4, `v-${s.id}`);
      await postEvents({ v: 1, site: s.id, sent_at: Date.now(), events });
      ids.set(
        s.id,
        events.map((e) => e.id),
      );
    }
    for (const owner of sites) {
      for (const target of sites) {
        for (const report of REPORTS) {
          const res = await read(target.id, report, owner.token);
          const body = await res.text();
          if (owner === target) {
            expect(res.status, `${report} own`).toBe(200);
          } else {
            expect(res.status, `${report} of another site`).toBe(404);
            expect(JSON.parse(body)).toEqual({ error: 'not-found' });
          }
          // No report ever shows another site's rows.
          for (const other of sites)
            if (other !== target) for (const id of ids.get(other.id)!) expect(body).not.toContain(id);
        }
      }
      // The export of its own site holds exactly its own events.
      const exported = (await (await read(owner.id, 'events', owner.token)).text())
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).id);
      expect(exported.sort()).toEqual([...ids.get(owner.id)!].sort());
    }
  });

  it('answers 401 to tokens of the wrong length, near misses of a valid token and malformed headers', async () => {
    const a = await registerSite();
    const b = await registerSite();
    const misses = [...nearMisses(a.token), ...nearMisses(b.token).slice(0, 10)];
    expect(misses.length).toBeGreaterThan(40);
    for (const t of misses) {
      const res = await read(a.id, 'funnel', t);
      expect(res.status, t).toBe(401);
      expect(await res.json()).toEqual({ error: 'unauthorized' });
    }
    for (const authorization of ['', 'Bearer', `Basic ${a.token}`, `Bearer  ${a.token} x`, a.token]) {
      const res = await call(`/v1/sites/${a.id}/funnel`, { headers: { authorization } });
      expect(res.status, authorization).toBe(401);
    }
    expect((await read(a.id, 'funnel', a.token)).status).toBe(200);
  });

  it('answers 404, not 401, to a valid token asking for a site that does not exist, and 401 to a bad one', async () => {
    const a = await registerSite();
    expect((await read('no-such-site', 'funnel', a.token)).status).toBe(404);
    expect((await read('no-such-site', 'funnel', 'garbage')).status).toBe(401);
  });
});
