// Which stage an event gets: the five rules of DESIGN.md, first match wins, for any ordered stage list.
import { eventStage, pathStage } from './names.ts';

/** Turns a path glob into a regular expression: `*` matches within one path segment, `**` across segments. */
export const globToRegExp = (glob: string): RegExp =>
  RegExp('^' + glob.replace(/[^\w*]/g, '\\$&').replace(/\*\*?/g, (m) => (m[1] ? '.*' : '[^/]*')) + '$');

/**
 * Resolves the stage of an event of `type` on `path` for the ordered `stages`: `explicit` (rule 1),
 * the page's declaration `page` (2), URL `rules` (3, glob → stage, first match), the event's default (4),
 * path heuristics (5), else the first stage. A name not in `stages` is skipped (the collector would refuse it).
 * For a `customer` (purchased before), a stage before `decision` from rules 3–5 becomes `retention`.
 * @example resolveStage('add_to_cart', '/p/mug', DEFAULT_STAGES) // 'decision'
 */
export function resolveStage(
  type: string,
  path: string,
  stages: readonly string[],
  explicit?: unknown,
  page?: unknown,
  rules?: Record<string, string> | null,
  customer?: string | boolean,
): string {
  const ok = (s: unknown) => stages.includes(s as string) && (s as string);
  let s = ok(explicit) || ok(page);
  if (s) return s;
  for (const g in rules) s ||= globToRegExp(g).test(path) && ok(rules[g]);
  s = s || (FEATURE_CARTS && ok(eventStage(type))) || ok(pathStage(path)) || stages[0]!;
  return (customer && stages.indexOf(s) < stages.indexOf('decision') && ok('retention')) || s;
}
