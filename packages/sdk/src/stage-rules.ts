// Which stage an event gets: the rules of docs/PROTOCOL.md, first match wins, for any ordered stage list.
import { eventStage, pathStage } from './names.ts';

/**
 * A path glob as browsers give `location.pathname`: spaces and non-ASCII characters percent-encoded, so
 * `/produits/café/*` matches `/produits/caf%C3%A9/tasse`; a glob written encoded stays as it is. (Not parsed as a URL:
 * a page of opaque origin, a sandboxed frame, has none to resolve against, and a leading `**` must stay.)
 */
const encodedGlob = (glob: string): string => glob.replace(/[^\x21-\x7e]+/g, encodeURI);

/** Turns a path glob into a regular expression: `*` matches within one path segment, `**` across segments. */
export const globToRegExp = (glob: string): RegExp =>
  RegExp(
    '^' +
      encodedGlob(glob)
        .replace(/[^\w*]/g, '\\$&')
        .replace(/\*\*?/g, (stars) => (stars[1] ? '.*' : '[^/]*')) +
      '$',
  );

/**
 * Whether the tag applies the path heuristics (rule 6, and its fallback to the first stage) itself. Only the features
 * that read an event's stage in the page need them: carts (the customer rule), friction (a quick back carries the stage
 * of the page left) and survey (a survey triggered by stage). Elsewhere an event that rules 1, 3 and 4 leave without a
 * stage is sent without one, and the collector applies rules 2, 5 and 6 to it (docs/PROTOCOL.md): the same table, the
 * same answer, and about 130 B less in the core.
 */
const STAGE_IN_PAGE = FEATURE_CARTS || FEATURE_FRICTION || FEATURE_SURVEY;

/**
 * Resolves the stage of an event of `type` on `path` for the ordered `stages`:
 * 1. `explicit`, the stage given on the call;
 * 2. `decision` for a commerce act (a cart event other than `view_item`), whatever the page says;
 * 3. `page`, the page's declaration (`stage()` or its meta tag);
 * 4. the URL `rules` (glob → stage, first match);
 * 5. `consideration` for `view_item`;
 * 6. the path heuristics, else the first stage (undefined in a variant that leaves them to the collector, see
 *    STAGE_IN_PAGE).
 * A name not in `stages` is skipped (the collector would refuse it), so a list without `decision` skips rule 2. For a
 * `customer` (purchased before), a stage before `decision` from rules 3–6 becomes `retention`.
 * @example resolveStage('add_to_cart', '/p/mug', DEFAULT_STAGES, undefined, 'consideration') // 'decision'
 */
export function resolveStage(
  type: string,
  path: string,
  stages: readonly string[],
  explicit?: unknown,
  page?: unknown,
  rules?: Record<string, string> | null,
  customer?: string | boolean,
): string | undefined {
  const known = (stage: unknown): string | false => stages.includes(stage as string) && (stage as string);
  if (known(explicit)) return explicit as string;
  // The stage a cart event carries by itself: `decision` for a commerce act (rule 2), `consideration` for view_item (5).
  const own = FEATURE_CARTS && eventStage(type);
  if (own == 'decision' && known(own)) return own;
  let found = known(page);
  for (const glob in rules) found ||= globToRegExp(glob).test(path) && known(rules[glob]);
  if (FEATURE_CARTS) found ||= known(own);
  if (!STAGE_IN_PAGE) return found || undefined;
  const stage = found || known(pathStage(path)) || stages[0]!;
  // Only cart events make a customer: without carts there is none.
  return (
    (FEATURE_CARTS && customer && stages.indexOf(stage) < stages.indexOf('decision') && known('retention')) || stage
  );
}
