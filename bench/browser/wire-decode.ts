// Reads the events out of a request body whatever the tracker's encoding: JSON, gzip, or form-encoded base64.
import { gunzipSync } from 'node:zlib';
import type { WireRecord } from '../lib/servers.ts';

/** The request body as text: gunzipped when gzip, base64-decoded when form-encoded `data=`. */
export function decodeBody(record: Pick<WireRecord, 'body' | 'contentType'>): string {
  let buf = record.body;
  if (buf.length > 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf);
    } catch {
      return '';
    }
  }
  const text = buf.toString('utf8');
  if (record.contentType.includes('application/x-www-form-urlencoded')) {
    const data = new URLSearchParams(text).get('data');
    if (data) return Buffer.from(data, 'base64').toString('utf8');
  }
  return text;
}

/** How many times the event `name` appears as a JSON string in the decoded bodies (once per event sent). */
export function countEvents(records: readonly WireRecord[], name: string): number {
  const needle = JSON.stringify(name);
  let n = 0;
  for (const r of records) {
    const text = decodeBody(r);
    for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + needle.length)) n++;
  }
  return n;
}
