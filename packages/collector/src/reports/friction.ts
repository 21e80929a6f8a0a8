// The friction report: pages ranked by how many journeys end or stall on them (exits, form and cart abandons).
import type { FrictionPage, FrictionReport } from '@parcours/protocol';
import { CART_SQL, cartBinds } from './carts.ts';
import { sessionCondition } from './filter.ts';
import { pathViews } from './path-views.ts';
import type { Range } from './query.ts';
import { rate, type ReportSite } from './sql.ts';

/** Most pages listed. */
export const MAX_FRICTION_PAGES = 100;

/**
 * The friction score of a page: losses × min(1, losses / views) × depth, where losses =
 * exits + form_abandons + cart_abandons and depth = (stage position + 1) / stage count.
 * Losses alone favour busy pages, the loss rate alone favours pages seen twice; their product
 * ranks by both. Depth weighs a loss near the purchase above one on a blog post, where
 * leaving is normal.
 */
export function frictionScore(p: Pick<FrictionPage, 'views' | 'exits' | 'form_abandons' | 'cart_abandons'>, stageIndex: number, stageCount: number): number {
  const losses = p.exits + p.form_abandons + p.cart_abandons;
  const depth = (stageIndex + 1) / Math.max(1, stageCount);
  return Math.round(losses * Math.min(1, losses / Math.max(1, p.views)) * depth * 1000) / 1000;
}

/** Pages seen or abandoned in the period, highest friction score first. */
export async function friction(db: D1Database, site: ReportSite, range: Range, abandonAfterMinutes: number): Promise<FrictionReport> {
  const filtered = sessionCondition(site.id, range.filter);
  const [views, [formAbandons, cartAbandons]] = await Promise.all([
    pathViews(db, site.id, range),
    db.batch([
      db
        .prepare(
          `SELECT path, stage_index, COUNT(*) AS n FROM events
            WHERE site = ?1 AND type = 'form_abandon' AND time >= ?2 AND time < ?3 AND form IS NOT NULL${filtered} GROUP BY path, stage_index`,
        )
        .bind(site.id, range.from, range.to),
      db
        .prepare(
          `SELECT exit_path AS path, exit_stage AS stage_index, COUNT(*) AS n FROM carts
            WHERE ${CART_SQL.started} AND ${CART_SQL.abandoned} AND exit_path IS NOT NULL${filtered} GROUP BY exit_path, exit_stage`,
        )
        .bind(...cartBinds(site, range, abandonAfterMinutes)),
    ]),
  ]);
  type Row = { path: string; stage_index: number; views?: number; visitors?: number; exits?: number; n?: number };
  const pages = new Map<string, FrictionPage & { stage_index: number }>();
  const page = (r: Row) => {
    const key = JSON.stringify([r.path, r.stage_index]);
    let p = pages.get(key);
    if (!p) {
      p = { path: r.path, stage: site.stages[r.stage_index] ?? String(r.stage_index), stage_index: r.stage_index, views: 0, visitors: 0, exits: 0, exit_rate: 0, form_abandons: 0, cart_abandons: 0, score: 0 };
      pages.set(key, p);
    }
    return p;
  };
  for (const r of views) Object.assign(page(r), { views: r.views, visitors: r.visitors, exits: r.exits });
  for (const r of formAbandons!.results as Row[]) page(r).form_abandons = r.n ?? 0;
  for (const r of cartAbandons!.results as Row[]) page(r).cart_abandons = r.n ?? 0;

  const out: FrictionPage[] = [];
  for (const { stage_index, ...p } of pages.values()) {
    p.exit_rate = rate(p.exits, p.views);
    p.score = frictionScore(p, stage_index, site.stages.length);
    out.push(p);
  }
  out.sort((a, b) => b.score - a.score || b.views - a.views || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { pages: out.slice(0, MAX_FRICTION_PAGES) };
}
