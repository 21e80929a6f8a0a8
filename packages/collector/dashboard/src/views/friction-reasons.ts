// Why a friction page ranks where it does, in a few words built from its own numbers.
import { count, percent } from '../format.ts';
import type { FrictionPage } from '../types.ts';

/** What a page is compared with: the exit rate of all listed pages together, the site's stages, the largest losses. */
export interface FrictionContext {
  siteExitRate: number;
  stages: string[];
  /** The largest count of each loss on any listed page: the page that has it is told so. */
  most?: { exits: number; form_abandons: number; cart_abandons: number };
}

/** The largest exits, form abandons and cart abandons of any page. */
export function largestLosses(pages: FrictionPage[]): NonNullable<FrictionContext['most']> {
  return {
    exits: Math.max(0, ...pages.map((p) => p.exits)),
    form_abandons: Math.max(0, ...pages.map((p) => p.form_abandons)),
    cart_abandons: Math.max(0, ...pages.map((p) => p.cart_abandons)),
  };
}

/** The exit rate of all pages together (exits / views), the baseline a page's own rate is judged by. */
export function siteExitRate(pages: FrictionPage[]): number {
  const views = pages.reduce((a, p) => a + p.views, 0);
  return views ? pages.reduce((a, p) => a + p.exits, 0) / views : 0;
}

function plural(n: number, one: string, many: string): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}

/** The friction signals a page counts: its field, the target kind it names, the words for one and many. */
const SIGNALS = [
  ['rage_clicks', 'rage_click', 'rage click', 'rage clicks'],
  ['dead_clicks', 'dead_click', 'dead click', 'dead clicks'],
  ['error_clicks', 'error_click', 'click followed by an error', 'clicks followed by an error'],
  ['field_errors', 'field_error', 'field error', 'field errors'],
  ['quick_backs', '', 'quick back', 'quick backs'],
] as const;

/**
 * A short reason, strongest cause first: "3 carts abandoned here; high exit rate 62%; 4 rage clicks on compare".
 * Each loss (cart abandon, form abandon, exit) and friction signal is named with its count (a signal with its top
 * target); the exit rate is called
 * high when it is at least 50% or 1.5 times that of all pages; the page with the most of a loss is told so;
 * a late stage is named since losses there cost more.
 */
export function frictionReason(p: FrictionPage, ctx: FrictionContext): string {
  const causes: Array<{ weight: number; text: string }> = [];
  const most = (kind: keyof NonNullable<FrictionContext['most']>) =>
    ctx.most && p[kind] > 0 && p[kind] === ctx.most[kind] ? ', the most of any page' : '';
  if (p.cart_abandons > 0)
    causes.push({
      weight: p.cart_abandons * 1.001,
      text: `${plural(p.cart_abandons, 'cart', 'carts')} abandoned here${most('cart_abandons')}`,
    });
  if (p.form_abandons > 0)
    causes.push({
      weight: p.form_abandons,
      text: `${plural(p.form_abandons, 'form abandon', 'form abandons')}${most('form_abandons')}`,
    });
  if (p.exits > 0) {
    const high = p.exit_rate >= 0.5 || (ctx.siteExitRate > 0 && p.exit_rate >= 1.5 * ctx.siteExitRate);
    const vs =
      ctx.siteExitRate > 0 && p.exit_rate >= 1.5 * ctx.siteExitRate ? ` (all pages: ${percent(ctx.siteExitRate)})` : '';
    causes.push({
      weight: p.exits * 0.999,
      text: high
        ? `high exit rate ${percent(p.exit_rate)}${vs}${most('exits') ? `, ${plural(p.exits, 'exit', 'exits')}${most('exits')}` : ''}`
        : `${plural(p.exits, 'exit', 'exits')} (${percent(p.exit_rate)} of views)${most('exits')}`,
    });
  }
  // Friction signals, weighted as in the score (a quick back like an exit, a click or field that fails half), each with
  // the element or field it happened on most.
  for (const [field, kind, one, many] of SIGNALS) {
    const n = p[field] ?? 0;
    if (!n) continue;
    const target = p.targets?.find((t) => t.kind === kind)?.target;
    causes.push({ weight: kind ? n / 2 : n, text: `${plural(n, one, many)}${target ? ` on ${target}` : ''}` });
  }
  if (!causes.length) return 'no exits or abandons recorded';
  causes.sort((a, b) => b.weight - a.weight);
  const parts = causes.map((c) => c.text);
  const idx = ctx.stages.indexOf(p.stage);
  if (idx >= 0 && ctx.stages.length > 1 && idx >= Math.ceil((ctx.stages.length - 1) / 2))
    parts.push(`late in the journey (${p.stage})`);
  if (p.views < 5) parts.push(`few views (${count(p.views)})`);
  // Semicolons between causes: a cause may carry its own comma ("…, the most of any page").
  const text = parts.join('; ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}
