// Which features this build of the tag carries: constants the build replaces (rollup.config.mjs `define`), so that a
// variant's bundle holds no code of the features it lacks. The npm module and the unit tests have every feature.
//
// `if (FEATURE_FORMS) …` with FEATURE_FORMS replaced by `false` is dead code the minifier removes, with every import
// only that branch used. A call to a missing feature (`parcours('cart', …)` in parcours.core.js) is ignored.

declare global {
  /** Forms: form_start, form_submit, form_abandon (and, with friction, per-field timings). */
  const FEATURE_FORMS: boolean;
  /** Carts: cart(), GA4 / Segment ecommerce names, cart buttons, the dataLayer bridge, identify(). */
  const FEATURE_CARTS: boolean;
  /** Friction: rage, dead and error clicks, quick backs, field errors. */
  const FEATURE_FRICTION: boolean;
  /** Survey: reads the site's surveys and, when one is due, loads the survey module (parcours-survey.js) to ask it. */
  const FEATURE_SURVEY: boolean;
}

export {};
