// Byte counting and the Snowplow site bundle of the size benchmark.
import { describe, expect, it } from 'vitest';
import { bundle, SNOWPLOW_ENTRY } from './peers.ts';
import { measureBytes } from './size-bench.ts';

describe('script size', () => {
  it('counts UTF-8 bytes, and gzip/brotli sizes of streams that decompress back to the script', () => {
    const text = 'var é="x";'.repeat(200);
    const m = measureBytes(text);
    expect(m.minified).toBe(Buffer.byteLength(text));
    expect(m.gzip).toBeLessThan(m.minified);
    expect(m.brotli).toBeLessThan(m.minified);
  });

  it('bundles the Snowplow site script from the installed packages into one IIFE', async () => {
    const js = await bundle(SNOWPLOW_ENTRY);
    expect(js.startsWith('(()=>{')).toBe(true);
    expect(js).toContain('snowplowSite');
    expect(js.length).toBeGreaterThan(20_000);
  });
});
