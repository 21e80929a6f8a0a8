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
 * "What it costs"). Last measured: issue 13's design pass (one config for tracker and sender, one pattern for an
 * error's file and line, a dead click's one "last moved" time, a field's figures under their wire names, the surveys'
 * list as its own read flag, esbuild's syntax minifier ahead of terser: 7 to 69 B less in every variant), then JSON
 * written with a page's Array.prototype.toJSON set aside and put back as it was (70 to 90 B a variant: Prototype.js,
 * still in Magento 1 shops, made cart items and form fields travel as strings, which the collector dropped, and the
 * closing tab's copy unreadable, which lost its page_leave and form abandon), and an error's query cut out of
 * error_click (a few bytes in the friction variants: an inline script's file is the page's URL, tokens and all).
 */
const BUDGET = {
  'parcours.core.js': 3326,
  'parcours.forms.js': 3719,
  'parcours.carts.js': 3908,
  'parcours.friction.js': 4504,
  'parcours.forms.carts.js': 4291,
  'parcours.forms.friction.js': 4973,
  'parcours.carts.friction.js': 5062,
  'parcours.forms.carts.friction.js': 5541,
  'parcours.survey.js': 3775,
  'parcours.forms.survey.js': 4170,
  'parcours.carts.survey.js': 4365,
  'parcours.friction.survey.js': 4949,
  'parcours.forms.carts.survey.js': 4746,
  'parcours.forms.friction.survey.js': 5425,
  'parcours.carts.friction.survey.js': 5506,
  'parcours.js': 5986,
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
