// The tag's variants (docs/PROTOCOL.md "Variants"): the core, plus every combination of the features in their fixed
// order. One list for the build (rollup.config.mjs), the size check (scripts/size.mjs) and the collector's assets.

/** The optional features, in the order their names appear in a variant's file name. */
export const FEATURES = ['forms', 'carts', 'friction', 'survey'];

/**
 * Every variant: its file in dist/ and the features it carries. `parcours.js` has them all, `parcours.core.js` none;
 * the others name what they add to the core.
 * @type {Array<{ file: string, features: string[] }>}
 */
export const VARIANTS = [
  [],
  ['forms'],
  ['carts'],
  ['friction'],
  ['forms', 'carts'],
  ['forms', 'friction'],
  ['carts', 'friction'],
  ['forms', 'carts', 'friction'],
  // With survey: the same eight, each asking the site's surveys (issue 18).
  ['survey'],
  ['forms', 'survey'],
  ['carts', 'survey'],
  ['friction', 'survey'],
  ['forms', 'carts', 'survey'],
  ['forms', 'friction', 'survey'],
  ['carts', 'friction', 'survey'],
  ['forms', 'carts', 'friction', 'survey'],
].map((features) => ({
  file: features.length == FEATURES.length ? 'parcours.js' : `parcours.${features.join('.') || 'core'}.js`,
  features,
}));

/** The survey module the survey feature loads when a survey is due: its own build (src/survey/ask.ts), not a variant. */
export const SURVEY_MODULE = 'parcours-survey.js';

/** The esbuild `define` of a build with `features`: each FEATURE_* constant (src/features.ts) `true` or `false`. */
export const defines = (features) =>
  Object.fromEntries(FEATURES.map((f) => [`FEATURE_${f.toUpperCase()}`, String(features.includes(f))]));
