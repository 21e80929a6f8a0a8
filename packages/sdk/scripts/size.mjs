// Prints the tag script's raw, gzip (-9) and brotli sizes and fails the build when gzip is over the budget.
import { readFileSync } from 'node:fs';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

/** The tag's budget, gzip bytes (level 9): every byte is paid by every page view of every site. */
const BUDGET = 3700;
/** Plausible's full tracker, the size we aim at. */
const AIM = 2670;

const src = readFileSync(new URL('../dist/parcours.js', import.meta.url));
const gz = gzipSync(src, { level: 9 }).length;
const br = brotliCompressSync(src, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
console.log(`dist/parcours.js: ${src.length} B raw, ${gz} B gzip, ${br} B brotli (budget ${BUDGET} B gzip: ${BUDGET - gz} B left; aim ${AIM} B)`);
if (gz > BUDGET) {
  console.error(`over the ${BUDGET} B gzip budget by ${gz - BUDGET} B: a change to the tag must pay for its bytes`);
  process.exit(1);
}
