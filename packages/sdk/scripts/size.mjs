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
 * "What it costs"). Last measured: the last activity written once a second (13 B more in every variant; track()
 * time: bench/RESULTS.md), feedback() kept in every variant (issue 18 asks for it there: 84 B a variant), and pagehide leaving the send lock's
 * queue, not only the lock (33 to 45 B: Chromium kept a page that waited for the lock in its back/forward cache, granted
 * it the lock there, and every tab of the site stalled behind it); JSON written with a page's Array.prototype.toJSON set
 * aside (34 to 50 B: Prototype.js, still in Magento 1 shops, made cart items and form fields travel as strings, which
 * the collector dropped, and made the closing tab's copy unreadable, which lost its page_leave and form abandon).
 */
const BUDGET = {
  'parcours.core.js': 3298,
  'parcours.forms.js': 3697,
  'parcours.carts.js': 3873,
  'parcours.friction.js': 4511,
  'parcours.forms.carts.js': 4268,
  'parcours.forms.friction.js': 4994,
  'parcours.carts.friction.js': 5060,
  'parcours.forms.carts.friction.js': 5555,
  'parcours.survey.js': 3748,
  'parcours.forms.survey.js': 4154,
  'parcours.carts.survey.js': 4329,
  'parcours.friction.survey.js': 4953,
  'parcours.forms.carts.survey.js': 4722,
  'parcours.forms.friction.survey.js': 5440,
  'parcours.carts.friction.survey.js': 5515,
  'parcours.js': 6003,
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
