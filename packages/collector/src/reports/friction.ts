// The friction report: pages ranked by how many journeys end or stall on them (exits, form and cart abandons) and by
// the friction signals the script captures on them (rage, dead and error clicks, quick backs, field errors).
import { FRICTION_EVENTS, type FrictionPage, type FrictionReport, type FrictionTarget } from '@parcours/protocol';
import { CART_SQL, cartBinds } from './carts.ts';
import { pathViews } from './path-views.ts';
import type { Range } from './query.ts';
import { rate, type ReportSite } from './sql.ts';

/** Most pages listed. */
export const MAX_FRICTION_PAGES = 100;
/** Most targets listed per page. */
export const MAX_FRICTION_TARGETS = 10;

/** Each friction signal's event type (protocol FRICTION_EVENTS) and the page field that counts it. */
const SIGNALS = {
  rage_click: 'rage_clicks',
  dead_click: 'dead_clicks',
  error_click: 'error_clicks',
  quick_back: 'quick_backs',
  field_error: 'field_errors',
} as const satisfies Record<(typeof FRICTION_EVENTS)[number], keyof FrictionPage>;
const SIGNAL_TYPES = FRICTION_EVENTS.map((t) => `'${t}'`).join(',');

type Counts = Pick<FrictionPage, 'views' | 'exits' | 'form_abandons' | 'cart_abandons'> &
  Partial<Pick<FrictionPage, 'rage_clicks' | 'dead_clicks' | 'error_clicks' | 'quick_backs' | 'field_errors'>>;

/**
 * The friction score of a page: losses × min(1, losses / views) × depth, where losses =
 * exits + form_abandons + cart_abandons + quick_backs + (rage_clicks + dead_clicks + error_clicks + field_errors) / 2
 * and depth = (stage position + 1) / stage count. A quick back leaves the page, like an exit; a click or field that
 * fails hurts without ending the visit: half a loss. Losses alone favour busy pages, the loss rate alone favours pages
 * seen twice; their product ranks by both. Depth weighs a loss near the purchase above one on a blog post, where
 * leaving is normal.
 */
export function frictionScore(p: Counts, stageIndex: number, stageCount: number): number {
  const hurts = (p.rage_clicks ?? 0) + (p.dead_clicks ?? 0) + (p.error_clicks ?? 0) + (p.field_errors ?? 0);
  const losses = p.exits + p.form_abandons + p.cart_abandons + (p.quick_backs ?? 0) + hurts / 2;
  const depth = (stageIndex + 1) / Math.max(1, stageCount);
  return Math.round(losses * Math.min(1, losses / Math.max(1, p.views)) * depth * 1000) / 1000;
}

/** Pages seen or abandoned in the period, highest friction score first. */
export async function friction(db: D1Database, site: ReportSite, range: Range, abandonAfterMinutes: number): Promise<FrictionReport> {
  const [views, [formAbandons, cartAbandons, signals]] = await Promise.all([
    pathViews(db, site.id, range),
    db.batch([
      db
        .prepare(
          `SELECT path, stage_index, COUNT(*) AS n FROM events
            WHERE site = ?1 AND type = 'form_abandon' AND time >= ?2 AND time < ?3 AND form IS NOT NULL GROUP BY path, stage_index`,
        )
        .bind(site.id, range.from, range.to),
      db
        .prepare(
          `SELECT exit_path AS path, exit_stage AS stage_index, COUNT(*) AS n FROM carts
            WHERE ${CART_SQL.started} AND ${CART_SQL.abandoned} AND exit_path IS NOT NULL GROUP BY exit_path, exit_stage`,
        )
        .bind(...cartBinds(site, range, abandonAfterMinutes)),
      // Friction signals by page, kind and target (a field error's target is its field; a quick back has none).
      db
        .prepare(
          `SELECT path, stage_index, type, COALESCE(json_extract(data, '$.target'), json_extract(data, '$.field')) AS target, COUNT(*) AS n
             FROM events WHERE site = ?1 AND type IN (${SIGNAL_TYPES}) AND time >= ?2 AND time < ?3
            GROUP BY path, stage_index, type, target`,
        )
        .bind(site.id, range.from, range.to),
    ]),
  ]);
  type Row = { path: string; stage_index: number; views?: number; visitors?: number; exits?: number; n?: number; type?: keyof typeof SIGNALS; target?: string | null };
  const pages = new Map<string, FrictionPage & { stage_index: number }>();
  const page = (r: Row) => {
    const key = JSON.stringify([r.path, r.stage_index]);
    let p = pages.get(key);
    if (!p) {
      p = {
        path: r.path,
        stage: site.stages[r.stage_index] ?? String(r.stage_index),
        stage_index: r.stage_index,
        views: 0,
        visitors: 0,
        exits: 0,
        exit_rate: 0,
        form_abandons: 0,
        cart_abandons: 0,
        rage_clicks: 0,
        dead_clicks: 0,
        error_clicks: 0,
        quick_backs: 0,
        field_errors: 0,
        score: 0,
        targets: [],
      };
      pages.set(key, p);
    }
    return p;
  };
  for (const r of views) Object.assign(page(r), { views: r.views, visitors: r.visitors, exits: r.exits });
  for (const r of formAbandons!.results as Row[]) page(r).form_abandons = r.n ?? 0;
  for (const r of cartAbandons!.results as Row[]) page(r).cart_abandons = r.n ?? 0;
  for (const r of signals!.results as Row[]) {
    const p = page(r);
    p[SIGNALS[r.type!]] += r.n ?? 0;
    if (r.target && r.type != 'quick_back') p.targets.push({ kind: r.type as FrictionTarget['kind'], target: r.target, count: r.n ?? 0 });
  }

  const out: FrictionPage[] = [];
  for (const { stage_index, ...p } of pages.values()) {
    p.exit_rate = rate(p.exits, p.views);
    p.score = frictionScore(p, stage_index, site.stages.length);
    p.targets = p.targets
      .sort((a, b) => b.count - a.count || (a.kind + a.target < b.kind + b.target ? -1 : 1))
      .slice(0, MAX_FRICTION_TARGETS);
    out.push(p);
  }
  out.sort((a, b) => b.score - a.score || b.views - a.views || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { pages: out.slice(0, MAX_FRICTION_PAGES) };
}
