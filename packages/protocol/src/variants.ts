// The tag's optional features, as variant file names spell them: `/parcours.forms.carts.js` (docs/PROTOCOL.md "Variants").

/** The features a variant may add to the core, in the order its file name lists them. */
export const TAG_FEATURES = ['forms', 'carts', 'friction', 'survey'] as const;

export type TagFeature = (typeof TAG_FEATURES)[number];

/**
 * The file of the variant with `features` (any order, repeats ignored): `parcours.js` with every feature,
 * `parcours.core.js` with none, else `parcours.<features in TAG_FEATURES order>.js`.
 * @example variantFile(['carts', 'forms']) // 'parcours.forms.carts.js'
 */
export function variantFile(features: readonly string[]): string {
  const kept = TAG_FEATURES.filter((f) => features.includes(f));
  if (kept.length === TAG_FEATURES.length) return 'parcours.js';
  return `parcours.${kept.join('.') || 'core'}.js`;
}
