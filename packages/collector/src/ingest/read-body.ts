// Reads a request body as UTF-8 text, never holding more than the limit: a missing or lying Content-Length cannot get past it.
import { fail } from '../errors.ts';

/**
 * The body as text. `413 payload-too-large` as soon as more than `max` bytes have been read
 * (or are announced by Content-Length), `400 invalid-json` if it is not valid UTF-8.
 */
export async function readBody(req: Request, max: number): Promise<string> {
  const announced = Number(req.headers.get('content-length') ?? NaN);
  if (announced > max) fail(413, 'payload-too-large');
  if (!req.body) return '';
  const reader = req.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      // Stop reading: the rest of an oversized body is never buffered.
      await reader.cancel().catch(() => {});
      fail(413, 'payload-too-large');
    }
    parts.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.byteLength;
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    fail(400, 'invalid-json');
  }
}
