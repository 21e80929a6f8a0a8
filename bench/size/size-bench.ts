// Script size: each tracker's browser script minified, gzip -9 and brotli 11, beside what it does.
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';
import { TRACKERS, type Features } from './peers.ts';

export interface SizeRow {
  id: string;
  name: string;
  source: string;
  features: Features;
  minified: number;
  gzip: number;
  brotli: number;
}

/** Byte counts of one script: raw (as served, minified), gzip level 9 and brotli quality 11. */
export function measureBytes(text: string): { minified: number; gzip: number; brotli: number } {
  const buf = Buffer.from(text, 'utf8');
  return {
    minified: buf.length,
    gzip: gzipSync(buf, { level: 9 }).length,
    brotli: brotliCompressSync(buf, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_SIZE_HINT]: buf.length,
      },
    }).length,
  };
}

/** Measures every tracker; a tracker whose script cannot be read is reported with NaN bytes and the reason. */
export async function runSizeBench(log: (s: string) => void): Promise<SizeRow[]> {
  const rows: SizeRow[] = [];
  for (const t of TRACKERS) {
    try {
      const bytes = measureBytes(await t.load());
      rows.push({ id: t.id, name: t.name, source: t.source, features: t.features, ...bytes });
      log(`size ${t.id}: ${bytes.minified} B min, ${bytes.gzip} B gzip, ${bytes.brotli} B brotli`);
    } catch (e) {
      log(`size ${t.id}: not measured (${(e as Error).message.split('\n')[0]})`);
      rows.push({
        id: t.id,
        name: t.name,
        source: t.source,
        features: t.features,
        minified: NaN,
        gzip: NaN,
        brotli: NaN,
      });
    }
  }
  return rows;
}
