// Prints the tag script's raw, gzip (-9) and brotli sizes; fails when gzip is over the 3,500-byte budget.
import { readFileSync } from 'node:fs';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const BUDGET = 3500;
const AIM = 2670;
const src = readFileSync(new URL('../dist/parcours.js', import.meta.url));
const gz = gzipSync(src, { level: 9 }).length;
const br = brotliCompressSync(src, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
console.log(`dist/parcours.js: ${src.length} B raw, ${gz} B gzip, ${br} B brotli (budget ${BUDGET} B gzip, aim ${AIM} B)`);
if (gz > BUDGET) {
  console.error(`over budget by ${gz - BUDGET} B gzip`);
  process.exit(1);
}
