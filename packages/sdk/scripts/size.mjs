// Prints every variant's raw, gzip (-9) and brotli sizes and fails the build when one is over its budget.
import { readFileSync } from 'node:fs';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { SURVEY_MODULE, VARIANTS } from '../variants.mjs';

/** Plausible's full tracker, gzip bytes. */
const PLAUSIBLE = 2670;
/**
 * Budgets in gzip bytes (level 9), over which the build fails: every byte is paid by every page view of every site.
 * Each is the variant's size when it was last measured, plus at most 4 B: a change that makes the tag larger raises
 * the budget it needs in its own commit, saying what the bytes buy. The aims (issue 13): the core under Plausible's
 * full tracker, every variant within 4 KiB; the build prints how far each variant is from its aim (see the SDK README,
 * "What it costs"). Last measured: the core's contract pass (the path heuristics left to the collector where the page
 * needs no stage, feedback() in the survey feature, Prototype.js's array JSON set aside only where arrays travel):
 * 289 B less in the core, 200 B in forms, 68 to 78 B in the other variants without survey and in survey alone; the
 * closing tab's copy written event by event costs the survey variants with forms, carts or friction 4 to 9 B.
 * Then: a link to a fragment (in-page anchor, hash router) is no quick back: 22 to 31 B in the friction variants.
 * Then: forms and cart buttons inside web components' shadow roots (form-associated fields and cart-button components
 * too): with the fragment-link fix, 36 to 66 B in the variants with forms or friction, none in core, carts, survey.
 * Then: a fieldset (or the document) around a focused element is no field: 7 to 12 B in the variants with forms.
 * Then: URL rules and survey path globs are percent-encoded as browsers give paths (café matches caf%C3%A9): about
 * 26 B in every variant.
 * Then (friction, forms, carts by design): the quick-back note is text, not JSON; no inputs in the actionable selector;
 * a dead-click watch is its address; a label or legend is no field; the quick-back read is guarded: friction 101 B
 * less, friction.survey 100 B, parcours.js 13 B, other friction variants 2 to 26 B; forms without friction 8 to 14 B
 * more.
 * Then: a saved copy of a closed page that cannot be read no longer stops the copies after it: 5 to 10 B in every
 * variant.
 * Then: the hide request fits beside a batch in flight in the page's 64 KiB of keepalive data (a closing tab's
 * page_leave was refused, beacon included): 7 to 11 B in every variant.
 * Then (what real sites do, found by trying the tag on them, and a review of the fixes): nothing leaves while tracking
 * is off (Do Not Track sends no earlier page's events; consent withdrawn in another tab forgets this tab's events at
 * once, by a storage event; closed pages' copies forgotten unread); consent given on a page whose view was withheld
 * sends it, and consent(false) closes the page's view; no title for a page whose address loses what the URL rule
 * removes; sending without Web Locks where the browser refuses them; the hide request packed against the keepalive
 * bytes actually in flight; forms: form.submit() after a counted submit event is the same submission. With the hide
 * fix above: 171 to 219 B this session (the core 3,058 -> 3,233 B, parcours.js 6,084 -> 6,302 B).
 */
const BUDGET = {
  'parcours.core.js': 3237,
  'parcours.forms.js': 3831,
  'parcours.carts.js': 4037,
  'parcours.friction.js': 4572,
  'parcours.forms.carts.js': 4534,
  'parcours.forms.friction.js': 5212,
  'parcours.carts.friction.js': 5225,
  'parcours.forms.carts.friction.js': 5777,
  'parcours.survey.js': 3906,
  'parcours.forms.survey.js': 4489,
  'parcours.carts.survey.js': 4576,
  'parcours.friction.survey.js': 5094,
  'parcours.forms.carts.survey.js': 5069,
  'parcours.forms.friction.survey.js': 5732,
  'parcours.carts.friction.survey.js': 5748,
  'parcours.js': 6306,
  // The survey module, loaded only when a survey is due: one dialog, its styles and words in seven languages.
  [SURVEY_MODULE]: 2048,
};
const AIM = { 'parcours.core.js': PLAUSIBLE - 1 };
const DEFAULT_AIM = 4096;

let over = 0;
const rows = [...VARIANTS.map(({ file }) => file), SURVEY_MODULE].map((file) => {
  const src = readFileSync(new URL(`../dist/${file}`, import.meta.url));
  const gzip = gzipSync(src, { level: 9 }).length;
  const brotli = brotliCompressSync(src, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
  // A variant added without a budget is held to its aim.
  const budget = BUDGET[file] ?? DEFAULT_AIM;
  if (gzip > budget) {
    over++;
    console.error(
      `${file}: ${gzip} B gzip, over its ${budget} B budget by ${gzip - budget} B: a change to the tag must pay for its bytes`,
    );
  }
  const aim = AIM[file] ?? DEFAULT_AIM;
  if (gzip > aim) console.log(`${file}: ${gzip} B gzip, ${gzip - aim} B over its aim of ${aim} B`);
  return { file, raw: src.length, gzip, brotli, budget, aim };
});
const n = (x) => x.toLocaleString('en');
console.log('| file | raw | gzip -9 | brotli | budget (gzip) | aim |\n| --- | --- | --- | --- | --- | --- |');
for (const r of rows)
  console.log(
    `| \`${r.file}\` | ${n(r.raw)} B | ${n(r.gzip)} B | ${n(r.brotli)} B | ${n(r.budget)} B | ${n(r.aim)} B |`,
  );
if (over) process.exit(1);
