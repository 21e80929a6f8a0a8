// Counting events in request bodies whatever the tracker's encoding.
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { countEvents, decodeBody } from './wire-decode.ts';

const rec = (body: Buffer, contentType = 'text/plain') => ({
  body,
  contentType,
  method: 'POST',
  path: '/',
  requestBytes: 0,
  bodyBytes: body.length,
  responseBytes: 0,
  status: 200,
});

describe('reading events off the wire', () => {
  it('counts events in plain JSON, gzip and form-encoded base64 bodies alike', () => {
    const batch = JSON.stringify({
      batch: [{ event: 'bench_click' }, { event: 'bench_click' }, { event: '$pageview' }],
    });
    const records = [
      rec(Buffer.from(batch)),
      rec(gzipSync(batch)),
      rec(
        Buffer.from(`data=${encodeURIComponent(Buffer.from(batch).toString('base64'))}`),
        'application/x-www-form-urlencoded',
      ),
    ];
    expect(decodeBody(records[1]!)).toBe(batch);
    expect(countEvents(records, 'bench_click')).toBe(6);
  });

  it('does not count a name that only appears inside a longer string', () => {
    expect(countEvents([rec(Buffer.from('{"n":"bench_click_2","p":"bench_click"}'))], 'bench_click')).toBe(1);
  });
});
